/**
 * Which ONNX files a model loads (sdk/engine/onnx-files.ts), from model folders in the layout of
 * transformers.js exports: the dtype table is transformers.js's own (read from the installed
 * @huggingface/transformers), `transformers.js_config` chooses per-model dtypes and external data,
 * external data loads on both backends (onnxruntime-node opening the graph by path, onnxruntime-web
 * from bytes with `externalData`), and a missing variant lists the ones the folder has.
 */
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesSource, Descry, ortNodeBackend, ortWebBackend } from 'descry';
import { describe, expect, it } from 'vitest';
import { DTYPE_SUFFIXES, encoderGraphPath } from '../../sdk/engine/onnx-files.js';
import { solidPng } from '../worker/support/synthetic-images.js';

const root = new URL('../..', import.meta.url).pathname;
const modelDir = join(root, 'models', 'emoji-clip');
const externalDir = join(root, 'tests', 'fixtures', 'external-data');

/** transformers.js's DEFAULT_DTYPE_SUFFIX_MAPPING, read from the installed package's source. */
async function transformersJsSuffixes(): Promise<Record<string, string>> {
  const source = await readFile(
    join(root, 'node_modules', '@huggingface', 'transformers', 'src', 'utils', 'dtypes.js'),
    'utf8',
  );
  const block = /DEFAULT_DTYPE_SUFFIX_MAPPING = Object\.freeze\(\{([^}]*)\}\)/.exec(source)?.[1];
  expect(block, 'DEFAULT_DTYPE_SUFFIX_MAPPING in transformers.js').toBeDefined();
  return Object.fromEntries(
    [...block!.matchAll(/\[DATA_TYPES\.(\w+)\]:\s*'([^']*)'/g)].map(([, dtype, suffix]) => [dtype, suffix]),
  );
}

/** A copy of the embedded model's folder, with config.json changed by `edit` and onnx/ as given. */
async function modelFolder(
  edit: (config: Record<string, unknown>) => void,
  onnx: Record<string, string>,
): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'descry-onnx-files-'));
  for (const name of [
    'preprocessor_config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'special_tokens_map.json',
  ]) {
    await cp(join(modelDir, name), join(folder, name));
  }
  const config = JSON.parse(await readFile(join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  edit(config);
  await writeFile(join(folder, 'config.json'), JSON.stringify(config));
  await mkdir(join(folder, 'onnx'));
  for (const [name, from] of Object.entries(onnx)) await cp(from, join(folder, 'onnx', name));
  return folder;
}

const external = (name: string) => join(externalDir, 'external', name);
const inline = join(externalDir, 'inline', 'vision_model.onnx');
const images = [solidPng(64, 48, [200, 40, 40, 255]), solidPng(48, 48, [20, 90, 220, 255])];

describe('dtype → file', () => {
  it("is transformers.js's DEFAULT_DTYPE_SUFFIX_MAPPING, entry for entry", async () => {
    expect({ ...DTYPE_SUFFIXES }).toEqual(await transformersJsSuffixes());
    expect(encoderGraphPath('text', 'q8')).toBe('onnx/text_model_quantized.onnx');
    expect(encoderGraphPath('vision', 'quantized')).toBe('onnx/vision_model_quantized.onnx');
    expect(encoderGraphPath('vision', 'fp16')).toBe('onnx/vision_model_fp16.onnx');
    expect(encoderGraphPath('text', 'fp32')).toBe('onnx/text_model.onnx');
  });

  it('refuses a dtype transformers.js does not have', async () => {
    await expect(Descry.load(modelDir, { dtype: 'q3' as never })).rejects.toMatchObject({
      code: 'invalid_input',
    });
  });
});

describe('transformers.js_config', () => {
  it("takes the model's own dtype per file when the caller names none, and the caller's over it", async () => {
    const folder = await modelFolder(
      (config) => {
        config['transformers.js_config'] = { dtype: { text_model: 'q8', vision_model: 'fp16' } };
      },
      {
        'text_model_quantized.onnx': join(modelDir, 'onnx', 'text_model.onnx'),
        'vision_model_fp16.onnx': join(modelDir, 'onnx', 'vision_model.onnx'),
      },
    );
    const reference = await Descry.load(modelDir);
    const descry = await Descry.load(folder);
    expect((await descry.embedTexts(['a cat'])).data).toEqual((await reference.embedTexts(['a cat'])).data);
    expect((await descry.embedImages(images)).data).toEqual((await reference.embedImages(images)).data);
    // fp32 is not in this folder: asking for it overrides the config, and fails listing what is there.
    const fp32 = await Descry.load(folder, { dtype: 'fp32' });
    await expect(fp32.embedTexts(['a cat'])).rejects.toMatchObject({
      code: 'model_load_failed',
      details: { path: 'onnx/text_model.onnx', dtype: 'fp32', available: ['q8'] },
    });
  });

  it('refuses a malformed transformers.js_config with model_config_invalid', async () => {
    const folder = await modelFolder((config) => {
      config['transformers.js_config'] = { dtype: 'q3' };
    }, {});
    await expect(Descry.load(folder)).rejects.toMatchObject({ code: 'model_config_invalid' });
  });
});

describe('a missing variant', () => {
  it('lists the variants the folder has, for either encoder', async () => {
    const folder = await modelFolder(() => {}, {
      'vision_model.onnx': join(modelDir, 'onnx', 'vision_model.onnx'),
      'vision_model_fp16.onnx': join(modelDir, 'onnx', 'vision_model.onnx'),
      'text_model.onnx': join(modelDir, 'onnx', 'text_model.onnx'),
      'model.onnx': join(modelDir, 'onnx', 'text_model.onnx'),
    });
    const descry = await Descry.load(folder, { dtype: 'q4' });
    const error = await descry.embedImages(images).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'ModelLoadError',
      code: 'model_load_failed',
      details: { path: 'onnx/vision_model_q4.onnx', dtype: 'q4', available: ['fp32', 'fp16'] },
    });
    expect((error as Error).message).toContain('fp32 (onnx/vision_model.onnx)');
    await expect(descry.embedTexts(['x'])).rejects.toMatchObject({ details: { available: ['fp32'] } });
  });

  it('lists the files of a model in memory too', async () => {
    const files: Record<string, Uint8Array | string> = {};
    for (const name of ['config.json', 'preprocessor_config.json']) {
      files[name] = await readFile(join(modelDir, name), 'utf8');
    }
    files['onnx/vision_model_quantized.onnx'] = await readFile(join(modelDir, 'onnx', 'vision_model.onnx'));
    const descry = await Descry.load(bytesSource(files));
    await expect(descry.embedImages(images)).rejects.toMatchObject({
      code: 'model_load_failed',
      details: { dtype: 'fp32', available: ['q8'] },
    });
    const q8 = await Descry.load(bytesSource(files), { visionDtype: 'q8' });
    expect((await q8.embedImages(images)).rows).toBe(2);
  });
});

describe('external data', () => {
  const withExternalData = (useExternal: unknown) =>
    modelFolder(
      (config) => {
        if (useExternal !== undefined)
          config['transformers.js_config'] = { use_external_data_format: useExternal };
      },
      {
        'vision_model.onnx': external('vision_model.onnx'),
        'vision_model.onnx_data': external('vision_model.onnx_data'),
      },
    );

  it('loads a graph with its weights beside it, on onnxruntime-node and onnxruntime-web alike', async () => {
    const reference = await Descry.load(await modelFolder(() => {}, { 'vision_model.onnx': inline }), {
      backend: ortWebBackend(),
    });
    const expected = await reference.embedImages(images);
    expect(expected.data.some((value) => value !== 0)).toBe(true);
    for (const setting of [true, 1, { 'vision_model.onnx': 1 }, { vision_model: true }]) {
      const folder = await withExternalData(setting);
      const web = await Descry.load(folder, { backend: ortWebBackend() });
      expect((await web.embedImages(images)).data, JSON.stringify(setting)).toEqual(expected.data);
      const native = await ortNodeBackend();
      if (native) {
        const node = await Descry.load(folder, { backend: native });
        const vectors = await node.embedImages(images);
        for (const [i, value] of vectors.data.entries()) expect(value).toBeCloseTo(expected.data[i]!, 5);
      }
    }
  });

  it('does not load from bytes without the config naming the external data', async () => {
    const folder = await withExternalData(undefined);
    const web = await Descry.load(folder, { backend: ortWebBackend() });
    await expect(web.embedImages(images)).rejects.toMatchObject({ code: 'backend_failed' });
  });

  it('reports a missing external data file as model_load_failed', async () => {
    const folder = await withExternalData(2); // a second chunk that does not exist
    const web = await Descry.load(folder, { backend: ortWebBackend() });
    await expect(web.embedImages(images)).rejects.toMatchObject({
      code: 'model_load_failed',
      details: { path: 'onnx/vision_model.onnx_data_1' },
    });
  });
});
