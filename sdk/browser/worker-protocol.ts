/**
 * The messages between a page's {@link DescryWorker} and the worker running Descry
 * (sdk/browser/worker.ts): one request per method call, answered once, by id. Values cross by
 * structured clone; what cannot be cloned stays on its side behind a handle (compiled classifiers)
 * or is replaced (an AbortSignal becomes an 'abort' message; errors are rebuilt as the same typed
 * error class with its code).
 */
import {
  BackendError,
  DescryError,
  type DescryErrorCode,
  ImageDecodeError,
  InvalidInputError,
  LlmError,
  ModelLoadError,
  ModelMismatchError,
  StoreError,
} from '../errors.js';

/** A method call: `op` names it, `args` are its cloned arguments. */
export interface WorkerRequest {
  id: number;
  op: string;
  args: unknown[];
}

/** Messages from the worker: an answer, a failure, or download progress of the `load` call. */
export type WorkerResponse =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: SerializedError }
  | { id: number; progress: unknown };

/** Cancels the request `id` (its AbortSignal fired on the page). */
export interface AbortRequest {
  abort: number;
}

/** An error as it crosses: enough to rebuild the class, code and message on the other side. */
export interface SerializedError {
  name: string;
  message: string;
  code?: DescryErrorCode;
  details?: Record<string, unknown>;
}

/**
 * The typed error classes by a stable name: `error.name` is the class's own name, which a
 * minifier renames, so classes are told apart with instanceof (subclasses before DescryError).
 */
const CLASSES: Array<[string, typeof DescryError]> = [
  ['ImageDecodeError', ImageDecodeError],
  ['InvalidInputError', InvalidInputError],
  ['ModelLoadError', ModelLoadError],
  ['ModelMismatchError', ModelMismatchError],
  ['BackendError', BackendError],
  ['LlmError', LlmError],
  ['StoreError', StoreError],
  ['DescryError', DescryError],
];

export function serializeError(error: unknown): SerializedError {
  if (error instanceof DescryError) {
    return {
      name: CLASSES.find(([, Class]) => error instanceof Class)![0],
      message: error.message,
      code: error.code,
      ...(error.details ? { details: structuredCloneable(error.details) } : {}),
    };
  }
  if (error instanceof Error || error instanceof DOMException)
    return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** The error `serializeError` described: a DescryError subclass with its code, or an Error/DOMException. */
export function deserializeError(error: SerializedError): Error {
  if (error.code) {
    const Class = CLASSES.find(([name]) => name === error.name)?.[1] ?? DescryError;
    return new Class(error.code, error.message, error.details ? { details: error.details } : undefined);
  }
  if (error.name === 'AbortError' || error.name === 'TimeoutError')
    return new DOMException(error.message, error.name);
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  return rebuilt;
}

function structuredCloneable(details: Record<string, unknown>): Record<string, unknown> | undefined {
  try {
    return structuredClone(details);
  } catch {
    return undefined;
  }
}
