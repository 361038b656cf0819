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
import { ClientGoneError } from './read-body.js';

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

/** Whether `error` is the end of a request's signal: its deadline, or its client gone. */
function abortKind(error: unknown, c: Context): 'deadline' | 'client' | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return 'deadline';
  if (name === 'AbortError' || (c.req.raw.signal.aborted && error === c.req.raw.signal.reason))
    return 'client';
  return undefined;
}

/** Options of {@link problemErrorHandler}. */
export interface ProblemHandlerOptions {
  /** The media types the route of `c` accepts, for a 415 (listed in `Accept-Post` and `accepted`). */
  acceptedTypes?(c: Context): readonly string[] | undefined;
}

/** Map any thrown value to a problem+json response. */
export function problemErrorHandler(options: ProblemHandlerOptions = {}): ErrorHandler {
  return (error, c) => {
    if (error instanceof ClientGoneError || abortKind(error, c) === 'client') {
      // Nobody is there to read it, and it is not the service's failure: no log line.
      return problemResponse(c, 400, 'client_closed_request', 'The client closed the connection.');
    }
    if (abortKind(error, c) === 'deadline') {
      return problemResponse(c, 503, 'deadline_exceeded', 'The request did not finish within its deadline.', {
        headers: { 'Retry-After': '1' },
      });
    }
    if (error instanceof HTTPException && error.status === 415) {
      const accepted = options.acceptedTypes?.(c);
      if (accepted?.length) {
        return problemResponse(c, 415, 'unsupported_media_type', `Send one of: ${accepted.join(', ')}.`, {
          headers: { 'Accept-Post': accepted.join(', ') },
          extensions: { accepted },
        });
      }
    }
    return answer(error, c);
  };
}

/** The answer to any other error. */
const answer: ErrorHandler = (error, c) => {
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
