// The service under Bun, from the installed package: `bun serve.mjs` (DESCRY_* variables from the
// environment, e.g. DESCRY_DEV=true to try it without keys).
import { createApp, portableDeps } from 'descry/app';
import emojiClip from 'descry/models/emoji-clip';

const deps = portableDeps({ embeddedModel: emojiClip, vars: process.env, runtime: `bun ${Bun.version}` });
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.DESCRY_PORT ?? 8787),
  fetch: createApp(deps).fetch,
});
console.log(`Descry on ${server.url.origin}`);
