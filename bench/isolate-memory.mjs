/**
 * The Worker isolate's own memory under `wrangler dev`, read through its V8 inspector: what Workers
 * count against 128 MB (the JavaScript heap, ArrayBuffers and WebAssembly memories), without what
 * RSS adds (workerd itself, compiled code, heap pages V8 reserved but does not use, pages the
 * allocator keeps).
 * - `Runtime.getHeapUsage`, sampled: the heap's used size and the ArrayBuffers it tracks. Those
 *   exclude WebAssembly memories, and samples land between tasks, so a peak inside one
 *   synchronous decode is missed (only the garbage it leaves is seen afterwards).
 * - `HeapProfiler.takeHeapSnapshot`: every ArrayBuffer's backing store (`system / JSArrayBufferData`),
 *   WebAssembly memories included. Those only grow, so their size after a phase is their peak.
 * The isolate's peak over a phase is then estimated as the largest sample plus the WebAssembly
 * memories at the end of all phases (snapshot ArrayBuffers minus the heap's own count just after),
 * an upper bound for each phase since those memories never shrink.
 */

/**
 * Connects to the inspector on `port` (wrangler's proxy accepts DevTools' origin only).
 * `pump` is called while a snapshot is taken: the isolate answers the inspector between tasks,
 * so it needs a request to run once it is idle.
 */
export async function connectIsolate(port, pump) {
  if (typeof WebSocket === 'undefined') {
    throw new Error(
      `reading the isolate's memory needs Node 22's WebSocket (this is ${process.version}): npm run bench:heavy`,
    );
  }
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, {
    headers: { Origin: 'https://devtools.devprod.cloudflare.dev' },
  });
  let next = 0;
  const waiting = new Map();
  const listeners = new Set();
  let chunks = [];
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push(message.params.chunk);
    if (message.method) for (const listener of listeners) listener(message);
    const pending = waiting.get(message.id);
    if (pending) {
      waiting.delete(message.id);
      if (message.error) pending.reject(new Error(`inspector: ${message.error.message}`));
      else pending.resolve(message);
    }
  };
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`no V8 inspector on port ${port}`));
  });
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      waiting.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });

  /** Heap used plus the ArrayBuffers the heap tracks, in bytes. */
  async function usage() {
    const { result } = await call('Runtime.getHeapUsage');
    return { heap: result.usedSize, arrayBuffers: result.backingStorageSize };
  }

  /** Bytes of every ArrayBuffer backing store, WebAssembly memories included. */
  async function allArrayBuffers() {
    chunks = [];
    await call('HeapProfiler.enable');
    const pumping = setInterval(pump, 100);
    try {
      await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    } finally {
      clearInterval(pumping);
    }
    const snapshot = JSON.parse(chunks.join(''));
    chunks = [];
    const fields = snapshot.snapshot.meta.node_fields;
    const name = fields.indexOf('name');
    const size = fields.indexOf('self_size');
    let total = 0;
    for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
      if (snapshot.strings[snapshot.nodes[i + name]] === 'system / JSArrayBufferData') {
        total += snapshot.nodes[i + size];
      }
    }
    return total;
  }

  return {
    /** Samples while `work` runs; resolves with its result and the largest sample, in bytes. */
    async during(work) {
      let largest = 0;
      let running = true;
      const sampling = (async () => {
        while (running) {
          const { heap, arrayBuffers } = await usage();
          largest = Math.max(largest, heap + arrayBuffers);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      const result = await work();
      running = false;
      await sampling;
      return { result, sampled: largest };
    },
    /**
     * Bytes of WebAssembly memory now, which is their peak so far. The snapshot stops the isolate
     * for about 2 s and grows workerd's RSS, so take it after everything else is measured.
     */
    async wasmMemories() {
      // The snapshot collects garbage first; right after it, the heap's own ArrayBuffer count is
      // of live buffers too, and the difference is the WebAssembly memories.
      const all = await allArrayBuffers();
      return Math.max(0, all - (await usage()).arrayBuffers);
    },
    /** Any inspector method (Profiler, Debugger, …), for benches that need more than memory. */
    call,
    /** Calls `listener` with every event the inspector sends; returns a function that stops it. */
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => socket.close(),
  };
}
