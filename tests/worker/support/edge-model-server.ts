/**
 * The photo-scale model of the edge tests (tests/worker/edge-model.workerd.test.ts), served to
 * workerd from Node over HTTP on 127.0.0.1: workerd has no file system, and the encoders (12 to 45
 * MB) are too large to pass as provided values. Started by the global setup; the work happens on
 * the first GET /prepare, so that only a run that includes the edge tests pays for it:
 * - the model: a MobileCLIP-S0-shaped one with random weights (bench/models/make_mobileclip_s0.py)
 *   and its int8 vision encoders (make_edge_variants.py), generated with Debian's Python into
 *   tests/.generated/ (tests/support/generated-model.ts: reused while the generators are unchanged,
 *   never committed);
 * - a classifier compiled from it in Node (onnxruntime-node, float32 text encoder), as the
 *   `descry compile` of a deployment would, and the embeddings and predictions onnxruntime-node
 *   gives for the test photos with each vision encoder: what the Worker must agree with.
 * GET /files/<path> serves the model's files (and /emoji/<path> the embedded model's, an encoder
 * of another input size).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, normalize } from 'node:path';
import { generatedModel } from '../../support/generated-model.js';

/** What GET /prepare answers. */
export interface EdgeModelReference {
  /** Model files under /files/. */
  files: { config: string; preprocessor: string; encoders: Record<EdgeVariant, string> };
  /** A classifier compiled in Node, base64. */
  classifier: string;
  labels: string[];
  images: Array<{ name: string; base64: string }>;
  /** onnxruntime-node's L2-normalised image embeddings per variant, one row per image. */
  embeddings: Record<EdgeVariant, number[][]>;
  /** onnxruntime-node's predictions (label, cosine) per variant and image, best first. */
  predictions: Record<EdgeVariant, Array<Array<{ label: string; cosine: number }>>>;
}

export type EdgeVariant = 'fp32' | 'int8w';

export const EDGE_VARIANTS: Record<EdgeVariant, string> = {
  fp32: 'onnx/vision_model.onnx',
  int8w: 'onnx/vision_model_int8w.onnx',
};

const LABELS = ['cat', 'dog', 'pizza', 'rocket', 'red apple', 'bicycle', 'eyeglasses', 'sushi'];
const TEMPLATE = 'a photo of a {}.';
/** Committed photos (JPEG 4:4:4 and 4:2:0) and a transparent PNG. */
const IMAGES = ['photo_444_160x120.jpg', 'photo_420_150x100.jpg', 'alpha_ramp_256x256.png'];
async function reference(root: string, folder: string): Promise<EdgeModelReference> {
  // The Node entry point, as `descry compile` uses it (imported here, not at the top: the global
  // setup of every project loads this file, and only the edge tests need the SDK).
  const { Descry, ortNodeBackend } = await import('../../../sdk/node.js');
  const backend = await ortNodeBackend();
  if (!backend) throw new Error('onnxruntime-node is not installed');
  const text = await Descry.load(folder, { backend });
  const classifier = await text.compile({ labels: LABELS, templates: [TEMPLATE] });
  const bytes = classifier.toBytes();
  // What the Worker loads: the stored (float16) classifier.
  const stored = text.loadClassifier(bytes);
  const images = IMAGES.map((name) => ({
    name,
    bytes: new Uint8Array(readFileSync(join(root, 'tests', 'fixtures', 'preprocess', name))),
  }));
  const embeddings = {} as EdgeModelReference['embeddings'];
  const predictions = {} as EdgeModelReference['predictions'];
  for (const variant of Object.keys(EDGE_VARIANTS) as EdgeVariant[]) {
    const model = await Descry.load(folder, { backend, visionDtype: variant });
    const matrix = await model.embedImages(images.map((image) => image.bytes));
    embeddings[variant] = Array.from({ length: matrix.rows }, (_, i) =>
      Array.from(matrix.data.subarray(i * matrix.cols, (i + 1) * matrix.cols)),
    );
    const results = await model.classifyEmbeddings(matrix, stored);
    predictions[variant] = results.map((result) =>
      result.predictions.map((p) => ({ label: p.label, cosine: p.cosine })),
    );
  }
  return {
    files: {
      config: 'config.json',
      preprocessor: 'preprocessor_config.json',
      encoders: { ...EDGE_VARIANTS },
    },
    classifier: Buffer.from(bytes).toString('base64'),
    labels: LABELS,
    images: images.map((image) => ({
      name: image.name,
      base64: Buffer.from(image.bytes).toString('base64'),
    })),
    embeddings,
    predictions,
  };
}

/** Start the server; resolves with its base URL and a function that stops it. */
export async function startEdgeModelServer(root: string): Promise<{ url: string; close(): Promise<void> }> {
  let prepared: Promise<EdgeModelReference> | undefined;
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const fail = (status: number, error: unknown) => {
      response.writeHead(status, { 'Content-Type': 'text/plain' });
      response.end(error instanceof Error ? (error.stack ?? error.message) : String(error));
    };
    if (path === '/prepare') {
      prepared ??= generatedModel(root, 'mobileclip-s0', [
        ['make_mobileclip_s0.py'],
        ['make_edge_variants.py'],
      ]).then((folder) => reference(root, folder));
      prepared.then(
        (value) => {
          response.writeHead(200, { 'Content-Type': 'application/json' });
          response.end(JSON.stringify(value));
        },
        (error: unknown) => {
          prepared = undefined;
          fail(500, error);
        },
      );
      return;
    }
    const [, area, ...rest] = path.split('/');
    const folder = join(root, 'tests', '.generated', 'mobileclip-s0');
    const base =
      area === 'files' ? folder : area === 'emoji' ? join(root, 'models', 'emoji-clip') : undefined;
    const file = base && normalize(join(base, ...rest));
    if (!base || !file?.startsWith(base) || !existsSync(file)) return fail(404, `no ${path}`);
    response.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
