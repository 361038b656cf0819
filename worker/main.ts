/** This repository's Worker (wrangler.toml `main`): the service over the bundled emoji-clip model. */
import { createWorker } from 'descry/worker';
import { embeddedModel } from './model/embedded-model.js';

export default createWorker({ embeddedModel });
