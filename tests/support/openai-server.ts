/**
 * A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions protocol (non-streaming),
 * for testing LLM clients without a network. Each answer is chosen by a function of the request;
 * every request is recorded.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A chat message as received. */
export interface ChatMessage {
  role: string;
  content: string | Array<{ type: string; text?: string }>;
}

/** One recorded request. */
export interface ChatRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: {
    model?: string;
    messages?: ChatMessage[];
    response_format?: { type: string; json_schema?: unknown };
    [key: string]: unknown;
  };
  /** Text of the last user message. */
  prompt: string;
  /** Whether JSON output was asked (`response_format` json_object or json_schema). */
  wantsJson: boolean;
}

/** How to answer one request. */
export type Reply =
  | { content: string; delayMs?: number }
  | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  /** Accept the request and never answer (until the server closes). */
  | { hang: true };

/** A running server. */
export interface OpenAIServer {
  /** Base URL including `/v1`. */
  baseURL: string;
  requests: ChatRequest[];
  close(): Promise<void>;
}

function textOf(message: ChatMessage | undefined): string {
  if (message === undefined) return '';
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => part.text ?? '').join('');
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/** Starts a server on an ephemeral port; `respond` picks the reply for each request. */
export async function startOpenAIServer(
  respond: (request: ChatRequest) => Reply | Promise<Reply>,
): Promise<OpenAIServer> {
  const requests: ChatRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let completions = 0;

  const server = createServer(async (request, response) => {
    const raw = await readBody(request);
    if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
      sendJson(response, 404, {
        error: { message: `No route ${request.method} ${request.url}`, type: 'not_found' },
      });
      return;
    }
    let body: ChatRequest['body'];
    try {
      body = JSON.parse(raw) as ChatRequest['body'];
    } catch {
      sendJson(response, 400, {
        error: { message: 'Request body is not JSON', type: 'invalid_request_error' },
      });
      return;
    }
    const userMessages = (body.messages ?? []).filter((m) => m.role === 'user');
    const recorded: ChatRequest = {
      path: request.url,
      headers: request.headers,
      body,
      prompt: textOf(userMessages[userMessages.length - 1]),
      wantsJson: body.response_format?.type === 'json_object' || body.response_format?.type === 'json_schema',
    };
    requests.push(recorded);
    const reply = await respond(recorded);
    if ('hang' in reply) return;
    const send = () => {
      if (response.destroyed) return;
      if ('status' in reply) {
        sendJson(
          response,
          reply.status,
          reply.body ?? { error: { message: `status ${reply.status}` } },
          reply.headers,
        );
        return;
      }
      completions += 1;
      sendJson(response, 200, {
        id: `chatcmpl-${completions}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model ?? 'test-model',
        choices: [
          { index: 0, message: { role: 'assistant', content: reply.content }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 },
      });
    };
    if (reply.delayMs === undefined) {
      send();
    } else {
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, reply.delayMs);
      timers.add(timer);
    }
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
