/**
 * Configuration from flat string variables (Worker vars and secrets, process.env), declared once.
 * Each variable is a {@link VarSpec}: its name, its deprecated aliases, its default and the zod
 * schema its text must satisfy; a section is an object of specs (nested sections allowed).
 * `readVars` resolves a section, `varList` lists it for the docs, and the types of both derive from
 * the declaration, so a variable added here appears in the parsed config, the docs and the
 * bindings types at once.
 *
 * A malformed value throws {@link ConfigError} naming the variable: a typo in a limit must stop the
 * deploy, not silently disable the limit. A deprecated alias works, with a warning.
 */
import { z } from 'zod';

/** A variable could not be parsed: an operator's mistake, reported before any request. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Where a variable applies. */
export type VarHost = 'all' | 'workers' | 'node';

/** One variable; `N` is its name as a type. */
export interface VarSpec<T, N extends string = string> {
  readonly kind: 'var';
  name: N;
  /** Older names still read (with a deprecation warning) when `name` is not set. */
  aliases: readonly string[];
  /** One line for the docs. */
  doc: string;
  /** The default as the docs show it. */
  defaultText: string;
  /** A secret (`wrangler secret put`), never a var in wrangler.toml. */
  secret: boolean;
  hosts: VarHost;
  /** The value of the variable's text, or of its absence (`undefined`, or an empty string). */
  parse(text: string | undefined): T;
}

/** An object of specs, nested sections allowed. */
export interface VarSection {
  readonly [key: string]: VarSpec<unknown> | VarSection;
}

/** The parsed values of a section. */
export type VarValues<S extends VarSection> = {
  -readonly [K in keyof S]: S[K] extends VarSpec<infer T>
    ? T
    : S[K] extends VarSection
      ? VarValues<S[K]>
      : never;
};

/** The names a section reads, as a union (a host's bindings types are built from it). */
export type VarNames<S extends VarSection> = {
  [K in keyof S]: S[K] extends VarSpec<unknown, infer N>
    ? N
    : S[K] extends VarSection
      ? VarNames<S[K]>
      : never;
}[keyof S];

interface VarOptions {
  aliases?: readonly string[];
  secret?: boolean;
  hosts?: VarHost;
  defaultText?: string;
}

/** A variable whose trimmed text `schema` parses; `fallback` when it is unset or empty. */
function spec<T, N extends string>(
  name: N,
  doc: string,
  fallback: T,
  schema: z.ZodType<T, string>,
  options: VarOptions,
): VarSpec<T, N> {
  return {
    kind: 'var',
    name,
    aliases: options.aliases ?? [],
    doc,
    defaultText: options.defaultText ?? (fallback === undefined ? 'none' : `\`${String(fallback)}\``),
    secret: options.secret ?? false,
    hosts: options.hosts ?? 'all',
    parse(text) {
      if (text === undefined || text.trim() === '') return fallback;
      const parsed = schema.safeParse(text.trim());
      if (parsed.success) return parsed.data;
      const reason = parsed.error.issues[0]?.message ?? 'invalid';
      throw new ConfigError(`${name}: ${reason}, got ${JSON.stringify(text)}`);
    },
  };
}

const FLAGS: Record<string, boolean> = {
  1: true,
  true: true,
  yes: true,
  on: true,
  0: false,
  false: false,
  no: false,
  off: false,
};

/** Builders of variables. */
export const vars = {
  /** Free text; `fallback` when unset. */
  text<const N extends string, T extends string | undefined>(
    name: N,
    doc: string,
    fallback: T,
    options: VarOptions = {},
  ) {
    return spec<string | T, N>(name, doc, fallback, z.string(), options);
  },
  /** One of `values`. */
  oneOf<const N extends string, const V extends string>(
    name: N,
    doc: string,
    values: readonly V[],
    fallback: V,
    options: VarOptions = {},
  ) {
    const schema = z.enum(values as unknown as [V, ...V[]], { error: `must be one of ${values.join(', ')}` });
    return spec<V, N>(name, doc, fallback, schema as unknown as z.ZodType<V, string>, options);
  },
  /** A comma-separated list (empty when unset). */
  list<const N extends string>(name: N, doc: string, options: VarOptions = {}) {
    const schema = z.string().transform((text) =>
      text
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    );
    return spec<string[], N>(name, doc, [], schema, { defaultText: 'none', ...options });
  },
  /** true/false (1/0, yes/no, on/off). */
  flag<const N extends string>(name: N, doc: string, fallback = false, options: VarOptions = {}) {
    const schema = z
      .string()
      .transform((text) => FLAGS[text.toLowerCase()])
      .pipe(z.boolean({ error: 'must be true or false' }));
    return spec<boolean, N>(name, doc, fallback, schema, options);
  },
  /** An integer of at least `min`. */
  integer<const N extends string>(
    name: N,
    doc: string,
    fallback: number,
    min: number,
    options: VarOptions = {},
  ) {
    const what = min > 0 ? 'must be a positive integer' : `must be an integer of at least ${min}`;
    const schema = z
      .string()
      .transform(Number)
      .pipe(
        z
          .number({ error: what })
          .int({ error: what })
          .min(min, { error: what })
          .max(Number.MAX_SAFE_INTEGER, { error: what }),
      );
    return spec<number, N>(name, doc, fallback, schema, options);
  },
};

function isSpec(value: VarSpec<unknown> | VarSection): value is VarSpec<unknown> {
  return (value as VarSpec<unknown>).kind === 'var';
}

/** The text of `spec` in `source`: its name first, then its deprecated aliases (with a warning). */
function textOf(
  spec: VarSpec<unknown>,
  source: Readonly<Record<string, unknown>>,
  warn: (message: string) => void,
): string | undefined {
  const value = source[spec.name];
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  for (const alias of spec.aliases) {
    const old = source[alias];
    if (typeof old === 'string' && old !== '') {
      warn(`${alias} is deprecated: set ${spec.name} instead`);
      return old;
    }
  }
  return undefined;
}

/**
 * Resolve `section` from `source` (Worker env, process.env). Bindings that are not strings (KV,
 * R2) are ignored. Throws {@link ConfigError} on the first malformed value.
 */
export function readVars<S extends VarSection>(
  section: S,
  source: Readonly<Record<string, unknown>>,
  warn: (message: string) => void = (message) => console.warn(`[descry] ${message}`),
): VarValues<S> {
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(section)) {
    out[key] = isSpec(entry) ? entry.parse(textOf(entry, source, warn)) : readVars(entry, source, warn);
  }
  return out as VarValues<S>;
}

/** Every variable of `section`, in declaration order. */
export function varList(section: VarSection): VarSpec<unknown>[] {
  return Object.values(section).flatMap((entry) => (isSpec(entry) ? [entry] : varList(entry)));
}
