/**
 * Loading the model in the page: `Descry.load` on the model's URL, which downloads each file once
 * and keeps it in the Cache API, then one tiny text and image each, so that both encoders (and ONNX
 * Runtime's wasm) are ready before the first real click and the progress bar covers all of it.
 */
import { Descry, type DownloadProgress } from 'descry';

/** Download progress over every file started so far. */
export interface LoadProgress {
  loaded: number;
  /** Undefined when some file's size is unknown and no expected size was given. */
  total: number | undefined;
}

/** A ready model and how it got here. */
export interface LoadedModel {
  descry: Descry;
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
  const descry = await Descry.load(url, { onProgress: report });
  const blank = { width: 1, height: 1, data: new Uint8Array([255, 255, 255, 255]) };
  await Promise.all([descry.embedTexts(['an emoji']), descry.embedImages([blank])]);
  const downloaded = [...files.values()].reduce((sum, file) => sum + file.loaded, 0);
  return { descry, ms: performance.now() - start, downloaded };
}
