/**
 * How a host paces Descry's heavy work. Every call that runs a model is split into units of three
 * kinds: decoding and preprocessing one run's images (on the JavaScript thread), one run of the
 * vision tower over them, one run of the text tower over a chunk of prompts (both in ONNX Runtime).
 * A host passes `schedule` to wrap each unit: the service's inference gate runs units in first in,
 * first out order, each on a fresh turn of the event loop, so /healthz and small requests get in
 * between the units of a large one; decoding and the towers take turns in separate lanes, so the
 * next run's images decode while the encoder works on the current one. Without a `schedule`, units
 * run as soon as they are reached.
 */

/** One unit of heavy work. */
export type WorkUnit =
  /** Decode and preprocess `count` images into one run's pixels. */
  | { kind: 'decode'; count: number }
  /** One vision-tower run over `count` images. */
  | { kind: 'vision'; count: number }
  /** One text-tower run over `count` prompts. */
  | { kind: 'text'; count: number };

/** Runs `work` when the host allows; rejects with the signal's reason if it is aborted first. */
export type Schedule = <T>(unit: WorkUnit, work: () => Promise<T>, signal?: AbortSignal) => Promise<T>;

/** Options every call that runs a model accepts. */
export interface RunOptions {
  /** Abandons the call between units (rejecting with the signal's reason): pass a request's signal. */
  signal?: AbortSignal | undefined;
  /** Wraps each unit of work (see the module comment). Default: run at once. */
  schedule?: Schedule | undefined;
}

/** Run one unit of `options`' call. */
export function runUnit<T>(options: RunOptions, unit: WorkUnit, work: () => Promise<T>): Promise<T> {
  options.signal?.throwIfAborted();
  return options.schedule ? options.schedule(unit, work, options.signal) : work();
}
