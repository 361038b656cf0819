/**
 * RFC 9457 problem details. Every error response of the service is one of these, with a stable
 * `code` that clients match on instead of parsing `detail`.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Codes the HTTP layer adds to the SDK's DescryErrorCode set. */
export type HttpProblemCode =
  | 'unauthorized'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'malformed_body'
  | 'route_not_found'
  | 'method_not_allowed'
  | 'model_not_ready'
  | 'overloaded'
  | 'internal_error';

/** The body of an `application/problem+json` response. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance: string;
  request_id?: string;
  /** Field errors of a failed validation, as `z.flattenError` shapes them. */
  errors?: { formErrors: string[]; fieldErrors: Record<string, string[] | undefined> };
  [extension: string]: unknown;
}

/** An error the HTTP layer raises on purpose; `app.onError` turns it into problem+json. */
export class ProblemError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    code: string,
    detail: string,
    options: { extensions?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
    this.status = status;
    this.code = code;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }
}

const TITLES: Partial<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The `type` URI of a problem code: a URN, so it names the problem without promising a page. */
export function problemType(code: string): string {
  return `urn:descry:problem:${code}`;
}

/** Build the problem+json response for `status`/`code` in the context of request `c`. */
export function problemResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  detail: string,
  options: { extensions?: Record<string, unknown>; headers?: Record<string, string> } = {},
): Response {
  const requestId = c.get('requestId' as never) as string | undefined;
  const body: ProblemDetails = {
    type: problemType(code),
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    instance: new URL(c.req.url).pathname,
    ...(requestId === undefined ? {} : { request_id: requestId }),
  };
  // Extensions come after the standard members and may not replace them.
  for (const [key, value] of Object.entries(options.extensions ?? {})) {
    if (!(key in body)) body[key] = value;
  }
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/problem+json', ...options.headers },
  });
}
