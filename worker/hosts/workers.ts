/**
 * The Cloudflare Workers host. {@link createWorker} returns the Worker's handler: dependencies are
 * built from the bindings on the first request of an isolate and reused by every later one, so
 * the model loads once and its encoders stay warm.
 */

import { Descry, type ModelSource } from 'descry';
import { descriptionSourceFrom } from 'descry/llm';
import { KvStore, R2Store } from 'descry/store';
import { type AppType, createApp } from '../http/app.js';
import { problemType } from '../http/problem.js';
import { type JobConsumer, serviceJobConsumer } from '../jobs/job-consumer.js';
import { consumeQueueBatch } from '../jobs/queue-consumer.js';
import { workersJobHost } from '../jobs/workers-job-host.js';
import { engineLoadOptions } from '../service/batches.js';
import { readServiceConfig, type ServiceConfig } from '../service/config.js';
import type { ServiceDeps } from '../service/deps.js';
import { engineLoader } from '../service/engine-loader.js';
import { workersMemoryBudget } from '../service/memory-budget.js';
import { bindingLimiter } from '../service/rate-limit.js';
import type { WorkerBindings } from './bindings.js';
import { r2ModelFiles } from './r2-model-files.js';

/** Options of {@link createWorker}. */
export interface WorkerOptions {
  /**
   * The model served when DESCRY_MODEL is "embedded" (the default): files bundled into the
   * Worker, e.g. `{ id, files: { 'config.json': …, 'onnx/vision_model.onnx': bytes, … } }`.
   */
  embeddedModel?: ModelSource;
}

/** The model source DESCRY_MODEL selects. */
function modelSource(config: ServiceConfig, env: WorkerBindings, options: WorkerOptions): ModelSource {
  const choice = config.model;
  if (choice === 'embedded') {
    if (!options.embeddedModel) {
      throw new Error('DESCRY_MODEL is "embedded" but this Worker bundles no model: set it to "r2" or a URL');
    }
    return options.embeddedModel;
  }
  if (choice === 'r2') {
    if (!env.MODEL_BUCKET) throw new Error('DESCRY_MODEL is "r2" but no MODEL_BUCKET binding is configured');
    return r2ModelFiles(env.MODEL_BUCKET, config.modelR2Prefix);
  }
  if (/^https:\/\//.test(choice)) return choice;
  throw new Error(`DESCRY_MODEL must be "embedded", "r2" or an https:// URL, not ${JSON.stringify(choice)}`);
}

/** Build the service dependencies from the Worker environment. */
export function workerDeps(env: WorkerBindings, options: WorkerOptions = {}): ServiceDeps {
  const config = readServiceConfig(env as unknown as Readonly<Record<string, unknown>>);
  const source = modelSource(config, env, options);
  // A model chosen at deploy time is sized against the isolate; the bundled one is measured (bench:heavy).
  const budget =
    source === options.embeddedModel
      ? undefined
      : workersMemoryBudget(config.limits, { jobs: env.JOB_QUEUE !== undefined });
  const loader = engineLoader(() =>
    Descry.load(source, { ...engineLoadOptions(config), ...(budget ? { memoryBudget: budget } : {}) }),
  );
  return {
    config,
    ...loader,
    classifiers: new KvStore(env.CLASSIFIERS),
    adaptations: new R2Store(env.ADAPTATIONS),
    descriptions: descriptionSourceFrom(config.llm, { ai: env.AI }),
    runtime: 'workerd',
    jobs: workersJobHost(env, config.jobs),
    ...(env.RATE_LIMITER
      ? { rateLimiter: bindingLimiter(env.RATE_LIMITER, config.limits.rateLimitPeriodSeconds) }
      : {}),
  };
}

/** What every request gets while the configuration cannot be read: an operator's problem, said once per request. */
function misconfigured(error: unknown): Response {
  console.error('[descry] invalid Worker configuration', error);
  const body = {
    type: problemType('configuration_invalid'),
    title: 'Internal Server Error',
    status: 500,
    detail: 'The service is misconfigured; the operator can find the reason in the Worker logs.',
    code: 'configuration_invalid',
    instance: '/',
  };
  return new Response(JSON.stringify(body), {
    status: 500,
    headers: { 'Content-Type': 'application/problem+json' },
  });
}

/**
 * The Descry service as a Worker: `export default createWorker({ embeddedModel })`, and export
 * {@link JobCoordinator} beside it for batch jobs. Bindings and vars are those of wrangler.toml
 * (see {@link WorkerBindings}). The same isolate serves requests and queue batches, so the model
 * loads once for both.
 */
export function createWorker(options: WorkerOptions = {}): ExportedHandler<WorkerBindings> {
  let deps: ServiceDeps | undefined;
  let app: AppType | undefined;
  let consumer: JobConsumer | undefined;
  return {
    fetch(request, env, ctx) {
      try {
        deps ??= workerDeps(env, options);
        app ??= createApp(deps);
      } catch (error) {
        return misconfigured(error);
      }
      return app.fetch(request, env, ctx);
    },
    async queue(batch, env) {
      deps ??= workerDeps(env, options);
      consumer ??= serviceJobConsumer(deps);
      await consumeQueueBatch(batch, consumer, deps.jobs!.config);
    },
  };
}
