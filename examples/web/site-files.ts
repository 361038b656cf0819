/**
 * The files served next to the page that are not part of its bundle, as a Vite plugin: copied
 * into the build, served as they are by the dev server.
 *
 * - The embedded model, under a folder named by a hash of its files: the SDK keeps downloaded
 *   files in the Cache API by URL, so a retrained model must get a new URL or returning visitors
 *   would keep the old one. The page learns the folder from `__DESCRY_MODEL_PATH__` (and
 *   `%DESCRY_MODEL_PATH%` in index.html), its size from `__DESCRY_MODEL_BYTES__`.
 * - The sample images of the presets, with their attribution (OpenMoji, CC BY-SA 4.0).
 * - Swagger UI's files for the service's /docs: the Worker serves this build as its static assets
 *   (wrangler.toml `[assets]`), so its docs need no CDN.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { SWAGGER_UI_FILES, SWAGGER_UI_PATH } from '../../worker/http/docs-page.js';
import { SAMPLE_FILES } from './src/presets.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const MODEL_DIR = join(root, 'models', 'emoji-clip');
const SAMPLES_DIR = join(root, 'tests', 'fixtures', 'openmoji-eval');
/** The ONNX files the page loads (fp32 encoders); other exports in the folder stay out. */
const MODEL_ONNX = ['onnx/text_model.onnx', 'onnx/vision_model.onnx'];
/** Every file `Descry.load` and the encoders download. */
const MODEL_DOWNLOADS = new Set([
  'config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  ...MODEL_ONNX,
]);

/** One file of the site: its path in the build and where it comes from. */
interface SiteFile {
  path: string;
  source: string;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/**
 * The model's files, the folder they are served under (with a trailing slash), and the bytes of
 * those the SDK downloads: the progress bar's total where a server compresses its responses and
 * sends no Content-Length.
 */
function modelFiles(): { folder: string; files: SiteFile[]; bytes: number } {
  const sources = walk(MODEL_DIR)
    .map((source) => ({ name: relative(MODEL_DIR, source).split('\\').join('/'), source }))
    .filter(({ name }) => !name.endsWith('.onnx') || MODEL_ONNX.includes(name))
    .sort((a, b) => a.name.localeCompare(b.name));
  const hash = createHash('sha256');
  for (const { name, source } of sources) hash.update(name).update(readFileSync(source));
  const folder = `emoji-clip-${hash.digest('hex').slice(0, 12)}/`;
  const bytes = sources
    .filter(({ name }) => MODEL_DOWNLOADS.has(name))
    .reduce((sum, { source }) => sum + statSync(source).size, 0);
  return { folder, files: sources.map(({ name, source }) => ({ path: `${folder}${name}`, source })), bytes };
}

function otherFiles(): SiteFile[] {
  const swaggerUi = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  return [
    ...[...SAMPLE_FILES, 'ATTRIBUTION.md'].map((name) => ({
      path: `samples/${name}`,
      source: join(SAMPLES_DIR, name),
    })),
    ...[...SWAGGER_UI_FILES, 'LICENSE', 'NOTICE'].map((name) => ({
      path: `${SWAGGER_UI_PATH.slice(1)}${name}`,
      source: join(swaggerUi, name),
    })),
  ];
}

const TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.png': 'image/png',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.md': 'text/markdown; charset=utf-8',
};

/**
 * Workers static assets' header rules (worker/static-site.node.ts applies the same on Node):
 * - every file: cross-origin isolation (COOP + COEP require-corp), so that ONNX Runtime may use
 *   WebAssembly threads (SharedArrayBuffer) in the demo's worker; a worker's own script must send
 *   COEP too. Everything the page and /docs load is same-origin, which require-corp allows.
 * - names that carry a content hash never change, so browsers may keep them (the 14 MB ONNX
 *   Runtime wasm above all) without asking again.
 */
function siteHeaders(modelFolder: string): string {
  const isolated =
    '  Cross-Origin-Opener-Policy: same-origin\n' +
    '  Cross-Origin-Embedder-Policy: require-corp\n' +
    '  Cross-Origin-Resource-Policy: same-origin\n';
  const immutable = '  Cache-Control: public, max-age=31536000, immutable\n';
  return `/*\n${isolated}/assets/*\n${immutable}/${modelFolder}*\n${immutable}`;
}

/** The plugin; `modelPath` is the model's folder relative to the page, `modelBytes` its download size. */
export function siteFiles(): { plugin: Plugin; modelPath: string; modelBytes: number } {
  const model = modelFiles();
  const files = new Map([...model.files, ...otherFiles()].map((file) => [`/${file.path}`, file]));
  const plugin: Plugin = {
    name: 'descry-site-files',
    transformIndexHtml: (html) => html.replaceAll('%DESCRY_MODEL_PATH%', model.folder),
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const file = files.get(new URL(req.url ?? '/', 'http://localhost').pathname);
        if (!file) return next();
        const type = TYPES[file.source.slice(file.source.lastIndexOf('.'))] ?? 'application/octet-stream';
        res.setHeader('Content-Type', type);
        createReadStream(file.source).pipe(res);
      });
    },
    generateBundle() {
      for (const file of files.values()) {
        this.emitFile({ type: 'asset', fileName: file.path, source: readFileSync(file.source) });
      }
      this.emitFile({ type: 'asset', fileName: '_headers', source: siteHeaders(model.folder) });
    },
  };
  return { plugin, modelPath: model.folder, modelBytes: model.bytes };
}
