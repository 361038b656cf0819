/**
 * What the service reports about itself, for whatever a host records it in: Prometheus metrics on
 * Node (../hosts/metrics.node.ts), nothing on Workers (whose analytics and Workers Logs see every
 * request already). The service calls these hooks; a host that passes none pays nothing.
 */
import type { GateObserver } from './inference-gate.js';

/** One answered request, as the access log and the metrics see it. */
export interface RequestRecord {
  method: string;
  /** The matched route's pattern (`/v1/classifiers/:id`), or the path when none matched. */
  route: string;
  status: number;
  durationMs: number;
  /** Milliseconds its units waited for the inference gate. */
  inferenceWaitMs: number;
}

/** Hooks of a service's observer. */
export interface ServiceObserver extends GateObserver {
  /** A request was answered. */
  request?(record: RequestRecord): void;
  /** A request was refused by a per-key rate limit. */
  rateLimited?(): void;
  /** The model finished loading (or failed to) after `ms`. */
  modelLoaded?(ms: number, ok: boolean): void;
  /** A vision-tower run of `images` images was joined from concurrent requests (DESCRY_BATCH_WINDOW_MS). */
  visionRun?(images: number): void;
  /** A batch job event. */
  job?(event: 'started' | 'completed' | 'failed' | 'cancelled' | 'shard_done' | 'shard_failed'): void;
}
