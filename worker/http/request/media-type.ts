/**
 * Which of the two accepted body encodings a request uses. zod-openapi validates whichever one
 * matches and answers 415 for others; a request with no Content-Type at all ends up here.
 */
import type { Context } from 'hono';
import { ProblemError } from '../problem.js';

/** 'json' or 'form' by Content-Type; 415 problem otherwise. */
export function bodyEncoding(c: Context): 'json' | 'form' {
  const type = (c.req.header('Content-Type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (/^application\/([\w.-]+\+)?json$/.test(type)) return 'json';
  if (type === 'multipart/form-data') return 'form';
  throw new ProblemError(415, 'unsupported_media_type', 'Send application/json or multipart/form-data.', {
    headers: { 'Accept-Post': 'application/json, multipart/form-data' },
    extensions: { accepted: ['application/json', 'multipart/form-data'] },
  });
}
