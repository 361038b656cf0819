/**
 * `descry/image` in Node: the image pipeline with Node's providers installed (native zlib inflate
 * for PNG, the decoders' .wasm read from node_modules: ./node-providers.ts). Other runtimes get
 * ./index.ts, which imports no Node built-in.
 *
 * @module
 */
import './node-providers.js';

export * from './index.js';
