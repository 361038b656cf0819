/**
 * Bounded inference per isolate (Workers) or process (Node). The heavy work of a request runs as
 * units (decoding, preprocessing and encoding one image; encoding one label set) through one
 * first-in-first-out queue with `concurrency` slots, and every unit starts on a fresh turn of the
 * event loop: /healthz, small requests and I/O get in between the units of a large request
 * instead of waiting for all of it, and only one image is decoded at a time, so memory is bounded
 * by the largest image a request may send, not by their number or by concurrent requests.
 * Requests are admitted before their body is read; with `maxPending` already admitted, the next
 * one gets 503 `overloaded` with Retry-After.
 */
import type { MiddlewareHandler } from 'hono';
import { ProblemError } from '../http/problem.js';
import { FifoSlots, nextTurn } from './fifo-slots.js';

/** Options of {@link InferenceGate}. */
export interface InferenceGateOptions {
  /** Units running at once. */
  concurrency: number;
  /** Requests admitted at once (running or waiting). */
  maxPending: number;
}

/** Seconds a client refused for load should wait before trying again. */
const RETRY_AFTER_SECONDS = 1;

/** The queue and the admission count of one app. */
export class InferenceGate {
  readonly #maxPending: number;
  readonly #slots: FifoSlots;
  #pending = 0;

  constructor(options: InferenceGateOptions) {
    this.#slots = new FifoSlots(options.concurrency);
    this.#maxPending = options.maxPending;
  }

  /** Requests admitted and not yet answered. */
  get pending(): number {
    return this.#pending;
  }

  /** Route middleware: admit the request, or refuse it with 503 before its body is read. */
  readonly admit: MiddlewareHandler = async (_c, next) => {
    if (this.#pending >= this.#maxPending) {
      throw new ProblemError(
        503,
        'overloaded',
        `The service is busy with ${this.#pending} inference requests; try again shortly.`,
        {
          headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
          extensions: { retry_after: RETRY_AFTER_SECONDS },
        },
      );
    }
    this.#pending += 1;
    try {
      await next();
    } finally {
      this.#pending -= 1;
    }
  };

  /** Run one unit of work when a slot is free, on a fresh turn of the event loop. */
  run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.#slots.with(async () => {
      await nextTurn();
      // A client that went away while it waited costs no decoding.
      signal?.throwIfAborted();
      return work();
    });
  }
}
