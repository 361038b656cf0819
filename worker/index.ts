/**
 * The Cloudflare Workers entry. Dependencies are built on the first request of an isolate and
 * reused by every later one: the model loads once, and its encoders stay warm.
 */

import { KvStore } from '../sdk/store/kv.js';
import { R2Store } from '../sdk/store/r2.js';
import { Descry } from '../sdk/workerd.js';
import { type AppType, createApp } from './app.js';
import type { WorkerBindings } from './bindings.js';
import { readServiceConfig } from './config.js';
import { engineLoader } from './engine-loader.js';
import { configuredDescriptionSource } from './llm/configured-description-source.js';
import { embeddedModel } from './model/embedded-model.js';
import { r2ModelFiles } from './model/r2-model-files.js';
import { problemType } from './problem.js';
import type { ServiceDeps } from './service-deps.js';

/** The model source DESCRY_MODEL selects. */
function modelSource(env: WorkerBindings) {
  const choice = env.DESCRY_MODEL?.trim() || 'embedded';
  if (choice === 'embedded') return embeddedModel;
  if (choice === 'r2') {
    if (!env.MODEL_BUCKET) throw new Error('DESCRY_MODEL is "r2" but no MODEL_BUCKET binding is configured');
    return r2ModelFiles(env.MODEL_BUCKET, env.MODEL_R2_PREFIX ?? '');
  }
  if (/^https:\/\//.test(choice)) return choice;
  throw new Error(`DESCRY_MODEL must be "embedded", "r2" or an https:// URL, not ${JSON.stringify(choice)}`);
}

/** Build the service dependencies from the Worker environment. */
export function workerDeps(env: WorkerBindings): ServiceDeps {
  const config = readServiceConfig(env as unknown as Record<string, unknown>);
  const source = modelSource(env);
  const loader = engineLoader(() => Descry.load(source, { maxImagePixels: config.limits.maxImagePixels }));
  return {
    config,
    ...loader,
    classifiers: new KvStore(env.CLASSIFIERS),
    adaptations: new R2Store(env.ADAPTATIONS),
    descriptions: configuredDescriptionSource(env, { ai: env.AI }),
    runtime: 'workerd',
  };
}

let app: AppType | undefined;

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

export default {
  fetch(request, env, ctx) {
    try {
      app ??= createApp(workerDeps(env));
    } catch (error) {
      return misconfigured(error);
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<WorkerBindings>;
