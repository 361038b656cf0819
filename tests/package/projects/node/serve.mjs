// The HTTP service self-hosted on Node from `descry/server`, on the embedded model by default.
//   node serve.mjs <image> <label,label,...>
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { startNodeServer } from 'descry/server';

const [imagePath, labels] = process.argv.slice(2);
const server = await startNodeServer({ port: 0, vars: { DESCRY_DEV: 'true' } });
try {
  const form = new FormData();
  form.append('image', new Blob([await readFile(imagePath)], { type: 'image/png' }), basename(imagePath));
  form.append('labels', labels);
  const response = await fetch(`${server.url}/v1/classify`, { method: 'POST', body: form });
  const body = await response.json();
  console.log(
    JSON.stringify({
      status: response.status,
      model: body.model,
      top: body.results?.[0]?.predictions[0].label,
    }),
  );
} finally {
  await server.close();
}
