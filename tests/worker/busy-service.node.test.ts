/** The service under load on Node: a real server on 127.0.0.1 per case (see support/busy-service-contract.ts). */
import { connect } from 'node:net';
import { describe } from 'vitest';
import { startNodeServer } from '../../worker/hosts/node-server.node.js';
import { busyServiceContract, type HeldRequest, JSON_AUTH } from './support/busy-service-contract.js';
import { TEST_VARS } from './support/test-vars.js';

/** Headers now over a socket of its own, the body on release: what a slow uplink looks like. */
function hold(url: string, path: string, text: string): HeldRequest {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const body = Buffer.from(text);
  const headers = Object.entries({ ...JSON_AUTH, Host: hostname, 'Content-Length': String(body.length) })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.write(`POST ${path} HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`);
  const status = new Promise<number>((resolve, reject) => {
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
  });
  return { status, release: () => socket.write(body) };
}

describe('the service under load on Node', () => {
  busyServiceContract(async (vars) => {
    const server = await startNodeServer({ port: 0, vars: { ...TEST_VARS, ...vars } });
    return {
      fetch: (path, init) => fetch(`${server.url}${path}`, init),
      hold: (path, text) => hold(server.url, path, text),
      close: () => server.close(),
    };
  });
});
