/** This repository's Worker (wrangler.toml `main`): the service over the bundled emoji-clip model. */
import emojiClip from 'descry/models/emoji-clip';
import { createWorker } from 'descry/worker';

export default createWorker({ embeddedModel: emojiClip });
/** The Durable Object class behind batch jobs (binding JOBS). */
export { JobCoordinator } from 'descry/worker';
