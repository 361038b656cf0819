/** The model's folder next to the page (vite.config.ts `define`). */
declare const __DESCRY_MODEL_PATH__: string;
/** What the SDK downloads of that model, in bytes: the progress bar's total when servers send none. */
declare const __DESCRY_MODEL_BYTES__: number;
