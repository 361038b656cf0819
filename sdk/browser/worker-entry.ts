/**
 * The worker script of the standalone browser build (descry-worker.js next to descry.js, which
 * `DescryWorker.load` starts when the page gives no worker of its own).
 */
import { serveDescry } from './worker.js';

serveDescry();
