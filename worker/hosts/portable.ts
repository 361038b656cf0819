/**
 * The service on any host that runs a Hono app through web-standard `fetch`: Deno
 * (`Deno.serve(app.fetch)`), Bun (`Bun.serve({ fetch: app.fetch })`), Vercel's Edge runtime, AWS
 * Lambda (Hono's `hono/aws-lambda` adapter), or Node under a server of your choice. Hono's own
 * adapters do the serving; what a host must supply is the app's dependencies, and
 * {@link portableDeps} builds them from plain variables and nothing of the host but `fetch`:
 *
 * - the model: `embeddedModel` (`descry/models/emoji-clip`) by default, or DESCRY_MODEL (a URL or
 *   a hub id; a folder where the runtime has `node:fs`, as Deno and Bun do);
 * - classifiers and adaptation caches in memory, unless stores are passed (a `KvStore` or an
 *   `R2Store` on the platform's bindings, a `FileStore` where there is a disk);
 * - the LLM of DESCRY_LLM (its packages are optional peers: see docs/service.md);
 * - no batch jobs: they need a queue and a ledger, which the Workers host (`descry/worker`) and
 *   the Node server (`descry/server`) have.
 *
 * tests/package/runtimes.node.test.ts runs it from the packed tarball under each of those runtimes.
 */

import { Descry, type ModelSource } from 'descry';
import { descriptionSourceFrom } from 'descry/llm';
import { type KeyValueStore, MemoryStore } from 'descry/store';
import { engineLoadOptions } from '../service/batches.js';
import { readServiceConfig } from '../service/config.js';
import type { ServiceDeps } from '../service/deps.js';
import { engineLoader } from '../service/engine-loader.js';

/** Options of {@link portableDeps}. */
export interface PortableOptions {
  /**
   * The service's variables (DESCRY_API_KEYS, DESCRY_DEV, limits, DESCRY_LLM...): `Deno.env.toObject()`,
   * `process.env`, a Lambda's environment. Default none: the API then needs DESCRY_DEV or keys.
   */
  vars?: Readonly<Record<string, string | undefined>>;
  /** The model served when DESCRY_MODEL is "embedded" (the default): `descry/models/emoji-clip`. */
  embeddedModel?: ModelSource;
  /** Compiled classifiers and description caches. Default: in memory. */
  classifiers?: KeyValueStore;
  /** TFUP adaptation caches (must honour `ifVersion`). Default: in memory. */
  adaptations?: KeyValueStore;
  /** The runtime's name, reported by /healthz, e.g. `deno 2.9.6`. Default `portable`. */
  runtime?: string;
}

/** The model source DESCRY_MODEL selects. */
function modelSource(choice: string, options: PortableOptions): ModelSource {
  if (choice !== 'embedded') return choice;
  if (!options.embeddedModel) {
    throw new Error(
      'DESCRY_MODEL is "embedded" but no embeddedModel was given: pass descry/models/emoji-clip, or set DESCRY_MODEL to a URL or hub id',
    );
  }
  return options.embeddedModel;
}

/** Builds `createApp`'s dependencies for a host other than Workers or `descry/server`. */
export function portableDeps(options: PortableOptions = {}): ServiceDeps {
  const config = readServiceConfig(options.vars ?? {});
  const source = modelSource(config.model, options);
  return {
    config,
    ...engineLoader(() => Descry.load(source, engineLoadOptions(config))),
    classifiers: options.classifiers ?? new MemoryStore(),
    adaptations: options.adaptations ?? new MemoryStore(),
    descriptions: descriptionSourceFrom(config.llm),
    runtime: options.runtime ?? 'portable',
  };
}
