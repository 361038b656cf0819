/**
 * Bounded inference per isolate (Workers) or process (Node). The heavy work of requests and jobs
 * runs as units (sdk/schedule.ts: decoding one run's images; one vision-tower run; one text-tower
 * run) through first-in-first-out lanes of `concurrency` slots each, one lane for decoding (the
 * JavaScript thread) and one for the towers (ONNX Runtime), and every unit starts on a fresh turn
 * of the event loop: /healthz, small requests and I/O get in between the units of a large request
 * instead of waiting for all of it; one image is decoded at a time per slot, so memory is bounded by
 * the largest image a request may send, not by their number or by concurrent requests; and the next
 * image decodes while the encoder runs. A request is admitted once its body has arrived (the body
 * reader runs first); with `maxPending` already admitted, the next one gets 503 `overloaded` with
 * Retry-After.
 */
import type { WorkUnit } from 'descry';
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

/** The lanes units take turns in. */
export type GateLane = 'decode' | 'model';

/** What the gate reports, for metrics. */
export interface GateObserver {
  /** A unit of `lane` waited `ms` for its slot. */
  waited?(lane: GateLane, ms: number): void;
  /** Units of `lane` now waiting. */
  queued?(lane: GateLane, depth: number): void;
  /** A request was refused for load. */
  refused?(): void;
}

const laneOf = (unit: WorkUnit): GateLane => (unit.kind === 'decode' ? 'decode' : 'model');

/** Seconds a client refused for load should wait before trying again. */
const RETRY_AFTER_SECONDS = 1;

/** The queue and the admission count of one app. */
export class InferenceGate {
  readonly #maxPending: number;
  readonly #lanes: Record<GateLane, FifoSlots>;
  readonly #waiting: Record<GateLane, number> = { decode: 0, model: 0 };
  readonly #observer: GateObserver;
  #pending = 0;

  constructor(options: InferenceGateOptions, observer: GateObserver = {}) {
    this.#lanes = { decode: new FifoSlots(options.concurrency), model: new FifoSlots(options.concurrency) };
    this.#maxPending = options.maxPending;
    this.#observer = observer;
  }

  /** Units waiting for a slot, per lane. */
  get waiting(): Readonly<Record<GateLane, number>> {
    return this.#waiting;
  }

  /** Requests admitted and not yet answered. */
  get pending(): number {
    return this.#pending;
  }

  /** Route middleware: admit the request, or refuse it with 503 before its body is read. */
  readonly admit: MiddlewareHandler = async (_c, next) => {
    if (this.#pending >= this.#maxPending) {
      this.#observer.refused?.();
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

  /**
   * Run one unit of work when a slot of its lane is free, on a fresh turn of the event loop;
   * `waited` hears how long it waited.
   */
  async run<T>(
    unit: WorkUnit,
    work: () => Promise<T>,
    signal?: AbortSignal,
    waited?: (ms: number) => void,
  ): Promise<T> {
    const lane = laneOf(unit);
    const asked = performance.now();
    this.#observer.queued?.(lane, ++this.#waiting[lane]);
    let counted = true;
    const stopWaiting = () => {
      if (!counted) return;
      counted = false;
      this.#observer.queued?.(lane, --this.#waiting[lane]);
    };
    try {
      return await this.#lanes[lane].with(async () => {
        await nextTurn();
        stopWaiting();
        const ms = performance.now() - asked;
        this.#observer.waited?.(lane, ms);
        waited?.(ms);
        // A client that went away while it waited costs no work.
        signal?.throwIfAborted();
        return work();
      });
    } finally {
      stopWaiting();
    }
  }
}
