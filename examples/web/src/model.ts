/**
 * Loading the model for the page: `DescryWorker.load` on the model's URL, which runs Descry in a Web
 * Worker (descry.worker.ts): the page's thread never waits for decoding or ONNX Runtime, so it stays
 * responsive while a photo-scale model works (bench/browser.ts measures its longest task). The
 * worker downloads each file once and keeps it in the Cache API, then embeds one tiny text and
 * image, so that both encoders (and ONNX Runtime's wasm) are ready before the first real click and
 * the progress bar covers all of it. Served cross-origin isolated (the build's `_headers`), ONNX
 * Runtime uses WebAssembly threads in the worker.
 */
import { DescryWorker, type DownloadProgress } from 'descry';

/** Download progress over every file started so far. */
export interface LoadProgress {
  loaded: number;
  /** Undefined when some file's size is unknown and no expected size was given. */
  total: number | undefined;
}

/** A ready model and how it got here. */
export interface LoadedModel {
  descry: DescryWorker;
  /** From the call to ready encoders, in milliseconds. */
  ms: number;
  /** Bytes downloaded; 0 when every file came from the Cache API. */
  downloaded: number;
}

/**
 * Load the model under `url` and warm both encoders, reporting download progress. `expectedBytes`,
 * when known, is the total: servers that compress send no Content-Length, and the files start one
 * after another, so the sum of the sizes seen so far would run ahead.
 */
export async function loadModel(
  url: string,
  onProgress: (progress: LoadProgress) => void,
  expectedBytes?: number,
): Promise<LoadedModel> {
  const start = performance.now();
  const files = new Map<string, DownloadProgress>();
  const report = (progress: DownloadProgress) => {
    files.set(progress.file, progress);
    let loaded = 0;
    let total: number | undefined = 0;
    for (const file of files.values()) {
      loaded += file.loaded;
      total = total === undefined || file.total === undefined ? undefined : total + file.total;
    }
    if (expectedBytes) total = expectedBytes;
    onProgress({ loaded, total: total === undefined ? undefined : Math.max(total, loaded) });
  };
  const descry = await DescryWorker.load(url, {
    onProgress: report,
    worker: () => new Worker(new URL('./descry.worker.ts', import.meta.url), { type: 'module' }),
  });
  const blank = { width: 1, height: 1, data: new Uint8Array([255, 255, 255, 255]) };
  await Promise.all([descry.embedTexts(['an emoji']), descry.embedImages([blank])]);
  const downloaded = [...files.values()].reduce((sum, file) => sum + file.loaded, 0);
  return { descry, ms: performance.now() - start, downloaded };
}
