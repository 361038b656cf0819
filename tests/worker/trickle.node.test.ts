/**
 * Slow clients on the Node server, over real sockets on 127.0.0.1 (issue 18, "Slow clients"): 16
 * sockets send `POST /v1/classify` headers and then trickle their bodies a byte at a time, twice
 * as many as DESCRY_MAX_PENDING_REQUESTS. Meanwhile an ordinary classify and /healthz are answered
 * (the tricklers hold no inference slot: the body is read before admission), and once
 * DESCRY_BODY_TIMEOUT_MS has passed each trickler gets 408 `request_timeout` as problem+json and
 * its connection is closed.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startNodeServer } from '../../worker/hosts/node-server.node.js';
import { base64, solidPng } from './support/synthetic-images.js';
import { TEST_KEYS, TEST_VARS } from './support/test-vars.js';

const AUTH = { Authorization: `Bearer ${TEST_KEYS[0]}`, 'Content-Type': 'application/json' };
const BODY_TIMEOUT_MS = 2000;
const SOCKETS = 16;
const classifyBody = JSON.stringify({ images: [base64(solidPng(8, 8))], labels: ['cat', 'dog'] });

/** What came back on a raw socket: status line, headers, body, and when the answer arrived. */
interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  afterMs: number;
}

/**
 * A client on a socket of its own that sends the headers of `body` at once and then one byte of it
 * every `everyMs`; resolves with the answer once the server closes the connection.
 */
function trickle(url: string, body: string, everyMs: number): { answer: Promise<RawAnswer>; stop(): void } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const bytes = Buffer.from(body);
  const head = Object.entries({ ...AUTH, Host: hostname, 'Content-Length': String(bytes.length) })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const started = performance.now();
  socket.write(`POST /v1/classify HTTP/1.1\r\n${head}\r\n`);
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < bytes.length && socket.writable) socket.write(bytes.subarray(sent, ++sent));
  }, everyMs);
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    let text = '';
    let afterMs = Number.NaN;
    socket.on('data', (chunk: Buffer) => {
      if (text === '') afterMs = performance.now() - started;
      text += chunk.toString('utf8');
    });
    // The server may reset the connection after answering; what it answered is what counts.
    socket.on('error', (error) => {
      if (text === '') reject(error);
    });
    socket.on('close', () => {
      clearInterval(timer);
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
        }),
      );
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0),
        headers,
        body: rest.join('\r\n\r\n'),
        afterMs,
      });
    });
  });
  return {
    answer,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

describe('slow clients on the Node server', () => {
  it('answers classify and /healthz while 16 sockets trickle bodies, then gives the tricklers 408 problem+json', async () => {
    const server = await startNodeServer({
      port: 0,
      vars: {
        ...TEST_VARS,
        DESCRY_BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS),
        DESCRY_MAX_PENDING_REQUESTS: '8',
      },
    });
    const tricklers = Array.from({ length: SOCKETS }, () => trickle(server.url, classifyBody, 50));
    try {
      // Every trickler has sent its headers and some of its body.
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (let i = 0; i < 3; i++) {
        const health = await fetch(`${server.url}/healthz`);
        expect(health.status).toBe(200);
        const classify = await fetch(`${server.url}/v1/classify`, {
          method: 'POST',
          headers: AUTH,
          body: classifyBody,
        });
        expect(classify.status, await classify.clone().text()).toBe(200);
        const { results } = (await classify.json()) as { results: Array<{ predictions: unknown[] }> };
        expect(results[0]!.predictions).toHaveLength(2);
      }
      const answers = await Promise.all(tricklers.map((t) => t.answer));
      for (const answer of answers) {
        expect(answer.status, answer.body).toBe(408);
        expect(answer.headers['content-type']).toBe('application/problem+json');
        expect(answer.headers.connection).toBe('close');
        expect(JSON.parse(answer.body)).toMatchObject({
          status: 408,
          code: 'request_timeout',
          limit_ms: BODY_TIMEOUT_MS,
        });
        // Not before the body timeout, and not long after it (the machine may be busy).
        expect(answer.afterMs).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 50);
        expect(answer.afterMs).toBeLessThan(BODY_TIMEOUT_MS + 5000);
      }
      // And the service is as it was.
      const after = await fetch(`${server.url}/v1/classify`, {
        method: 'POST',
        headers: AUTH,
        body: classifyBody,
      });
      expect(after.status).toBe(200);
    } finally {
      for (const t of tricklers) t.stop();
      await server.close();
    }
  });
});
