/**
 * What an operator sees (docs/service.md, "Operations"): the access-log line of one classify
 * request and a few of the Prometheus series at GET /metrics, from the Node server with an API key.
 * The block in the docs is checked by tests/package/readme.node.test.ts for its text, with any
 * numbers (durations and counts change from run to run).
 *
 *   npx tsx examples/operations.ts
 */
import { readFile } from 'node:fs/promises';
import { startNodeServer } from 'descry/server';

const KEY = 'ops-example-key';
const lines: string[] = [];
const server = await startNodeServer({
  port: 0,
  vars: { DESCRY_API_KEYS: KEY },
  log: (line) => lines.push(line), // default: stdout
});
const auth = { Authorization: `Bearer ${KEY}` };

const form = new FormData();
const png = await readFile('tests/fixtures/openmoji-eval/2B50.png');
form.append('image', new Blob([png], { type: 'image/png' }), 'star.png');
form.append('labels', 'star,clock,yum');
const answer = await fetch(`${server.url}/v1/classify`, {
  method: 'POST',
  headers: { ...auth, 'X-Request-Id': 'example-request-1' },
  body: form,
});
await answer.arrayBuffer();

const exposition = await (await fetch(`${server.url}/metrics`, { headers: auth })).text();
console.log(lines.find((line) => line.includes('example-request-1')));
const shown =
  /^descry_(http_requests_total|inference_queue_depth|inference_wait_seconds_count|model_load_seconds|refused_total|job_events_total)[{ ]/;
console.log(
  exposition
    .split('\n')
    .filter((line) => shown.test(line))
    .join('\n'),
);

await server.close();
