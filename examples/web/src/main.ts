/**
 * Descry's demo page: everything runs in the browser. Pick an image, labels and a method; the page
 * classifies with the SDK and shows the ranked labels (and the descriptors or the subclass behind
 * a description- or subclass-based answer). `?model=<url>` loads another model folder instead of the one served
 * next to the page.
 */
import {
  type ClassificationResult,
  type ClassifyOptions,
  type DescryWorker,
  EMOJI_TEMPLATES,
  type ImageBackground,
  type ImageInput,
  isDescryError,
  type Matrix,
} from 'descry';
import { appendAll, element } from './dom.js';
import { type LoadProgress, loadModel } from './model.js';
import { PRESETS, type Preset, SAMPLE_FILES } from './presets.js';
import { renderResult } from './results.js';

type Method = 'zeroshot' | 'descriptions' | 'subclasses' | 'tfup';

const $ = <T>(id: string) => document.getElementById(id) as T;
const ui = {
  status: $<HTMLParagraphElement>('model-status'),
  progress: $<HTMLProgressElement>('model-progress'),
  drop: $<HTMLLabelElement>('drop'),
  file: $<HTMLInputElement>('file'),
  preview: $<HTMLImageElement>('preview'),
  samples: $<HTMLDivElement>('samples'),
  background: $<HTMLSelectElement>('background'),
  preset: $<HTMLSelectElement>('preset'),
  labels: $<HTMLTextAreaElement>('labels'),
  templates: $<HTMLTextAreaElement>('templates'),
  descriptionOptions: $<HTMLDivElement>('descriptions-options'),
  descriptors: $<HTMLTextAreaElement>('descriptors'),
  descriptorTemplate: $<HTMLInputElement>('descriptor-template'),
  aggregation: $<HTMLSelectElement>('aggregation'),
  subclassOptions: $<HTMLDivElement>('subclasses-options'),
  subclasses: $<HTMLTextAreaElement>('subclasses'),
  tfupOptions: $<HTMLDivElement>('tfup-options'),
  unlabelled: $<HTMLInputElement>('unlabelled'),
  addSamples: $<HTMLButtonElement>('add-samples'),
  clearUnlabelled: $<HTMLButtonElement>('clear-unlabelled'),
  unlabelledCount: $<HTMLSpanElement>('unlabelled-count'),
  classify: $<HTMLButtonElement>('classify'),
  error: $<HTMLDivElement>('error'),
  results: $<HTMLOListElement>('results'),
  note: $<HTMLParagraphElement>('result-note'),
};

const state: {
  /** Classifications started; only the latest one's answer is shown. */
  started: number;
  descry?: DescryWorker;
  image?: Blob;
  unlabelled: Blob[];
  /** Embeddings of `unlabelled` under one background, kept until either changes. */
  unlabelledEmbeddings?: { background: string; matrix: Matrix };
} = { started: 0, unlabelled: [] };

const modelUrl = new URL(
  new URLSearchParams(location.search).get('model') ?? __DESCRY_MODEL_PATH__,
  location.href,
);

/** A typed SDK error shows its stable code; anything else its message. */
function showError(error: unknown): void {
  ui.error.hidden = false;
  ui.error.replaceChildren();
  if (isDescryError(error)) {
    appendAll(ui.error, [element('code', 'code', error.code), ` ${error.message}`]);
  } else {
    ui.error.textContent = error instanceof Error ? error.message : String(error);
  }
}

function clearError(): void {
  ui.error.hidden = true;
  ui.error.replaceChildren();
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function showProgress({ loaded, total }: LoadProgress): void {
  ui.progress.hidden = false;
  document.body.dataset.downloaded = `${loaded}/${total ?? ''}`;
  if (total) {
    ui.progress.value = loaded / total;
    ui.status.textContent = `Downloading the model: ${megabytes(loaded)} of ${megabytes(total)}`;
  } else {
    ui.progress.removeAttribute('value');
    ui.status.textContent = `Downloading the model: ${megabytes(loaded)}`;
  }
}

async function start(): Promise<void> {
  ui.status.textContent = `Loading the model from ${modelUrl.pathname}…`;
  try {
    const custom = new URLSearchParams(location.search).has('model');
    const loaded = await loadModel(modelUrl.href, showProgress, custom ? undefined : __DESCRY_MODEL_BYTES__);
    state.descry = loaded.descry;
    const from =
      loaded.downloaded > 0 ? `downloaded ${megabytes(loaded.downloaded)}` : 'from the browser cache';
    ui.status.textContent = `Model ready in ${(loaded.ms / 1000).toFixed(2)} s (${from}): ${modelUrl.pathname}`;
    document.body.dataset.modelLoadMs = loaded.ms.toFixed(1);
    document.body.dataset.readyAt = performance.now().toFixed(1);
    document.body.dataset.modelSource = loaded.downloaded > 0 ? 'network' : 'cache';
    ui.progress.hidden = true;
    ui.classify.disabled = false;
    if (state.image) await classify();
  } catch (error) {
    ui.status.textContent = 'The model could not be loaded.';
    ui.progress.hidden = true;
    showError(error);
  }
}

function applyPreset(preset: Preset): void {
  ui.labels.value = preset.labels.join('\n');
  ui.descriptors.value = JSON.stringify(preset.descriptors ?? exampleDescriptors(preset.labels), null, 2);
  ui.descriptorTemplate.value = preset.descriptorTemplate ?? '{class}, {clause}';
  ui.aggregation.value = preset.aggregation ?? 'mean';
  ui.subclasses.value = JSON.stringify(preset.subclasses ?? {}, null, 2);
  setMethod(preset.method);
  ui.samples.replaceChildren(
    ...preset.samples.map((file) => {
      const button = element('button', 'sample');
      button.type = 'button';
      button.title = `Classify sample ${file}`;
      const img = element('img');
      img.src = `samples/${file}`;
      img.alt = file;
      button.appendChild(img);
      button.addEventListener('click', async () => {
        const response = await fetch(`samples/${file}`);
        await setImage(await response.blob());
      });
      return button;
    }),
  );
}

/** An empty descriptor list per label, for the JSON editor. */
function exampleDescriptors(labels: readonly string[]): Record<string, string[]> {
  return Object.fromEntries(labels.map((label) => [label, []]));
}

function method(): Method {
  return (document.querySelector<HTMLInputElement>('input[name="method"]:checked')?.value ??
    'zeroshot') as Method;
}

function setMethod(value: Method): void {
  const radio = document.querySelector<HTMLInputElement>(`input[name="method"][value="${value}"]`);
  if (radio) radio.checked = true;
  ui.descriptionOptions.hidden = value !== 'descriptions';
  ui.subclassOptions.hidden = value !== 'subclasses';
  ui.tfupOptions.hidden = value !== 'tfup';
}

async function setImage(image: Blob): Promise<void> {
  state.image = image;
  ui.preview.src = URL.createObjectURL(image);
  ui.preview.hidden = false;
  ui.drop.classList.add('has-image');
  if (state.descry) await classify();
}

function addUnlabelled(images: Blob[]): void {
  state.unlabelled.push(...images);
  delete state.unlabelledEmbeddings;
  ui.unlabelledCount.textContent = `${state.unlabelled.length} unlabelled image${state.unlabelled.length === 1 ? '' : 's'}`;
}

function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter(Boolean);
}

/** A JSON map of label → strings (descriptors, subclasses), checked here: the SDK takes a typed map, the page takes text. */
function parseLabelLists(text: string, what: string): Record<string, string[]> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`The ${what} are not valid JSON: ${(error as Error).message}`);
  }
  const valid =
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((list) => Array.isArray(list) && list.every((d) => typeof d === 'string'));
  if (!valid) throw new Error(`The ${what} must be a JSON object mapping each label to a list of strings.`);
  return value as Record<string, string[]>;
}

function background(): ImageBackground {
  return ui.background.value as ImageBackground;
}

async function unlabelledEmbeddings(descry: DescryWorker): Promise<Matrix> {
  const key = String(ui.background.value);
  if (state.unlabelledEmbeddings?.background !== key) {
    const matrix = await descry.embedImages(state.unlabelled, { background: background() });
    state.unlabelledEmbeddings = { background: key, matrix };
  }
  return state.unlabelledEmbeddings.matrix;
}

async function classifyWith(descry: DescryWorker, image: ImageInput): Promise<ClassificationResult> {
  const labels = splitList(ui.labels.value);
  const templates = ui.templates.value
    .split('\n')
    .map((t) => t.trim())
    .filter(Boolean);
  const common = { background: background(), ...(templates.length ? { templates } : {}) };
  const chosen = method();
  if (chosen === 'descriptions') {
    const options: ClassifyOptions = {
      ...common,
      method: 'descriptions',
      descriptors: parseLabelLists(ui.descriptors.value, 'descriptors'),
      descriptorTemplate: ui.descriptorTemplate.value.trim() || '{class}, {clause}',
      aggregation: ui.aggregation.value as 'mean' | 'max' | 'sum',
    };
    const [result] = await descry.classify(image, labels, options);
    return result!;
  }
  if (chosen === 'subclasses') {
    const subclasses = parseLabelLists(ui.subclasses.value, 'subclasses');
    const [result] = await descry.classify(image, labels, { ...common, method: 'subclasses', subclasses });
    return result!;
  }
  if (chosen === 'tfup' && state.unlabelled.length > 0) {
    const classifier = await descry.compile({ labels, ...(templates.length ? { templates } : {}) });
    const cache = await descry.adapt(classifier, await unlabelledEmbeddings(descry));
    const [result] = await descry.classify(image, classifier, { ...common, method: 'tfup', tfup: { cache } });
    return result!;
  }
  // TFUP without unlabelled images: the SDK answers zero-shot and says so in `degraded`.
  const [result] = await descry.classify(image, labels, { ...common, method: chosen });
  return result!;
}

async function classify(): Promise<void> {
  const { descry, image } = state;
  if (!descry) return;
  clearError();
  if (!image) {
    showError(new Error('Choose or drop an image first.'));
    return;
  }
  const run = ++state.started;
  const start = performance.now();
  try {
    const result = await classifyWith(descry, image);
    if (run !== state.started) return;
    renderResult(ui.results, result);
    const ms = performance.now() - start;
    ui.note.textContent = result.degraded
      ? `Answered with ${result.degraded.used} instead of ${result.degraded.requested}: ${result.degraded.reason}.`
      : `${method()} in ${ms.toFixed(0)} ms.`;
  } catch (error) {
    if (run !== state.started) return;
    ui.results.replaceChildren();
    ui.note.textContent = '';
    showError(error);
  } finally {
    // Counts finished runs, so that a script driving the page can wait for the next one.
    document.body.dataset.runs = String(Number(document.body.dataset.runs ?? 0) + 1);
  }
}

function acceptDrops(target: HTMLElement, onFiles: (files: File[]) => void): void {
  target.addEventListener('dragover', (event) => {
    event.preventDefault();
    target.classList.add('dragging');
  });
  target.addEventListener('dragleave', () => target.classList.remove('dragging'));
  target.addEventListener('drop', (event) => {
    event.preventDefault();
    target.classList.remove('dragging');
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length) onFiles(files);
  });
}

ui.templates.value = EMOJI_TEMPLATES.join('\n');
ui.preset.replaceChildren(...PRESETS.map((preset, i) => new Option(preset.name, String(i))));
ui.preset.addEventListener('change', () => applyPreset(PRESETS[Number(ui.preset.value)]!));
applyPreset(PRESETS[0]!);
for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="method"]')) {
  radio.addEventListener('change', () => setMethod(method()));
}
ui.file.addEventListener('change', () => {
  const file = ui.file.files?.[0];
  if (file) void setImage(file);
});
acceptDrops(ui.drop, (files) => void setImage(files[0]!));
ui.preview.addEventListener('error', () => {
  ui.preview.hidden = true;
  ui.drop.classList.remove('has-image');
});
ui.unlabelled.addEventListener('change', () => addUnlabelled([...(ui.unlabelled.files ?? [])]));
acceptDrops(ui.tfupOptions, addUnlabelled);
ui.addSamples.addEventListener('click', async () => {
  addUnlabelled(await Promise.all(SAMPLE_FILES.map(async (file) => (await fetch(`samples/${file}`)).blob())));
});
ui.clearUnlabelled.addEventListener('click', () => {
  state.unlabelled = [];
  addUnlabelled([]);
});
ui.background.addEventListener('change', () => {
  if (state.image) void classify();
});
ui.classify.addEventListener('click', () => void classify());

void start();
