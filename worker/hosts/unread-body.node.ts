/**
 * What Node does with a request body the app answered without reading (a 413 from
 * Content-Length, a 401 before the body): it reads and discards the rest, within bounds, before
 * the answer goes out. Answering and then closing a socket whose peer is still sending makes the
 * kernel reset the connection, and a client that writes its whole body before reading (Python's
 * http.client, many SDKs, anyone sending `Connection: close`) then gets a broken pipe instead of
 * the answer. @hono/node-server's own cleanup drains for 500 ms and 64 MB after answering, too
 * little for a slow uplink, and Node closes at once when the client asked for `Connection: close`;
 * so it is turned off where this is used, and the app's answer waits for the body instead.
 */
import type { IncomingMessage } from 'node:http';
import type { Http2Bindings, HttpBindings } from '@hono/node-server';

/** Bounds of the drain; past either the answer goes out anyway and the connection closes. */
export interface DrainOptions {
  /** Most bytes read and discarded. Default 1 GiB. */
  maxBytes?: number;
  /** Longest time spent draining. Default 30 s (nginx's lingering_time). */
  maxMs?: number;
}

/** Read `request` to its end, discarding the bytes; resolves false when a bound stopped it first. */
export function drainBody(
  request: IncomingMessage,
  { maxBytes = 2 ** 30, maxMs = 30_000 }: DrainOptions = {},
): Promise<boolean> {
  if (request.readableEnded || request.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    let read = 0;
    const finish = (complete: boolean) => {
      clearTimeout(timer);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      resolve(complete);
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onError = () => finish(false);
    const timer = setTimeout(() => finish(false), maxMs);
    // The app's Request may have wrapped the stream (Readable.toWeb, when hono/body-limit looked
    // at `body`); nobody reads that wrapper any more, and its backpressure would pause the drain.
    request.removeAllListeners('data');
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', onError);
    request.resume();
  });
}

/** `app.fetch` for @hono/node-server, answering only once the request body has been read. */
export function fetchAfterBody(
  app: { fetch(request: Request, env: HttpBindings | Http2Bindings): Response | Promise<Response> },
  options: DrainOptions = {},
) {
  return async (request: Request, env: HttpBindings | Http2Bindings): Promise<Response> => {
    const response = await app.fetch(request, env);
    // HTTP/2 streams are reset on their own without harming the connection. An answer that closes
    // the connection (a 408 to a client too slow to send its body) is not held back by a drain.
    if ('stream' in env.incoming || response.headers.get('Connection') === 'close') return response;
    if (await drainBody(env.incoming, options)) return response;
    // Still sending past the bounds: answer, and do not read what follows as another request.
    const headers = new Headers(response.headers);
    headers.set('Connection', 'close');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}
