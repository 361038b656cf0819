/**
 * `descry/store` in Node: every store of the runtime-neutral entry plus {@link FileStore}, which
 * needs `node:fs` and so stays out of the browser and Workers entry.
 *
 * @module
 */
export { FileStore } from './file.node.js';
export * from './index.js';
