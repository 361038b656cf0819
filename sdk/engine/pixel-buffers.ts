/**
 * Reused input tensors for the vision encoder. A batch of 8 images at 224 px is a 4.8 MB
 * Float32Array; allocating it per call means touching fresh memory each time, which the kernel
 * maps page by page. Where that is slow (VMs that fault pages in lazily) it is a visible share of
 * Descry's own cost per image (`npm run bench:real`, "decode + preprocess").
 * A buffer goes back to the pool when its encoder run has finished, so concurrent calls never
 * share one.
 */
export class PixelBufferPool {
  readonly #idle: Float32Array[] = [];

  /** @param capacity idle buffers kept (the rest are left to the garbage collector). */
  constructor(readonly capacity = 2) {}

  /** An idle buffer of exactly `length` floats, or a new one. Its contents are stale. */
  acquire(length: number): Float32Array {
    const index = this.#idle.findIndex((buffer) => buffer.length === length);
    if (index < 0) return new Float32Array(length);
    const [buffer] = this.#idle.splice(index, 1);
    return buffer!;
  }

  /** Returns `buffer` once nothing reads it any more; the oldest idle buffer makes room. */
  release(buffer: Float32Array): void {
    this.#idle.push(buffer);
    if (this.#idle.length > this.capacity) this.#idle.shift();
  }
}
