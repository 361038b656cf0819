/**
 * Prometheus metrics of the Node server (prom-client), served at GET /metrics (behind a key when
 * keys are set): requests by route and status, latency histograms, the inference gate's queue
 * depth and waits, refusals (503 overloaded, 429 rate_limited), model load time, job events, and
 * the process's own metrics (memory, CPU, event loop lag). The service reports through its
 * observer hooks (../service/observer.ts); this turns them into the exposition format.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ServiceObserver } from '../service/observer.js';

/** A registry and the observer that fills it. */
export interface NodeMetrics {
  observer: ServiceObserver;
  /** The exposition, for GET /metrics. */
  metrics(): Promise<{ contentType: string; body: string }>;
  registry: Registry;
}

/** Metrics for one server (a registry of its own: several servers in one process stay apart). */
export function nodeMetrics(): NodeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'descry_' });
  const requests = new Counter({
    name: 'descry_http_requests_total',
    help: 'Requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'descry_http_request_duration_seconds',
    help: 'Time from the request to its answer, by route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const queued = new Gauge({
    name: 'descry_inference_queue_depth',
    help: 'Units of work waiting for the inference gate, by lane (decode, model)',
    labelNames: ['lane'] as const,
    registers: [registry],
  });
  const waits = new Histogram({
    name: 'descry_inference_wait_seconds',
    help: 'Time a unit of work waited for the inference gate, by lane',
    labelNames: ['lane'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'descry_refused_total',
    help: 'Requests refused before any work: overloaded (503) or rate_limited (429)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const modelLoad = new Gauge({
    name: 'descry_model_load_seconds',
    help: 'How long the model took to load, by outcome (the last try)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const visionRuns = new Histogram({
    name: 'descry_batched_vision_run_images',
    help: 'Images per vision-tower run joined across requests (DESCRY_BATCH_WINDOW_MS > 0)',
    buckets: [1, 2, 3, 4, 6, 8, 16],
    registers: [registry],
  });
  const jobs = new Counter({
    name: 'descry_job_events_total',
    help: 'Batch job events: jobs started, completed, failed, cancelled; shards counted (shard_done) or dead-lettered (shard_failed)',
    labelNames: ['event'] as const,
    registers: [registry],
  });
  return {
    registry,
    observer: {
      request({ method, route, status, durationMs }) {
        requests.inc({ method, route, status: String(status) });
        duration.observe({ method, route }, durationMs / 1000);
      },
      queued: (lane, depth) => queued.set({ lane }, depth),
      waited: (lane, ms) => waits.observe({ lane }, ms / 1000),
      refused: () => refused.inc({ reason: 'overloaded' }),
      rateLimited: () => refused.inc({ reason: 'rate_limited' }),
      modelLoaded: (ms, ok) => modelLoad.set({ outcome: ok ? 'ok' : 'failed' }, ms / 1000),
      visionRun: (images) => visionRuns.observe(images),
      job: (event) => jobs.inc({ event }),
    },
    metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}
