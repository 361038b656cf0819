/**
 * The size of ONNX Runtime's WebAssembly memory in this process, for onnxruntime-web: the memory is
 * found when the runtime instantiates its module (WebAssembly.instantiate wrapped before ORT loads),
 * and its buffer's length is the high-water mark, since a wasm memory never shrinks. Call
 * `watchWasmMemory()` before the first session is created.
 */
let memories: WebAssembly.Memory[] = [];
let installed = false;

function collect(instance: WebAssembly.Instance, imports: WebAssembly.Imports | undefined): void {
  for (const value of Object.values(instance.exports))
    if (value instanceof WebAssembly.Memory) memories.push(value);
  for (const module of Object.values(imports ?? {})) {
    for (const value of Object.values(module)) if (value instanceof WebAssembly.Memory) memories.push(value);
  }
}

export function watchWasmMemory(): () => number {
  if (!installed) {
    installed = true;
    const original = WebAssembly.instantiate.bind(WebAssembly) as (...args: unknown[]) => Promise<unknown>;
    (WebAssembly as { instantiate: unknown }).instantiate = async (
      source: unknown,
      imports?: WebAssembly.Imports,
    ) => {
      const result = await original(source, imports);
      const instance =
        result instanceof WebAssembly.Instance
          ? result
          : (result as { instance: WebAssembly.Instance }).instance;
      collect(instance, imports);
      return result;
    };
  }
  return () => {
    memories = [...new Set(memories)];
    return memories.reduce((sum, memory) => sum + memory.buffer.byteLength, 0);
  };
}
