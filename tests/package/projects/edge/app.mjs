// The service as an Edge function (Vercel's Edge runtime): a fetch-event handler, bundled by
// build.mjs into one script with descry's build for runtimes that take precompiled wasm.
import { createApp, portableDeps } from 'descry/app';
import emojiClip from 'descry/models/emoji-clip';

const vars = typeof process === 'undefined' ? {} : process.env;
const app = createApp(portableDeps({ embeddedModel: emojiClip, vars, runtime: 'edge-runtime' }));
addEventListener('fetch', (event) => event.respondWith(app.fetch(event.request)));
