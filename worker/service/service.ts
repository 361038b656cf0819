/**
 * The service's state around one set of dependencies: the inference gate and the engine behind
 * it, the stored classifiers, and the methods' resources (LLM sources, description and TFUP
 * caches). The HTTP app and the job consumer of a host share one, so requests and jobs take turns
 * at the same gate.
 */
import type { ServiceConfig } from './config.js';
import type { ServiceDeps } from './deps.js';
import { Inference } from './inference.js';
import { InferenceGate } from './inference-gate.js';
import { MethodResources } from './method-resources.js';
import { type RateLimiter, tokenBucketLimiter } from './rate-limit.js';
import { StoredClassifiers } from './stored-classifiers.js';

/** One service's state. */
export interface Service {
  deps: ServiceDeps;
  config: ServiceConfig;
  gate: InferenceGate;
  rateLimiter: RateLimiter;
  inference: Inference;
  classifiers: StoredClassifiers;
  resources: MethodResources;
}

const services = new WeakMap<ServiceDeps, Service>();

/** The service of `deps`: built on first use, then the same object for the app and the jobs. */
export function serviceOf(deps: ServiceDeps): Service {
  let service = services.get(deps);
  if (!service) {
    const { config } = deps;
    const gate = new InferenceGate(
      {
        concurrency: config.limits.inferenceConcurrency,
        maxPending: config.limits.maxPendingRequests,
      },
      deps.observer,
    );
    service = {
      deps,
      config,
      gate,
      rateLimiter:
        deps.rateLimiter ??
        tokenBucketLimiter(config.limits.rateLimitRequests, config.limits.rateLimitPeriodSeconds),
      inference: new Inference(deps.engine, gate, config.limits),
      classifiers: new StoredClassifiers(deps.classifiers, deps.engine),
      resources: new MethodResources({
        descriptions: deps.classifiers,
        adaptations: deps.adaptations,
        source: deps.descriptions,
      }),
    };
    services.set(deps, service);
  }
  return service;
}
