/**
 * The classification methods, written once. Each says what it needs beyond a compiled classifier
 * and the method it falls back to when that is missing; the SDK's types, the service's zod schemas
 * and OpenAPI enums, the CLI's `--method` choices and the README's list all derive from this
 * table, and {@link resolveMethod} is the only place that decides a fallback.
 *
 * A fallback is never silent: the result carries `degraded: { requested, used, reason }`.
 */

/** What a method may need beyond a classifier's template weights. */
export type MethodNeed = 'descriptors' | 'subclasses' | 'pairSource' | 'tfupCache';

/** One row of the table; `Name` is any method's name. */
export interface MethodSpec<Name extends string = string> {
  /** One line for `--help`, OpenAPI and the README. */
  summary: string;
  /** The paper it implements. */
  paper: string;
  /** Inputs it cannot work without. */
  needs: readonly MethodNeed[];
  /** The method used when a need is missing. */
  fallback?: Name;
}

/** The table as written, its fallbacks checked against its own names. */
function methodTable<const T extends Record<string, MethodSpec<Extract<keyof T, string>>>>(table: T): T {
  return table;
}

/** The methods, in the order they are listed everywhere. */
export const METHODS = methodTable({
  zeroshot: {
    summary: 'prompt-template ensemble: cosine of the image with each label’s mean prompt embedding',
    paper: 'Radford et al., 2021 (CLIP)',
    needs: [],
  },
  descriptions: {
    summary: 'classification by description: a label scores by its descriptors’ cosines, with evidence',
    paper: 'Menon & Vondrick, ICLR 2023',
    needs: ['descriptors'],
    fallback: 'zeroshot',
  },
  subclasses: {
    summary:
      'labels with subclasses: a label scores by its best subclass, reweighted by its own probability, with evidence',
    paper: 'Novack et al., ICML 2023 (CHiLS)',
    needs: ['subclasses'],
    fallback: 'zeroshot',
  },
  fudd: {
    summary: 'follow-up differential descriptions: an LLM tells the top-k labels apart pair by pair',
    paper: 'Esfandiarpoor & Bach, ICLR 2024',
    needs: ['pairSource'],
    fallback: 'descriptions',
  },
  tfup: {
    summary: 'training-free unsupervised prompts: a feature cache of unlabelled images of the domain',
    paper: 'Long et al. (TFUP)',
    needs: ['tfupCache'],
    fallback: 'descriptions',
  },
});

/** A classification method's name. */
export type ClassificationMethod = keyof typeof METHODS;

/** Every method's name, in table order (for enums and `--method` choices). */
export const METHOD_NAMES = Object.keys(METHODS) as [ClassificationMethod, ...ClassificationMethod[]];

/** Whether `name` is a method. */
export function isMethod(name: unknown): name is ClassificationMethod {
  return typeof name === 'string' && Object.hasOwn(METHODS, name);
}

/** Why each need can be missing, as results report it. */
const MISSING: Record<MethodNeed, string> = {
  descriptors: 'no descriptors were given for these labels',
  subclasses: 'no subclasses were given for these labels',
  pairSource: 'no description source was configured for FuDD',
  tfupCache: 'no TFUP cache: adapt the classifier with unlabelled images first',
};

/** The method that runs, and why it is not the one asked for. */
export interface ResolvedMethod {
  used: ClassificationMethod;
  /** Set when `used` differs from the request: the first missing need. */
  reason?: string;
}

/**
 * The method to run for `requested` given what is at hand: the request itself when nothing it
 * needs is missing, else down its fallback chain to the first method whose needs are met.
 * `reason` overrides the reason reported (a need that was there but failed, such as an LLM that
 * answered nothing).
 */
export function resolveMethod(
  requested: ClassificationMethod,
  has: ReadonlySet<MethodNeed>,
  reason?: string,
): ResolvedMethod {
  let used: ClassificationMethod = requested;
  let why = reason;
  for (;;) {
    const spec: MethodSpec<ClassificationMethod> = METHODS[used];
    const missing = spec.needs.find((need) => !has.has(need));
    if (missing === undefined) break;
    why ??= MISSING[missing];
    if (spec.fallback === undefined) break;
    used = spec.fallback;
  }
  return used === requested ? { used } : { used, reason: why ?? 'unavailable' };
}
