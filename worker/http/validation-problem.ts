/**
 * 422 for input that fails a zod schema, with the issues flattened per field so a client can
 * show them next to its form fields.
 */
import { z } from '@hono/zod-openapi';
import { ProblemError } from './problem.js';

/** Turn a zod error into the service's 422 problem. */
export function validationProblem(error: z.ZodError): ProblemError {
  const flat = z.flattenError(error);
  const first = error.issues[0];
  const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
  return new ProblemError(422, 'invalid_input', `${where}${first?.message ?? 'invalid request'}`, {
    extensions: { errors: flat },
  });
}

/** Hook for every OpenAPI route: reject invalid input with {@link validationProblem}. */
export const rejectInvalid = (result: { success: boolean; error?: unknown }): undefined => {
  if (!result.success && result.error instanceof z.ZodError) throw validationProblem(result.error);
  return undefined;
};
