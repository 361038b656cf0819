/** wrangler.toml bundles .onnx files as Data modules: their default export is the bytes. */
declare module '*.onnx' {
  const bytes: ArrayBuffer;
  export default bytes;
}
