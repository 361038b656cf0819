/**
 * What bench/abuse.ts and bench/abuse-soak.ts share: the hosts as they start them (with bench keys,
 * the Worker's inspector connected), the hostile inputs (progressive JPEGs, PNG bombs, trickling
 * sockets, raw requests), the streams that run beside a case (/healthz and small classify
 * requests) and the peak memory meanwhile, and the Markdown table.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createDeflate } from 'node:zlib';
import sharp from 'sharp';
import { minimumDecodeSize } from '../sdk/image/preprocess.js';
import { parsePreprocessorConfig } from '../sdk/image/preprocessor-config.js';
import { probeImage } from '../sdk/image/probe.js';
import { readServiceConfig } from '../worker/service/config.js';
// @ts-expect-error: a script in plain JavaScript
import { connectIsolate } from './isolate-memory.mjs';
// @ts-expect-error: a script in plain JavaScript
import { memory, resetPeak, root, startNode, startWorkerd } from './service-hosts.mjs';

export type Host = 'node' | 'workerd';

/** Keys the bench hosts accept: `a` attacks, `b` is the bystander, `c` the small-classify stream. */
export const BENCH_KEYS = ['bench-key-a', 'bench-key-b', 'bench-key-c', 'bench-key-d'];

const smallPng = readFileSync(join(root, 'tests/fixtures/openmoji-eval/1F453.png'));
/** One OpenMoji fixture, base64: the small request beside every case. */
export const SMALL = smallPng.toString('base64');

export function classify(base: string, images: string[], labels: string[], key = 'bench-key-c') {
  return fetch(`${base}/v1/classify`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
    body: JSON.stringify({ images, labels }),
  });
}

// ---- images ------------------------------------------------------------------------------------

const cache = join(root, 'bench/.images/abuse');

function cached(name: string, make: () => Promise<Uint8Array>): Promise<Uint8Array> {
  const file = join(cache, name);
  if (existsSync(file)) return Promise.resolve(new Uint8Array(readFileSync(file)));
  return make().then((bytes) => {
    mkdirSync(cache, { recursive: true });
    writeFileSync(file, bytes);
    return bytes;
  });
}

/** A flat-colour progressive JPEG of `side`² (sharp, libjpeg-turbo, 4:2:0): large, small file. */
export function progressiveJpeg(side: number): Promise<Uint8Array> {
  return cached(`progressive-${side}.jpg`, async () => {
    const buffer = await sharp({
      create: { width: side, height: side, channels: 3, background: { r: 90, g: 140, b: 60 } },
      limitInputPixels: false,
    })
      .jpeg({ progressive: true, quality: 75 })
      .toBuffer();
    return new Uint8Array(buffer);
  });
}

/**
 * The largest side of such a JPEG that `count` of in one request still fit the image budgets
 * (../worker/service/budgets.ts), as the service's own probe costs them for the embedded model.
 */
export async function largestAcceptedProgressiveSide(
  vars: Record<string, string>,
  count: number,
): Promise<number> {
  // The service's own reading of `vars`, defaults included (worker/service/config.ts).
  const limits = readServiceConfig(vars).limits;
  const image = limits.maxImageDecodeBytes;
  const request = limits.maxRequestDecodeBytes;
  const pixels = limits.maxImagePixels;
  const requestPixels = limits.maxRequestPixels;
  // The embedded model's input size: a large JPEG is decoded at the DCT scale that still covers it.
  const minSize = minimumDecodeSize(
    parsePreprocessorConfig(
      JSON.parse(readFileSync(join(root, 'models/emoji-clip/preprocessor_config.json'), 'utf8')),
    ),
  );
  const fits = (bytes: Uint8Array) => {
    const probe = probeImage(bytes, { minSize });
    const decoded = probe.decoded.width * probe.decoded.height;
    return (
      probe.decoderBytes <= image &&
      probe.decoderBytes * count <= request &&
      decoded <= pixels &&
      decoded * count <= requestPixels
    );
  };
  // Larger sides decode at a reduced DCT scale, so what fits is not monotonic in the side: look
  // at every side (steps of 256) with headers alone, then check the real file of the largest.
  let side = 256;
  for (let s = 512; s <= 11584; s += 256) if (fits(progressiveHeader(s))) side = s;
  while (side > 256 && !fits(await progressiveJpeg(side))) side -= 256;
  return side;
}

/** The headers of a progressive 4:2:0 JPEG of `side`², as sharp writes them, and no scans. */
export function progressiveHeader(side: number): Uint8Array {
  const sof = [0xff, 0xc2, 0x00, 0x11, 0x08, side >> 8, side & 255, side >> 8, side & 255, 0x03];
  return Uint8Array.from([
    0xff,
    0xd8,
    ...sof,
    0x01,
    0x22,
    0x00,
    0x02,
    0x11,
    0x01,
    0x03,
    0x11,
    0x01,
    0xff,
    0xd9,
  ]);
}

/**
 * A PNG bomb: `side`² of grey zeros, deflated as they stream (never held whole), a few hundred
 * KB that declare `side`² pixels.
 */
export function pngBomb(side: number): Promise<Uint8Array> {
  return cached(`bomb-${side}.png`, async () => {
    const crcTable = Array.from({ length: 256 }, (_, n) => {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      return c >>> 0;
    });
    const crc = (bytes: Buffer) => {
      let c = 0xffffffff;
      for (const b of bytes) c = crcTable[(c ^ b) & 255]! ^ (c >>> 8);
      return (c ^ 0xffffffff) >>> 0;
    };
    const chunk = (type: string, data: Buffer) => {
      const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
      const out = Buffer.alloc(body.length + 8);
      out.writeUInt32BE(data.length, 0);
      body.copy(out, 4);
      out.writeUInt32BE(crc(body), body.length + 4);
      return out;
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(side, 0);
    ihdr.writeUInt32BE(side, 4);
    ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
    const deflate = createDeflate({ level: 9 });
    const parts: Buffer[] = [];
    deflate.on('data', (part: Buffer) => parts.push(part));
    const done = new Promise((resolve) => deflate.on('end', resolve));
    const rows = Buffer.alloc((side + 1) * 64); // 64 rows of filter byte 0 and zeros
    for (let y = 0; y < side; y += 64) {
      if (!deflate.write(y + 64 <= side ? rows : rows.subarray(0, (side - y) * (side + 1)))) {
        await new Promise((resolve) => deflate.once('drain', resolve));
      }
    }
    deflate.end();
    await done;
    const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    return new Uint8Array(
      Buffer.concat([
        signature,
        chunk('IHDR', ihdr),
        chunk('IDAT', Buffer.concat(parts)),
        chunk('IEND', Buffer.alloc(0)),
      ]),
    );
  });
}

// ---- raw sockets -------------------------------------------------------------------------------

/** What came back on a socket: status (0 when none, -1 on a reset before any answer), type, time. */
export interface RawAnswer {
  status: number;
  type: string;
  ms: number;
  body: string;
}

function readAnswer(socket: ReturnType<typeof connect>, started: number): Promise<RawAnswer> {
  return new Promise((resolve) => {
    let text = '';
    let ms = Number.NaN;
    const finish = () => {
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? (text === '' ? -1 : 0));
      const type = /^content-type:\s*([^\r\n;]+)/im.exec(head)?.[1] ?? '';
      resolve({ status, type, ms: Number.isNaN(ms) ? performance.now() - started : ms, body: rest.join('') });
    };
    socket.on('data', (chunk: Buffer) => {
      if (text === '') ms = performance.now() - started;
      text += chunk.toString('latin1');
      // One answer is enough: stop at the end of its body when the length is known.
      const head = text.indexOf('\r\n\r\n');
      const length = /^content-length:\s*(\d+)/im.exec(text.slice(0, head))?.[1];
      if (head >= 0 && length !== undefined && text.length >= head + 4 + Number(length)) {
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', finish);
  });
}

/** One request line and headers, no body, on a socket of its own. */
export function rawRequest(base: string, line: string, headers: Record<string, string>): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  const head = Object.entries({ Host: `${hostname}:${port}`, ...headers, Connection: 'close' })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const started = performance.now();
  socket.write(`${line}\r\n${head}\r\n`);
  return readAnswer(socket, started);
}

/** POST `body` to `path`: headers at once, then one byte every `everyMs` until answered. */
export function trickle(
  base: string,
  path: string,
  body: string,
  everyMs: number,
  key: string,
): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  const bytes = Buffer.from(body);
  const started = performance.now();
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${key}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${bytes.length}\r\n\r\n`,
  );
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < bytes.length && socket.writable) socket.write(bytes.subarray(sent, ++sent));
  }, everyMs);
  // A trickler that was never answered gives up after a minute, so the bench cannot hang.
  const giveUp = setTimeout(() => socket.destroy(), 60_000);
  return readAnswer(socket, started).finally(() => {
    clearInterval(timer);
    clearTimeout(giveUp);
  });
}

// ---- hosts -------------------------------------------------------------------------------------

/** The Worker isolate's memory through its inspector (isolate-memory.mjs). */
interface Isolate {
  during<T>(work: () => Promise<T>): Promise<{ result: T; sampled: number }>;
  wasmMemories(): Promise<number>;
  close(): void;
}

/** A host started for the bench: warm, with its memory at start and its inspector (workerd). */
export interface AbuseHost {
  name: Host;
  base: string;
  pid: number;
  isolate?: Isolate;
  idleMb: number;
  warmMb: number;
  /** Lines the host printed that say "Uncaught", so far. */
  uncaught(): number;
  /** The last 20 KB the host printed. */
  output(): string;
  stop(): Promise<void>;
}

export async function startAbuseHost(name: Host, vars: Record<string, string>): Promise<AbuseHost> {
  const withKeys = { DESCRY_API_KEYS: BENCH_KEYS.join(','), DESCRY_DEV: 'false', ...vars };
  const started = name === 'node' ? await startNode(withKeys) : await startWorkerd(withKeys);
  let uncaught = 0;
  let tail = '';
  const count = (chunk: Buffer) => {
    uncaught += chunk.toString().match(/Uncaught/g)?.length ?? 0;
    tail = (tail + chunk.toString()).slice(-20_000);
  };
  started.child.stdout.on('data', count);
  started.child.stderr.on('data', count);
  const idleMb = memory(started.pid).rss;
  const ready = await fetch(`${started.base}/healthz?ready=1`);
  if (!ready.ok) throw new Error(`${name}: /healthz?ready=1 answered ${ready.status}`);
  const warmup = await classify(started.base, [SMALL], ['cat', 'dog']);
  if (!warmup.ok)
    throw new Error(`${name}: warm-up classify answered ${warmup.status}: ${await warmup.text()}`);
  const warmMb = memory(started.pid).rss;
  const isolate: Isolate | undefined =
    started.inspector === undefined
      ? undefined
      : await connectIsolate(started.inspector, () => fetch(`${started.base}/healthz`).catch(() => {}));
  return {
    name,
    base: started.base,
    pid: started.pid,
    isolate,
    idleMb,
    warmMb,
    uncaught: () => uncaught,
    output: () => tail,
    async stop() {
      isolate?.close();
      started.stop();
      await new Promise((resolve) => started.child.once('exit', resolve));
    },
  };
}

// ---- measuring a case --------------------------------------------------------------------------

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Fire `call` every `everyMs` (open loop) until stopped: latencies and statuses of the answers. */
export function stream(call: () => Promise<Response>, everyMs: number) {
  const latencies: number[] = [];
  const statuses = new Map<string, number>();
  const pending: Promise<void>[] = [];
  const count = (status: string) => {
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  };
  const timer = setInterval(() => {
    const started = performance.now();
    pending.push(
      call().then(
        async (response) => {
          const text = await response.text();
          latencies.push(performance.now() - started);
          const code =
            response.status >= 500 ? codeOf(response.headers.get('content-type') ?? '', text) : undefined;
          count(`${response.status}${code ? ` ${code}` : ''}`);
        },
        (error: Error) => count(`error ${error.cause ? (error.cause as Error).message : error.message}`),
      ),
    );
  }, everyMs);
  return async () => {
    clearInterval(timer);
    await Promise.all(pending);
    return { latencies, statuses };
  };
}

/** What one case saw. */
export class CaseResult {
  readonly statuses = new Map<string, number>();
  /** Slowest 4xx and 2xx, in ms. */
  slowestRefusal = 0;
  slowestAnswer = 0;
  /** Refusals whose type was not problem+json. */
  readonly untyped = new Map<string, number>();
  readonly notes: string[] = [];
  health = { latencies: [] as number[], statuses: new Map<string, number>() };
  small = { latencies: [] as number[], statuses: new Map<string, number>() };
  peakMb = 0;
  isolateSampled?: number;
  uncaught = 0;

  /** `code`: the problem's code, shown beside server errors (which must not happen). */
  record(status: number, ms: number, type: string, code?: string): void {
    const key =
      status === -1
        ? 'reset'
        : status === 0
          ? 'no answer'
          : `${status}${status >= 500 && code ? ` ${code}` : ''}`;
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
    if (status >= 400 && status < 500) {
      this.slowestRefusal = Math.max(this.slowestRefusal, ms);
      if (type !== 'application/problem+json') this.untyped.set(`${status} ${type || 'no type'}`, 1);
    } else if (status >= 200 && status < 300) {
      this.slowestAnswer = Math.max(this.slowestAnswer, ms);
    }
  }

  /** Send one request and record it. */
  async timed(call: () => Promise<Response>): Promise<void> {
    const started = performance.now();
    try {
      const response = await call();
      const text = await response.text();
      const type = response.headers.get('content-type')?.split(';')[0] ?? '';
      this.record(response.status, performance.now() - started, type, codeOf(type, text));
    } catch {
      this.record(-1, performance.now() - started, '');
    }
  }

  note(text: string): void {
    this.notes.push(text);
  }

  /** Any 5xx seen by the case or by the streams beside it. */
  fiveHundreds(): number {
    return this.#count((status) => /^5\d\d\b/.test(status));
  }

  /** Of those, 503 `overloaded`: the inference gate's designed refusal (with Retry-After). */
  overloaded(): number {
    return this.#count((status) => status === '503 overloaded');
  }

  #count(match: (status: string) => boolean): number {
    let n = 0;
    for (const map of [this.statuses, this.health.statuses, this.small.statuses]) {
      for (const [status, count] of map) if (match(status)) n += count;
    }
    return n;
  }

  summary(): string {
    return `${statusText(this.statuses)}; /healthz p99 ${Math.round(percentile(this.health.latencies, 99))} ms; peak ${this.peakMb.toFixed(0)} MB`;
  }
}

/** The `code` of a problem+json body. */
function codeOf(type: string, text: string): string | undefined {
  if (!type.startsWith('application/problem+json')) return undefined;
  try {
    return (JSON.parse(text) as { code?: string }).code;
  } catch {
    return undefined;
  }
}

const statusText = (statuses: Map<string, number>) =>
  [...statuses]
    .sort()
    .map(([status, n]) => `${status}×${n}`)
    .join(', ') || '–';

/** Run `work` with the /healthz and small-classify streams beside it, measuring peak memory. */
export async function withStreams(
  host: AbuseHost,
  work: (result: CaseResult) => Promise<void>,
): Promise<CaseResult> {
  const result = new CaseResult();
  const exact = resetPeak(host.pid);
  let sampled = memory(host.pid).rss;
  const sampler = setInterval(() => {
    sampled = Math.max(sampled, memory(host.pid).rss);
  }, 10);
  const uncaughtBefore = host.uncaught();
  const health = stream(() => fetch(`${host.base}/healthz`), 25);
  const small = stream(() => classify(host.base, [SMALL], ['eyeglasses', 'sushi']), 200);
  if (host.isolate) {
    const { sampled: isolate } = await host.isolate.during(() => work(result));
    result.isolateSampled = isolate;
  } else {
    await work(result);
  }
  // Let the streams see the service once the work is done, too.
  await new Promise((resolve) => setTimeout(resolve, 300));
  [result.health, result.small] = await Promise.all([health(), small()]);
  clearInterval(sampler);
  result.peakMb = exact ? memory(host.pid).peak : sampled;
  result.uncaught = host.uncaught() - uncaughtBefore;
  return result;
}

// ---- the table ---------------------------------------------------------------------------------

const ms = (v: number) => (Number.isNaN(v) ? '–' : `${Math.round(v)} ms`);

/** One row of the table; `wasmBytes` is the isolate's WebAssembly memory at the end of the run. */
export function caseRow(host: Host, name: string, r: CaseResult, wasmBytes?: number): string[] {
  const typed = r.untyped.size ? ` (not problem+json: ${[...r.untyped.keys()].join(', ')})` : '';
  return [
    host,
    name,
    `${statusText(r.statuses)}${typed}${r.notes.length ? `; ${r.notes.join('; ')}` : ''}`,
    r.slowestRefusal ? ms(r.slowestRefusal) : '–',
    r.slowestAnswer ? `${(r.slowestAnswer / 1000).toFixed(2)} s` : '–',
    `${ms(percentile(r.health.latencies, 50))} / ${ms(percentile(r.health.latencies, 99))} (${r.health.latencies.length})`,
    statusText(r.small.statuses),
    r.overloaded() ? `${r.fiveHundreds()} (${r.overloaded()} overloaded)` : String(r.fiveHundreds()),
    `${r.peakMb.toFixed(0)} MB`,
    r.isolateSampled === undefined
      ? '–'
      : `${((r.isolateSampled + (wasmBytes ?? 0)) / 2 ** 20).toFixed(0)} MB`,
    String(r.uncaught),
  ];
}

export const HEADER = [
  'host',
  'case',
  'statuses',
  'slowest 4xx',
  'slowest 2xx',
  '/healthz p50 / p99 (n)',
  'small classify',
  '5xx (503 overloaded)',
  'peak RSS',
  'isolate peak',
  '"Uncaught" lines',
];

/** A Markdown table with padded columns, as the repo's formatter (Biome) writes it, between `intro` and `outro` lines. */
export function formatTable(intro: string[], rows: string[][], outro: string[], header = HEADER): string {
  const widths = header.map((_, c) => Math.max(3, ...[header, ...rows].map((row) => row[c]!.length)));
  const line = (row: string[]) => `| ${row.map((text, c) => text.padEnd(widths[c]!)).join(' | ')} |`;
  const rule = `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`;
  return [...intro, line(header), rule, ...rows.map(line), ...outro].join('\n');
}
