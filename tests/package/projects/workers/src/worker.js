// A Workers project that installed the package: the whole service is one import.
import emojiClip from 'descry/models/emoji-clip';
import { createWorker } from 'descry/worker';

export default createWorker({ embeddedModel: emojiClip });
