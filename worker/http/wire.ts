/** The SDK's results as the wire carries them. */
import type { ClassificationResult } from 'descry';

/**
 * One result per image for the wire: logits dropped, the predictor's order kept (FuDD re-ranks),
 * the conformal set of a calibrated classifier as the SDK computed it.
 */
export function wireResults(results: readonly ClassificationResult[]) {
  return results.map((result) => ({
    predictions: result.predictions.map(({ label, score, cosine, evidence }) => ({
      label,
      score,
      cosine,
      ...(evidence ? { evidence } : {}),
    })),
    ...(result.degraded ? { degraded: result.degraded } : {}),
    ...(result.set ? { set: result.set } : {}),
  }));
}

/** Milliseconds rounded to hundredths. */
export function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}
