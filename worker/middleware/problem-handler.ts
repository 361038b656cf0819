/**
 * The app's `onError` and `notFound`: every failure becomes problem+json with a stable code.
 * SDK errors keep their own code; anything unexpected is logged and answered with a bare 500.
 */

import { isDescryError } from 'descry';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { OPEN_SERVER_ERRORS, statusOfDescryError } from '../error-status.js';
import { ProblemError, problemResponse } from '../problem.js';

function codeOfHttpStatus(status: number): string {
  switch (status) {
    case 400:
      return 'malformed_body';
    case 401:
      return 'unauthorized';
    case 404:
      return 'route_not_found';
    case 405:
      return 'method_not_allowed';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    default:
      return status >= 500 ? 'internal_error' : 'invalid_input';
  }
}

/** Log line for a failure the caller cannot fix; the caller sees only the request id. */
function logFailure(c: Context, error: unknown): void {
  const requestId = c.get('requestId' as never) as string | undefined;
  console.error(`[descry] ${c.req.method} ${new URL(c.req.url).pathname} request_id=${requestId}`, error);
}

/** Map any thrown value to a problem+json response. */
export const problemErrorHandler: ErrorHandler = (error, c) => {
  if (error instanceof ProblemError) {
    return problemResponse(c, error.status, error.code, error.message, {
      extensions: error.extensions,
      headers: error.headers,
    });
  }
  if (isDescryError(error)) {
    const status = statusOfDescryError(error.code);
    if (status >= 500) logFailure(c, error);
    // 5xx details may describe the deployment (paths, bindings): keep them out of the answer,
    // except for the codes that say only what the deployment lacks.
    const open = status < 500 || OPEN_SERVER_ERRORS.has(error.code);
    const detail = open ? error.message : 'The service could not complete the request.';
    const extensions = open && error.details !== undefined ? { details: error.details } : {};
    return problemResponse(c, status, error.code, detail, { extensions });
  }
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    if (status >= 500) logFailure(c, error);
    const detail = status >= 500 ? 'The service could not complete the request.' : error.message;
    return problemResponse(c, status, codeOfHttpStatus(status), detail || 'Request rejected.');
  }
  logFailure(c, error);
  return problemResponse(c, 500, 'internal_error', 'The service could not complete the request.');
};

/** 404 for paths no route matches. */
export const problemNotFound: NotFoundHandler = (c) =>
  problemResponse(
    c,
    404,
    'route_not_found',
    `No route matches ${c.req.method} ${new URL(c.req.url).pathname}.`,
  );
