/** The SDK's results as the wire carries them. */
import { type ClassificationResult, resultJson } from 'descry';

/**
 * One result per image for the wire: logits dropped, the predictor's order kept (FuDD re-ranks),
 * the conformal set of a calibrated classifier as the SDK computed it.
 */
export function wireResults(results: readonly ClassificationResult[]) {
  return results.map(resultJson);
}

/** Milliseconds rounded to hundredths. */
export function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}
