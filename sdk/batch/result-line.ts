/**
 * Result lines: the JSON Lines format of batch classification. One line per image, keyed by where
 * the image came from (a file path, an object key), carrying either its ranked labels or the
 * reason it has none:
 *
 *     {"key":"photos/cat.png","predictions":[{"label":"cat","score":0.91,"cosine":0.31}]}
 *     {"key":"photos/broken.png","error":{"code":"image_corrupt","message":"…"}}
 *
 * With a calibrated classifier, a classified line also carries its conformal set:
 *
 *     {"key":"photos/cat.png","predictions":[…],"set":{"labels":["cat","lynx"],"abstain":false,"alpha":0.1}}
 *
 * `descry classify` and the service's batch jobs both write exactly this, so results move
 * between a laptop and a bucket. Fields may be added; none will be renamed.
 */
import { InvalidInputError } from '../errors.js';
import type { ClassificationResult, Degradation, Evidence, LabelSet } from '../types.js';

/** One ranked label in a result line (a {@link Prediction} without the logit). */
export interface LinePrediction {
  label: string;
  score: number;
  cosine: number;
  /** Descriptors or subclasses behind the label, strongest first (methods descriptions, subclasses). */
  evidence?: Evidence[];
}

/** Why an image has no predictions: a stable code (a `DescryErrorCode` where one fits) and a message. */
export interface LineError {
  code: string;
  message: string;
}

/** One image's line: `predictions` when it was classified, `error` when it could not be. */
export interface ResultLine {
  key: string;
  predictions?: LinePrediction[];
  degraded?: Degradation;
  /** The conformal set, with a classifier calibrated for the method that ran (computed before top-k). */
  set?: LabelSet;
  error?: LineError;
}

/** Counts over result lines. */
export interface ResultTally {
  images: number;
  classified: number;
  failed: number;
  /** Failed images per error code. */
  errors: Record<string, number>;
}

/** A classification result as JSON carries it. */
export interface ResultJson {
  predictions: LinePrediction[];
  degraded?: Degradation;
  set?: LabelSet;
}

/**
 * A result as JSON carries it (the service's answers, result lines): logits dropped, the
 * predictor's order kept (FuDD re-ranks), the conformal set of a calibrated classifier.
 */
export function resultJson(result: ClassificationResult): ResultJson {
  return {
    predictions: result.predictions.map(({ label, score, cosine, evidence }) => ({
      label,
      score,
      cosine,
      ...(evidence ? { evidence } : {}),
    })),
    ...(result.degraded ? { degraded: result.degraded } : {}),
    ...(result.set ? { set: result.set } : {}),
  };
}

/** The line of an image that was classified. */
export function resultLine(key: string, result: ClassificationResult): ResultLine {
  return { key, ...resultJson(result) };
}

/** The line of an image that could not be classified (a DescryError has both fields). */
export function errorLine(key: string, error: LineError): ResultLine {
  return { key, error: { code: error.code, message: error.message } };
}

/** Lines as JSON Lines text: one JSON object per line, each line ending in `\n`. */
export function formatResultLines(lines: Iterable<ResultLine>): string {
  let text = '';
  for (const line of lines) text += `${JSON.stringify(line)}\n`;
  return text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPrediction(value: unknown): value is LinePrediction {
  return (
    isObject(value) &&
    typeof value.label === 'string' &&
    typeof value.score === 'number' &&
    typeof value.cosine === 'number'
  );
}

function checkedLine(value: unknown): ResultLine | string {
  if (!isObject(value)) return 'not a JSON object';
  if (typeof value.key !== 'string' || value.key === '') return '"key" must be a non-empty string';
  const { predictions, error } = value;
  if ((predictions === undefined) === (error === undefined)) {
    return 'a line has either "predictions" or "error"';
  }
  if (predictions !== undefined && !(Array.isArray(predictions) && predictions.every(isPrediction))) {
    return '"predictions" must be a list of { label, score, cosine }';
  }
  if (error !== undefined && !(isObject(error) && typeof error.code === 'string')) {
    return '"error" must be { code, message }';
  }
  const { set } = value;
  if (
    set !== undefined &&
    !(
      isObject(set) &&
      Array.isArray(set.labels) &&
      set.labels.every((label) => typeof label === 'string') &&
      typeof set.abstain === 'boolean' &&
      typeof set.alpha === 'number'
    )
  ) {
    return '"set" must be { labels, abstain, alpha }';
  }
  return value as unknown as ResultLine;
}

/**
 * Parse JSON Lines text into result lines (blank lines are skipped). Throws `InvalidInputError`
 * (`invalid_input`) naming the first line that is not a result line.
 */
export function parseResultLines(text: string): ResultLine[] {
  const lines: ResultLine[] = [];
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new InvalidInputError('invalid_input', `line ${index + 1}: not JSON`, {
        details: { line: index + 1 },
      });
    }
    const line = checkedLine(parsed);
    if (typeof line === 'string') {
      throw new InvalidInputError('invalid_input', `line ${index + 1}: ${line}`, {
        details: { line: index + 1 },
      });
    }
    lines.push(line);
  });
  return lines;
}

/** How many lines were classified and how many failed, by error code. */
export function tallyResultLines(lines: Iterable<ResultLine>): ResultTally {
  const tally: ResultTally = { images: 0, classified: 0, failed: 0, errors: {} };
  for (const line of lines) {
    tally.images += 1;
    if (line.error) {
      tally.failed += 1;
      tally.errors[line.error.code] = (tally.errors[line.error.code] ?? 0) + 1;
    } else {
      tally.classified += 1;
    }
  }
  return tally;
}
