/** The pool of vision input tensors: a buffer is reused only after it was released. */
import { describe, expect, it } from 'vitest';
import { PixelBufferPool } from '../../sdk/engine/pixel-buffers.js';

describe('PixelBufferPool', () => {
  it('hands out distinct buffers until one is released, then reuses it', () => {
    const pool = new PixelBufferPool();
    const a = pool.acquire(12);
    const b = pool.acquire(12);
    expect(b).not.toBe(a);
    pool.release(a);
    expect(pool.acquire(12)).toBe(a);
    expect(pool.acquire(12)).not.toBe(b);
  });

  it('matches lengths exactly and keeps at most `capacity` idle buffers', () => {
    const pool = new PixelBufferPool(1);
    const small = pool.acquire(6);
    const large = pool.acquire(24);
    pool.release(small);
    expect(pool.acquire(24)).not.toBe(large);
    pool.release(large); // the older idle buffer, small, makes room
    expect(pool.acquire(6)).not.toBe(small);
    expect(pool.acquire(24)).toBe(large);
  });
});
