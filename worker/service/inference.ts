/**
 * The engine as the service runs it. Every SDK call of a request or a job gets the same run
 * options: the gate's `schedule` (every unit of work through one first-in-first-out queue, each on
 * a fresh turn of the event loop), the request's signal, and the configured images per vision run
 * (ONNX Runtime's wasm heap grows to fit the largest run it has seen and never shrinks, so one
 * image per run also bounds that). A request's work is checked against its budgets (images from
 * their headers, prompts by their tokens) before any of it runs.
 */
import type { RunOptions, Schedule } from 'descry';
import type { RequestImage } from '../http/request/images.js';
import { assertImageBudget, assertTextBudget, type TextWork } from './budgets.js';
import type { ServiceLimits } from './config.js';
import type { ClassificationEngine } from './deps.js';
import type { InferenceGate } from './inference-gate.js';

/** When a request's work started and how long its units waited, for `timings_ms` and the access log. */
export interface RunTimings {
  /** performance.now() when the first image unit started, if one did. */
  firstImageUnit?: number;
  /** Milliseconds its units spent waiting for the gate, summed. */
  waitMs?: number;
}

/** What the service passes to every SDK call that runs a model. */
export interface ServiceRunOptions extends RunOptions {
  schedule: Schedule;
  imagesPerRun: number;
}

/** Gated access to the engine for one service. */
export class Inference {
  readonly #engine: () => Promise<ClassificationEngine>;
  readonly #gate: InferenceGate;
  readonly #limits: ServiceLimits;

  constructor(engine: () => Promise<ClassificationEngine>, gate: InferenceGate, limits: ServiceLimits) {
    this.#engine = engine;
    this.#gate = gate;
    this.#limits = limits;
  }

  /** The engine (loaded on first use). */
  engine(): Promise<ClassificationEngine> {
    return this.#engine();
  }

  /** Run options for one request or job delivery; `timings` records when image work began. */
  run(signal?: AbortSignal, timings?: RunTimings): ServiceRunOptions {
    const schedule: Schedule = (unit, work, unitSignal) =>
      this.#gate.run(
        unit,
        () => {
          if (timings && unit.kind === 'decode') timings.firstImageUnit ??= performance.now();
          return work();
        },
        unitSignal,
        timings
          ? (ms) => {
              timings.waitMs = (timings.waitMs ?? 0) + ms;
            }
          : undefined,
      );
    return { schedule, signal, imagesPerRun: this.#limits.imagesPerRun };
  }

  /**
   * Refuse a request whose work is over budget before any of it runs (./budgets.ts): its images,
   * from their headers, and the prompts it would encode (a label set's and plain texts).
   */
  async assertBudget(work: TextWork & { images?: readonly RequestImage[] }): Promise<void> {
    const images = work.images ?? [];
    if (images.length === 0 && !work.spec && !work.texts?.length) return;
    const engine = await this.#engine();
    assertImageBudget(images, this.#limits, (bytes) => engine.probe(bytes));
    await assertTextBudget(work, this.#limits.maxRequestPromptTokens, (texts) => engine.promptTokens(texts));
  }
}
