/** The demo's model runs here, off the page's thread (DescryWorker in model.ts starts this file). */
import { serveDescry } from 'descry';

serveDescry();
