/**
 * The edge Worker of wrangler.edge.toml: the Descry service with no bundled model, so DESCRY_MODEL
 * must name R2 (or a URL). What bench:edge deploys and measures with photo-scale models.
 */
import { createWorker } from 'descry/worker';

export default createWorker();
