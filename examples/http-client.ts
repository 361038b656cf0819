/**
 * A typed client for the Descry service with hono/client: request and response types come from
 * the app itself (`AppType`), so a renamed field is a compile error here, not a runtime surprise.
 *
 *   DESCRY_URL=http://127.0.0.1:8787 DESCRY_API_KEY=... npx tsx examples/http-client.ts image.png cat dog pizza
 */
import { readFile } from 'node:fs/promises';
import { hc } from 'hono/client';
import type { AppType } from '../worker/http/app.js';

const baseUrl = process.env.DESCRY_URL ?? 'http://127.0.0.1:8787';
const apiKey = process.env.DESCRY_API_KEY;
const [imagePath, ...labels] = process.argv.slice(2);
if (!imagePath || labels.length === 0) {
  console.error('usage: http-client.ts <image> <label> [<label>...]');
  process.exit(2);
}

const client = hc<AppType>(baseUrl, {
  headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {},
});

const health = await client.healthz.$get({ query: { ready: '1' } });
console.log('model:', (await health.json()).model?.id);

const image = (await readFile(imagePath)).toString('base64');
// The route accepts JSON or multipart, so its input type names both; send JSON only.
const response = await client.v1.classify.$post({
  json: { images: [image], labels, top_k: 3 },
  form: undefined as never,
});
if (!response.ok) {
  // Errors are RFC 9457 problem+json with a stable `code`.
  console.error(response.status, await response.text());
  process.exit(1);
}
const { results, timings_ms } = await response.json();
for (const prediction of results[0]?.predictions ?? []) {
  console.log(`${prediction.label.padEnd(24)} ${(prediction.score * 100).toFixed(1)}%`);
}
console.log(`(${timings_ms.total} ms)`);
