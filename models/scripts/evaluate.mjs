// Zero-shot evaluation of the shipped ONNX files (onnxruntime-node) on ALL held-out OpenMoji images of base emoji.
// Images are rasterised at the model input size (no resize). Writes models/.data/metrics.json, the model card
// table between the metrics markers, and (with --fixtures) the committed evaluation subset.
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { decode } from 'fast-png';
import * as ort from 'onnxruntime-node';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const MODEL = path.join(ROOT, 'models', 'emoji-clip');
const DATA = path.join(ROOT, 'models', '.data');
const PROMPT = 'an emoji of {}';

const cfg = JSON.parse(fs.readFileSync(path.join(MODEL, 'config.json'), 'utf8'));
const pre = JSON.parse(fs.readFileSync(path.join(MODEL, 'preprocessor_config.json'), 'utf8'));
const S = pre.crop_size.height;
const tok = new Tokenizer(
  JSON.parse(fs.readFileSync(path.join(MODEL, 'tokenizer.json'), 'utf8')),
  JSON.parse(fs.readFileSync(path.join(MODEL, 'tokenizer_config.json'), 'utf8')),
);
const { classes } = JSON.parse(fs.readFileSync(path.join(DATA, 'classes.json'), 'utf8'));

export function pixels(png) {
  const img = decode(png);
  if (img.width !== S || img.height !== S) throw new Error(`expected ${S}x${S}`);
  const out = new Float32Array(3 * S * S);
  const ch = img.channels;
  for (let i = 0; i < S * S; i++) {
    const a = ch === 4 ? img.data[i * 4 + 3] / 255 : 1;
    for (let c = 0; c < 3; c++) {
      const v = (img.data[i * ch + c] / 255) * a + (1 - a); // transparent -> white
      out[c * S * S + i] = (v - pre.image_mean[c]) / pre.image_std[c];
    }
  }
  return out;
}

async function embedTexts(sess, texts) {
  const pad = cfg.text_config.pad_token_id;
  const out = [];
  for (let b = 0; b < texts.length; b += 256) {
    const enc = texts
      .slice(b, b + 256)
      .map((t) => tok.encode(t).ids.slice(0, cfg.text_config.max_position_embeddings));
    const L = Math.max(...enc.map((e) => e.length));
    const ids = new BigInt64Array(enc.length * L).fill(BigInt(pad));
    const mask = new BigInt64Array(enc.length * L);
    for (const [i, e] of enc.entries()) {
      for (const [k, v] of e.entries()) {
        ids[i * L + k] = BigInt(v);
        mask[i * L + k] = 1n;
      }
    }
    const r = await sess.run({
      input_ids: new ort.Tensor('int64', ids, [enc.length, L]),
      attention_mask: new ort.Tensor('int64', mask, [enc.length, L]),
    });
    const d = r.text_embeds.dims[1];
    for (let i = 0; i < enc.length; i++) out.push(normalize(r.text_embeds.data.slice(i * d, (i + 1) * d)));
  }
  return out;
}

async function embedImages(sess, files) {
  const out = [];
  for (let b = 0; b < files.length; b += 128) {
    const chunk = files.slice(b, b + 128);
    const px = new Float32Array(chunk.length * 3 * S * S);
    for (const [i, f] of chunk.entries()) px.set(pixels(fs.readFileSync(f)), i * 3 * S * S);
    const r = await sess.run({ pixel_values: new ort.Tensor('float32', px, [chunk.length, 3, S, S]) });
    const d = r.image_embeds.dims[1];
    for (let i = 0; i < chunk.length; i++) out.push(normalize(r.image_embeds.data.slice(i * d, (i + 1) * d)));
  }
  return out;
}

function normalize(v) {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  return Float32Array.from(v, (x) => x / n);
}

function topk(imgs, texts, truth) {
  let t1 = 0,
    t5 = 0;
  const ranks = [];
  imgs.forEach((v, i) => {
    const s = texts.map((t) => t.reduce((acc, x, k) => acc + x * v[k], 0));
    const gold = s[truth[i]];
    let better = 0;
    for (const x of s) if (x > gold) better++;
    ranks.push(better);
    if (better === 0) t1++;
    if (better < 5) t5++;
  });
  return { top1: t1 / imgs.length, top5: t5 / imgs.length, n: imgs.length, ranks };
}

const pct = (x) => `${(100 * x).toFixed(1)}%`;

async function main() {
  const textSess = await ort.InferenceSession.create(path.join(MODEL, 'onnx', 'text_model.onnx'));
  const visSess = await ort.InferenceSession.create(path.join(MODEL, 'onnx', 'vision_model.onnx'));
  // parity with the PyTorch reference written by export.py
  const refFile = path.join(DATA, 'export-reference.json');
  if (fs.existsSync(refFile)) {
    const ref = JSON.parse(fs.readFileSync(refFile, 'utf8'));
    const [B, L] = [ref.input_ids.length, ref.input_ids[0].length];
    const r = await textSess.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ref.input_ids.flat(), BigInt), [B, L]),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from(ref.attention_mask.flat(), BigInt), [B, L]),
    });
    const v = await visSess.run({
      pixel_values: new ort.Tensor('float32', Float32Array.from(ref.pixel_values), ref.pixel_shape),
    });
    const diff = (a, b) => Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i])));
    console.log(
      `parity vs torch: text max|d|=${diff(r.text_embeds.data, ref.text_embeds.flat()).toExponential(2)} image max|d|=${diff(v.image_embeds.data, ref.image_embeds.flat()).toExponential(2)}`,
    );
  }
  const evalSet = classes.filter((c) => c.openmoji_image);
  const names = classes.map((c) => c.name);
  const subs = [...new Set(classes.map((c) => c.subcategory))];
  const t0 = Date.now();
  const nameEmb = await embedTexts(
    textSess,
    names.map((n) => PROMPT.replace('{}', n)),
  );
  const subEmb = await embedTexts(
    textSess,
    subs.map((n) => PROMPT.replace('{}', n)),
  );
  const imgEmb = await embedImages(
    visSess,
    evalSet.map((c) => path.join(ROOT, c.openmoji_image)),
  );
  const nameRes = topk(
    imgEmb,
    nameEmb,
    evalSet.map((c) => c.id),
  );
  const subRes = topk(
    imgEmb,
    subEmb,
    evalSet.map((c) => subs.indexOf(c.subcategory)),
  );
  console.log(
    `OpenMoji (held out) n=${nameRes.n}: names(${names.length}) top1=${pct(nameRes.top1)} top5=${pct(nameRes.top5)}; subcategories(${subs.length}) top1=${pct(subRes.top1)} top5=${pct(subRes.top5)} [${((Date.now() - t0) / 1000).toFixed(1)} s]`,
  );

  // committed evaluation subset: every k-th class (model-independent choice), <= 2 MB of PNGs
  const FIX = path.join(ROOT, 'tests', 'fixtures', 'openmoji-eval');
  const stride = 2;
  const subset = evalSet.filter((_, i) => i % stride === 0);
  const subIdx = new Set(subset.map((c) => c.id));
  const subsetRes = topk(
    imgEmb.filter((_, i) => subIdx.has(evalSet[i].id)),
    nameEmb,
    subset.map((c) => c.id),
  );
  console.log(
    `committed subset n=${subsetRes.n}: names top1=${pct(subsetRes.top1)} top5=${pct(subsetRes.top5)}`,
  );
  if (process.argv.includes('--fixtures')) {
    fs.rmSync(FIX, { recursive: true, force: true });
    fs.mkdirSync(FIX, { recursive: true });
    const labels = {};
    let bytes = 0;
    for (const c of subset) {
      const file = `${c.openmoji_hexcode}.png`;
      fs.copyFileSync(path.join(ROOT, c.openmoji_image), path.join(FIX, file));
      bytes += fs.statSync(path.join(FIX, file)).size;
      labels[file] = { name: c.name, subcategory: c.subcategory, tags: c.tags, annotation: c.annotation };
    }
    if (bytes > 2 * 1024 * 1024) throw new Error(`fixture PNGs ${bytes} bytes > 2 MB`);
    fs.writeFileSync(path.join(FIX, 'labels.json'), `${JSON.stringify(labels, null, 1)}\n`);
    fs.writeFileSync(
      path.join(FIX, 'ATTRIBUTION.md'),
      `# OpenMoji evaluation images

The ${subset.length} PNG files in this folder are OpenMoji emoji (https://openmoji.org), by the OpenMoji project
(HfG Schwäbisch Gmünd) and its contributors, licensed under the Creative Commons Attribution-ShareAlike 4.0
International licence (CC BY-SA 4.0): https://creativecommons.org/licenses/by-sa/4.0/ (licence text:
https://creativecommons.org/licenses/by-sa/4.0/legalcode).

The images were rasterised from the openmoji npm package (color/svg/*.svg) with @resvg/resvg-js at ${S}x${S} px on a
white background, unmodified apart from rasterisation. They are used only to evaluate the embedded model
(never for training or model selection). These files, as adaptations, are likewise available under CC BY-SA 4.0.

labels.json maps each file to its emoji name (from emoji-datasource, MIT), subcategory, and OpenMoji
annotation/tags. Regenerate with \`node models/scripts/evaluate.mjs --fixtures\` after \`npm run build:model\`.
`,
    );
    console.log(`wrote ${subset.length} fixture images (${(bytes / 1024).toFixed(0)} KiB)`);
    // full class list (text metadata) for the SDK tests and the methods engineer
    const full = classes.map((c) => ({
      name: c.name,
      subcategory: c.subcategory,
      category: c.category,
      short_names: c.short_names,
      annotation: c.annotation,
      tags: c.tags,
      openmoji_tags: c.openmoji_tags,
    }));
    fs.writeFileSync(path.join(ROOT, 'tests', 'fixtures', 'emoji-classes.json'), `${JSON.stringify(full)}\n`);
  }

  const metrics = {
    prompt: PROMPT,
    openmoji_images: nameRes.n,
    name_classes: names.length,
    subcategory_classes: subs.length,
    names_top1: nameRes.top1,
    names_top5: nameRes.top5,
    subcategories_top1: subRes.top1,
    subcategories_top5: subRes.top5,
    subset_images: subsetRes.n,
    subset_names_top1: subsetRes.top1,
    subset_names_top5: subsetRes.top5,
  };
  fs.writeFileSync(path.join(DATA, 'metrics.json'), JSON.stringify(metrics, null, 2));
  const card = path.join(MODEL, 'README.md');
  if (fs.existsSync(card)) {
    const table = `<!-- metrics:start -->
Zero-shot on held-out OpenMoji (${nameRes.n} images, rasterised at ${S}x${S}), prompt \`${PROMPT}\`, measured on the
shipped ONNX files with onnxruntime-node by \`node models/scripts/evaluate.mjs\`:

| task | classes | top-1 | top-5 |
| --- | ---: | ---: | ---: |
| base emoji names | ${names.length} | ${pct(nameRes.top1)} | ${pct(nameRes.top5)} |
| subcategories | ${subs.length} | ${pct(subRes.top1)} | ${pct(subRes.top5)} |
| names, committed subset (tests/fixtures/openmoji-eval) | ${names.length} | ${pct(subsetRes.top1)} (n=${subsetRes.n}) | ${pct(subsetRes.top5)} |
<!-- metrics:end -->`;
    const d = cfg.descry;
    const tc = cfg.text_config;
    const tokCfg = JSON.parse(fs.readFileSync(path.join(MODEL, 'tokenizer_config.json'), 'utf8'));
    const size = (dir) =>
      fs.readdirSync(dir).reduce((a, f) => {
        const p = path.join(dir, f);
        return a + (fs.statSync(p).isDirectory() ? size(p) : fs.statSync(p).size);
      }, 0);
    const facts = `<!-- facts:start -->
| fact | value |
| --- | --- |
| input size | ${S}x${S} RGB |
| context length | ${tokCfg.model_max_length} tokens |
| vocabulary | ${tc.vocab_size} (256 bytes + 256 bytes with \`</w>\` + ${tc.vocab_size - 514} merges + 2 special) |
| special token ids | \`<|startoftext|>\` = ${tc.bos_token_id}, \`<|endoftext|>\` = ${tc.eos_token_id} (also pad and unk) |
| embedding size | ${cfg.projection_dim} |
| trained logit scale | ${d.logit_scale} |
| parameters | ${d.parameters.total.toLocaleString('en-US')} (vision ${d.parameters.vision.toLocaleString('en-US')}, text ${d.parameters.text.toLocaleString('en-US')}), fp32 |
| training | ${d.train_minutes} min, ${d.train_steps} steps, 2 CPU threads |
| model selection split (Noto v1, 300 held-out classes, 1,906-way) | top-1 ${pct(d.selection_val_top1_notov1_heldout ?? 0)} |
| folder size (with combined model.onnx) | ${(size(MODEL) / 1e6).toFixed(2)} MB |
<!-- facts:end -->`;
    const s = fs.readFileSync(card, 'utf8');
    fs.writeFileSync(
      card,
      s
        .replace(/<!-- metrics:start -->[\s\S]*<!-- metrics:end -->/, table)
        .replace(/<!-- facts:start -->[\s\S]*<!-- facts:end -->/, facts),
    );
  }
}

await main();
