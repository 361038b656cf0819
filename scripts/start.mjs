#!/usr/bin/env node
/**
 * `npm start`: the Worker on workerd via `wrangler dev --local` (no network, no Cloudflare login),
 * in dev mode (open API: no keys), with the embedded model, and the demo page at `/` (built first
 * when a source changed: wrangler.toml `[build]`, scripts/build-web.mjs). Prints the page's URL and
 * a curl line once it is ready.
 *
 *   PORT=8787 npm start
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWranglerDev } from './wrangler-dev.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const port = process.env.PORT ?? '8787';
const base = `http://127.0.0.1:${port}`;
// A held-out OpenMoji image the embedded model ranks first among these labels.
const DEMO = {
  image: 'tests/fixtures/openmoji-eval/1F1EA-1F1F9.png',
  labels: [
    'ethiopia flag',
    'man in tuxedo (person in tuxedo)',
    'circled ideograph congratulation',
    'i love you hand sign',
  ],
};

for (const file of ['models/emoji-clip/onnx/vision_model.onnx', 'models/emoji-clip/onnx/text_model.onnx']) {
  if (!existsSync(join(root, file))) {
    console.error(`missing ${file}: the embedded model is not in this checkout`);
    process.exit(1);
  }
}

const child = startWranglerDev({ port, vars: { DESCRY_CORS_ORIGINS: '*' } });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

async function ready() {
  for (;;) {
    if (child.exitCode !== null) return false;
    try {
      const response = await fetch(`${base}/healthz?ready=1`);
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

if (await ready()) {
  const labels = DEMO.labels.join(',');
  console.log(`
Descry is running on ${base} (dev mode: no API key needed).

  Try it in your browser: ${base}/
  API docs:               ${base}/docs

  curl -s -X POST ${base}/v1/classify -F image=@${DEMO.image} -F labels='${labels}'
`);
}
