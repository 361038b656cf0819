/**
 * Load the engine once per isolate and share it between requests. A failed load is forgotten so
 * the next request retries instead of caching the failure for the isolate's lifetime.
 */
import type { ClassificationEngine } from './deps.js';

/** The engine accessor pair that {@link ServiceDeps} expects. */
export interface EngineLoader {
  engine(): Promise<ClassificationEngine>;
  engineState(): 'idle' | 'loading' | 'ready' | 'failed';
}

/** Wrap `load` so it runs at most once at a time and its success is reused; `loaded` hears how long each try took. */
export function engineLoader(
  load: () => Promise<ClassificationEngine>,
  loaded?: (ms: number, ok: boolean) => void,
): EngineLoader {
  let pending: Promise<ClassificationEngine> | undefined;
  let state: 'idle' | 'loading' | 'ready' | 'failed' = 'idle';
  return {
    engine() {
      if (!pending) {
        state = 'loading';
        const started = performance.now();
        pending = load().then(
          (engine) => {
            state = 'ready';
            loaded?.(performance.now() - started, true);
            return engine;
          },
          (error: unknown) => {
            state = 'failed';
            pending = undefined;
            loaded?.(performance.now() - started, false);
            throw error;
          },
        );
      }
      return pending;
    },
    engineState: () => state,
  };
}
