// The service under Deno, from the installed package: `deno run -A serve.mjs` (DESCRY_* variables
// from the environment, e.g. DESCRY_DEV=true to try it without keys).
import { createApp, portableDeps } from 'descry/app';
import emojiClip from 'descry/models/emoji-clip';

const deps = portableDeps({
  embeddedModel: emojiClip,
  vars: Deno.env.toObject(),
  runtime: `deno ${Deno.version.deno}`,
});
Deno.serve(
  {
    hostname: '127.0.0.1',
    port: Number(Deno.env.get('DESCRY_PORT') ?? 8787),
    onListen: ({ port }) => console.log(`Descry on http://127.0.0.1:${port}`),
  },
  createApp(deps).fetch,
);
