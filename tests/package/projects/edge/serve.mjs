// Runs the bundled script (dist/app.js) in Vercel's Edge runtime (the `edge-runtime` package: the
// Edge Functions' web APIs in a V8 context, no eval) behind a local HTTP server.
//   node serve.mjs   (DESCRY_* variables from the environment)
import { readFile } from 'node:fs/promises';
import { EdgeRuntime, runServer } from 'edge-runtime';

const initialCode = await readFile(new URL('./dist/app.js', import.meta.url), 'utf8');
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('DESCRY_')));
const runtime = new EdgeRuntime({
  initialCode,
  extend: (context) => Object.assign(context, { process: { env } }),
});
const server = await runServer({ runtime, host: '127.0.0.1', port: Number(process.env.DESCRY_PORT ?? 8787) });
console.log(`Descry on ${server.url}`);
