/**
 * A compiled classifier saved to disk and loaded by a new Node process classifies without the
 * text encoder: the child records every model file it reads, and the tokenizer and text model
 * must not be among them.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Descry } from 'descry';
import { describe, expect, it } from 'vitest';
import { fixtureChoice } from '../support/fixture-choice.js';

const root = new URL('../..', import.meta.url).pathname;
const modelDir = join(root, 'models', 'emoji-clip');
const fixtures = join(root, 'tests', 'fixtures', 'openmoji-eval');

const child = `
import { readFile } from 'node:fs/promises';
import { Descry, folderSource } from ${JSON.stringify(join(root, 'sdk', 'node.ts'))};
const [modelDir, classifierPath, imagePath] = process.argv.slice(2);
const reads = [];
const folder = folderSource(modelDir);
const files = { id: folder.id, read: (path) => (reads.push(path), folder.read(path)) };
const descry = await Descry.load(files);
const classifier = descry.loadClassifier(new Uint8Array(await readFile(classifierPath)));
const [result] = await descry.classify(new Uint8Array(await readFile(imagePath)), classifier, { topK: 1 });
console.log(JSON.stringify({ reads, loaded: descry.loaded, top: result.predictions[0].label }));
`;

describe('compiled classifier in a fresh process', () => {
  it('classifies without reading the tokenizer or the text model', async () => {
    const { file, candidates } = await fixtureChoice();
    const parent = await Descry.load(modelDir);
    const classifier = await parent.compile({ labels: candidates, templates: ['an emoji of {}'] });
    const [expected] = await parent.classify(
      new Uint8Array(await readFile(join(fixtures, file))),
      classifier,
    );

    const dir = await mkdtemp(join(tmpdir(), 'descry-fresh-'));
    await writeFile(join(dir, 'classifier.bin'), classifier.toBytes());
    await writeFile(join(dir, 'child.mts'), child);
    const tsx = join(root, 'node_modules', '.bin', 'tsx');
    const { stdout } = await promisify(execFile)(
      tsx,
      [join(dir, 'child.mts'), modelDir, join(dir, 'classifier.bin'), join(fixtures, file)],
      {
        cwd: root,
      },
    );
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(report.loaded).toEqual({ text: false, vision: true });
    expect(report.reads).toContain('onnx/vision_model.onnx');
    expect(report.reads).not.toContain('onnx/text_model.onnx');
    expect(report.reads).not.toContain('tokenizer.json');
    expect(report.top).toBe(expected!.predictions[0]!.label);
  });
});
