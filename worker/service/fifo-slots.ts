/**
 * A first-in-first-out semaphore that never resolves one request's promise from another request.
 * Workers run a continuation in the context of the request whose code settled the promise it
 * waited on, and refuse I/O done there on behalf of another request ("Cannot perform I/O on
 * behalf of a different request"; measured in workerd: a waiter woken by the holder's `resolve()`
 * could neither set a timer nor read a store). So a holder only marks the next waiter's ticket as
 * granted, and each waiter notices on a turn of the event loop of its own (a zero-delay timer),
 * where its I/O is its own.
 */

/** A turn of the event loop: timers and I/O queued meanwhile run before the caller continues. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

interface Ticket {
  granted: boolean;
}

export class FifoSlots {
  readonly #waiting: Ticket[] = [];
  #free: number;

  constructor(slots: number) {
    this.#free = slots;
  }

  /** Whether nobody holds or waits for a slot. */
  get idle(): boolean {
    return this.#waiting.length === 0 && this.#free > 0;
  }

  /** Resolves when the caller holds a slot; callers are served in the order they asked. */
  async acquire(): Promise<void> {
    if (this.#free > 0 && this.#waiting.length === 0) {
      this.#free -= 1;
      return;
    }
    const ticket: Ticket = { granted: false };
    this.#waiting.push(ticket);
    while (!ticket.granted) await nextTurn();
  }

  /** Give the slot back; it passes straight to the first waiter, so later callers cannot overtake. */
  release(): void {
    const next = this.#waiting.shift();
    if (next) next.granted = true;
    else this.#free += 1;
  }

  /** `work` while holding a slot. */
  async with<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }
}
