/** Wrangler (and the workerd vitest plugin) import .wasm files as compiled modules. */
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
