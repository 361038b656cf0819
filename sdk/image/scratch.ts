/**
 * Reusable byte buffers for synchronous image work. A buffer handed out is valid until the next
 * call: resizing and preprocessing read it before they return, so one buffer serves every call and
 * no fresh memory is touched per image (on hosts that map pages slowly, fresh buffers were a visible
 * share of decode + preprocess: `npm run bench:real`, "decode + preprocess").
 */

/**
 * A source of buffers of `bytes` bytes that reuses one buffer up to `limit` bytes; larger requests
 * get their own, so one huge image does not pin its memory.
 */
export function scratchBuffer(limit: number): (bytes: number) => Uint8Array {
  let kept = new Uint8Array(0);
  return (bytes) => {
    if (bytes > limit) return new Uint8Array(bytes);
    if (kept.length < bytes) kept = new Uint8Array(bytes);
    return kept.subarray(0, bytes);
  };
}
