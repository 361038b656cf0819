/**
 * The page imports `descry` as an app does, and Vite resolves it to the browser entry
 * (vite.config.ts). The repository's tsconfig resolves `descry` to the Node entry; this adds the
 * browser entry's own exports to it for the type checker.
 */
import type {
  DescryWorker as BrowserDescryWorker,
  serveDescry as browserServeDescry,
} from '../../../sdk/browser.js';

declare module 'descry' {
  export const DescryWorker: typeof BrowserDescryWorker;
  export type DescryWorker = BrowserDescryWorker;
  export const serveDescry: typeof browserServeDescry;
}
