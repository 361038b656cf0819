/**
 * Lazy loading of an @jsquash decoder's wasm, shared by the WebP and JPEG decoders.
 *
 * The wasm is instantiated on the first decode, from a source chosen per runtime:
 * - Node: the default reads the .wasm from node_modules, with the reader Node's entry point
 *   installs (./wasm-files.ts), so this file imports no Node built-in;
 * - workerd: compiling wasm from bytes is forbidden, so the runtime entry point passes the module it
 *   imported (`import wasm from '.../x_dec.wasm'`) through the codec's configure hook;
 * - browsers: without a configured source, @jsquash's own loader fetches the .wasm next to its
 *   script, which is what bundlers expect.
 */
import { BackendError } from '../errors.js';
import { packageFileSource } from './wasm-files.js';

/** Supplies a decoder's wasm: a compiled module (required on workerd) or the .wasm bytes. */
export type WasmSource = () => Promise<WebAssembly.Module | ArrayBuffer | Uint8Array>;

/** The emscripten options this module overrides: stderr is captured, not printed. */
interface EmscriptenOverrides {
  printErr: (line: string) => void;
  print: (line: string) => void;
}

/** What a codec module provides, and how to tell its users to configure it. */
export interface WasmCodecSpec {
  /** Format name for messages, e.g. 'WebP'. */
  format: string;
  /** The configure function users call, named in the load-failure message. */
  configureName: string;
  /** Package path of the .wasm, resolved from node_modules in Node. */
  wasmPath: string;
  /** @jsquash's init(module, overrides): with an undefined module it fetches the .wasm itself. */
  init: (module: WebAssembly.Module | undefined, overrides: EmscriptenOverrides) => Promise<void>;
  /** Decodes a known-good image: @jsquash's init() never fails, so this is what proves the instance. */
  probe: () => Promise<unknown>;
}

/** A lazily instantiated decoder. */
export interface WasmCodec {
  /** Chooses the wasm source (`undefined`: the per-runtime default), used from the next decode on. */
  configure(source: WasmSource | undefined): void;
  /**
   * Runs `decode` on a ready instance, one decode at a time, passing the lines the decoder prints to
   * stderr meanwhile (libjpeg reports warnings there). A failed decode discards the instance: an
   * emscripten abort or exit leaves it unusable or leaking, so the next decode starts afresh.
   *
   * @throws BackendError 'backend_failed' when the wasm cannot be loaded.
   */
  run<T>(decode: (messages: readonly string[]) => Promise<T>): Promise<T>;
}

async function compile(source: WasmSource): Promise<WebAssembly.Module> {
  const supplied = await source();
  if (supplied instanceof WebAssembly.Module) return supplied;
  return WebAssembly.compile(supplied instanceof Uint8Array ? new Uint8Array(supplied) : supplied);
}

/** Creates the lazy loader of one @jsquash decoder. */
export function wasmCodec(spec: WasmCodecSpec): WasmCodec {
  let configuredSource: WasmSource | undefined;
  // The compiled module outlives instances, so discarding an instance does not re-read the source.
  let compiled: Promise<WebAssembly.Module | undefined> | undefined;
  let ready: Promise<void> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let messages: string[] = [];
  const overrides: EmscriptenOverrides = {
    printErr: (line) => messages.push(line),
    print: (line) => messages.push(line),
  };

  function loadFailure(cause: unknown): BackendError {
    return new BackendError(
      'backend_failed',
      `The ${spec.format} decoder (wasm) failed to load; on workerd pass the imported module to ${spec.configureName}().`,
      { cause },
    );
  }

  async function instantiate(): Promise<void> {
    const source = configuredSource ?? packageFileSource(spec.wasmPath);
    compiled ??= source === undefined ? Promise.resolve(undefined) : compile(source);
    try {
      await spec.init(await compiled, overrides);
      await spec.probe();
    } catch (cause) {
      compiled = undefined;
      throw cause;
    }
  }

  function ensureReady(): Promise<void> {
    ready ??= instantiate().catch((cause: unknown) => {
      ready = undefined;
      throw loadFailure(cause);
    });
    return ready;
  }

  async function runOne<T>(decode: (messages: readonly string[]) => Promise<T>): Promise<T> {
    await ensureReady();
    messages = [];
    try {
      return await decode(messages);
    } catch (error) {
      ready = undefined;
      throw error;
    }
  }

  return {
    configure(source) {
      configuredSource = source;
      compiled = undefined;
      ready = undefined;
    },
    run(decode) {
      const result = queue.then(() => runOne(decode));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
