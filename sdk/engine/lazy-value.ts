/**
 * A value made on first use and shared by every concurrent caller; a failed attempt is forgotten
 * so that the next call tries again (a model download that failed once must not fail forever).
 */
export interface LazyValue<T> {
  get(): Promise<T>;
  /** Whether making it has started (and not failed). */
  readonly started: boolean;
}

/** Wrap `make` so that it runs at most once at a time and its result is kept. */
export function lazyValue<T>(make: () => Promise<T>): LazyValue<T> {
  let value: Promise<T> | undefined;
  return {
    get() {
      if (!value) {
        const attempt = make();
        value = attempt;
        attempt.catch(() => {
          if (value === attempt) value = undefined;
        });
      }
      return value;
    },
    get started() {
      return value !== undefined;
    },
  };
}
