/**
 * CPU time of a Worker isolate as Workers count it (time on the CPU, not waiting for I/O), from a V8
 * CPU profile taken through the isolate's inspector: the profile's samples cover the whole wall
 * time, and those in V8's "(idle)" node are the isolate waiting. Local workerd keeps no CPU
 * accounting of its own (its server reports 0 ms of CPU time to tail workers; workerd PR #3152),
 * so the profile is the measure. Samples are also attributed to the part of the request path they
 * ran in, from the module each frame belongs to in the bundle (esbuild writes a `// path` line
 * before each module's code); wasm frames count for the JavaScript that called them.
 */

/** The inspector calls this module needs (bench/isolate-memory.mjs's connection). */
export interface Inspector {
  call(method: string, params?: Record<string, unknown>): Promise<{ result: Record<string, unknown> }>;
  on(listener: (message: { method: string; params: Record<string, unknown> }) => void): () => void;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; scriptId: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Parts of the request path, by the module a frame is in. */
export const PARTS = ['decode', 'resize', 'encoder', 'scoring', 'service', 'gc', 'other'] as const;
export type Part = (typeof PARTS)[number];

const MODULE_PARTS: [RegExp, Part][] = [
  [/sdk\/image\/(resize|preprocess|crop|background|kernels|rgba)\.ts$|sdk\/image\/wasm\//, 'resize'],
  [/sdk\/image\/|@jsquash|@cwasm|jpeg-js|fflate|fast-png|pngjs/, 'decode'],
  [/onnxruntime|sdk\/engine\//, 'encoder'],
  [/sdk\/predictors\/|sdk\/methods\/|sdk\/math\/|sdk\/classifier\//, 'scoring'],
  [/worker\/|hono|zod|sdk\//, 'service'],
];

/** Where each module of a bundle starts, to map a frame's line to its module. */
export class ModuleMap {
  readonly #scripts = new Map<string, { starts: number[]; paths: string[] }>();

  /** Read the sources of the scripts the isolate has parsed (Debugger domain). */
  static async read(inspector: Inspector): Promise<ModuleMap> {
    const map = new ModuleMap();
    const ids: string[] = [];
    const stop = inspector.on((message) => {
      if (message.method === 'Debugger.scriptParsed') ids.push(String(message.params.scriptId));
    });
    await inspector.call('Debugger.enable');
    stop();
    for (const id of ids) {
      const { result } = await inspector.call('Debugger.getScriptSource', { scriptId: id });
      const lines = String(result.scriptSource ?? '').split('\n');
      const starts: number[] = [];
      const paths: string[] = [];
      lines.forEach((line, i) => {
        const match = /^\/\/ (\S+\.(?:ts|js|mjs|cjs|json))$/.exec(line);
        if (match) {
          starts.push(i);
          paths.push(match[1]!);
        }
      });
      if (starts.length) map.#scripts.set(id, { starts, paths });
    }
    await inspector.call('Debugger.disable');
    return map;
  }

  /** The bundle module of a frame, if its script is a bundle. */
  moduleOf(scriptId: string, line: number): string | undefined {
    const script = this.#scripts.get(scriptId);
    if (!script) return undefined;
    let lo = 0;
    let hi = script.starts.length - 1;
    if (line < script.starts[0]!) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (script.starts[mid]! <= line) lo = mid;
      else hi = mid - 1;
    }
    return script.paths[lo];
  }
}

/** CPU time of one profile, in ms, in all and per part. */
export interface CpuTime {
  cpuMs: number;
  wallMs: number;
  parts: Record<Part, number>;
}

/** Start sampling every `intervalUs` microseconds. */
export async function startProfile(inspector: Inspector, intervalUs = 200): Promise<void> {
  await inspector.call('Profiler.enable');
  await inspector.call('Profiler.setSamplingInterval', { interval: intervalUs });
  await inspector.call('Profiler.start');
}

/** Stop sampling and add the profile up. */
export async function stopProfile(inspector: Inspector, modules: ModuleMap | undefined): Promise<CpuTime> {
  const { result } = await inspector.call('Profiler.stop');
  const profile = result.profile as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const partOf = new Map<number, Part | 'idle'>();
  const classify = (id: number): Part | 'idle' => {
    const known = partOf.get(id);
    if (known) return known;
    let part: Part | 'idle' | undefined;
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    if (name === '(idle)') part = 'idle';
    else if (name === '(garbage collector)') part = 'gc';
    else if (name === '(program)' || name === '(root)') part = 'other';
    else {
      // The nearest frame, from this one up, whose module says what it is.
      for (let at: number | undefined = id; at !== undefined && !part; at = parent.get(at)) {
        const frame = byId.get(at)!.callFrame;
        const module = modules?.moduleOf(frame.scriptId, frame.lineNumber) ?? frame.url;
        part = MODULE_PARTS.find(([pattern]) => pattern.test(module))?.[1];
      }
    }
    partOf.set(id, part ?? 'other');
    return part ?? 'other';
  };
  const parts = Object.fromEntries(PARTS.map((p) => [p, 0])) as Record<Part, number>;
  let cpu = 0;
  let wall = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    wall += ms;
    const part = classify(id);
    if (part === 'idle') return;
    cpu += ms;
    parts[part] += ms;
  });
  return { cpuMs: cpu, wallMs: wall, parts };
}
