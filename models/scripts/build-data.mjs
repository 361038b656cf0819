// Rebuilds models/.data/ from npm packages only (no network).
// Training styles: Twemoji (CC-BY 4.0), Noto/google (Apache-2.0), Noto v1 (Apache-2.0, via @iconify-json/noto-v1).
// Held-out evaluation style: OpenMoji (CC BY-SA 4.0) -- never used for training or model selection.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const NM = path.join(ROOT, 'node_modules');
const OUT = path.join(ROOT, 'models', '.data');
const S = Number(process.env.IMAGE_SIZE || 64);
const TRAIN_PX = 64; // training rasters are kept at 64 px

const emoji = JSON.parse(fs.readFileSync(path.join(NM, 'emoji-datasource/emoji.json'), 'utf8'));
const openmoji = JSON.parse(fs.readFileSync(path.join(NM, 'openmoji/data/openmoji.json'), 'utf8'));
const noto1 = JSON.parse(fs.readFileSync(path.join(NM, '@iconify-json/noto-v1/icons.json'), 'utf8'));

const stripFE = (h) =>
  h
    .toUpperCase()
    .split('-')
    .filter((p) => p !== 'FE0F')
    .join('-');
const slug = (s) =>
  s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
const readable = (s) => (s || '').replace(/[-_]+/g, ' ').replace(/\s+/g, ' ').trim().toLowerCase();

const omByHex = new Map();
for (const o of openmoji) {
  if (o.skintone) continue;
  omByHex.set(stripFE(o.hexcode), o);
}

fs.mkdirSync(path.join(OUT, 'openmoji'), { recursive: true });
fs.mkdirSync(path.join(OUT, 'notov1'), { recursive: true });

function notoSvg(key) {
  const ic = noto1.icons[key];
  if (!ic) return null;
  const w = ic.width || noto1.width || 128;
  const h = ic.height || noto1.height || 128;
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="${ic.left || 0} ${ic.top || 0} ${w} ${h}" width="${w}" height="${h}">${ic.body}</svg>`;
}
const notoAlias = noto1.aliases || {};
function notoKey(cands) {
  for (const c of cands) {
    if (!c) continue;
    const k = slug(c);
    if (noto1.icons[k]) return k;
    if (notoAlias[k]?.parent && noto1.icons[notoAlias[k].parent]) return notoAlias[k].parent;
  }
  return null;
}
const jobs = [];

const seen = new Map();
const classes = [];
let nOm = 0,
  nNoto = 0;
for (const e of emoji) {
  if (e.category === 'Component') continue; // skin-tone modifiers
  let name = (e.name || e.short_name.replace(/_/g, ' ')).toLowerCase().replace(/\s+/g, ' ').trim();
  if (seen.has(name)) name = `${name} (${e.short_name.replace(/_/g, ' ')})`;
  seen.set(name, true);
  const om = omByHex.get(stripFE(e.unified)) || (e.non_qualified && omByHex.get(stripFE(e.non_qualified)));
  const id = classes.length;
  const c = {
    id,
    name,
    short_names: e.short_names.map((s) => s.replace(/_/g, ' ')),
    category: e.category,
    subcategory: readable(e.subcategory),
    unified: e.unified,
    annotation: om ? om.annotation : null,
    tags: om
      ? om.tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean)
      : [],
    openmoji_tags: om
      ? om.openmoji_tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean)
      : [],
    images: {},
  };
  const tw = path.join(NM, 'emoji-datasource-twitter/img/twitter/64', e.image);
  if (e.has_img_twitter && fs.existsSync(tw)) c.images.twemoji = path.relative(ROOT, tw);
  const go = path.join(NM, 'emoji-datasource-google/img/google/64', e.image);
  if (e.has_img_google && fs.existsSync(go)) c.images.noto = path.relative(ROOT, go);
  const nk = notoKey([c.annotation, name, ...c.short_names]);
  if (nk) {
    const f = path.join(OUT, 'notov1', `${id}.png`);
    jobs.push({ out: f, svg: notoSvg(nk), size: TRAIN_PX, cls: id, kind: 'notov1' });
  }
  if (om) {
    const svgPath = path.join(NM, 'openmoji/color/svg', `${om.hexcode}.svg`);
    if (fs.existsSync(svgPath)) {
      const f = path.join(OUT, 'openmoji', `${id}.png`);
      // OpenMoji is rasterised directly at the model input size on white, so no resize is needed at eval time.
      jobs.push({ out: f, svgPath, size: S, background: 'white', cls: id, kind: 'openmoji' });
      c.openmoji_hexcode = om.hexcode;
    }
  }
  classes.push(c);
}
// Rasterise in child processes: a few SVGs make resvg abort the process; those are skipped.
const jobsFile = path.join(OUT, 'raster-jobs.json');
const progFile = path.join(OUT, 'raster-progress.txt');
fs.writeFileSync(jobsFile, JSON.stringify(jobs));
let start = 0;
const skipped = [];
while (start < jobs.length) {
  spawnSync(
    process.execPath,
    [path.join(ROOT, 'models/scripts/raster-worker.mjs'), jobsFile, progFile, String(start)],
    { stdio: ['ignore', 'inherit', 'ignore'] },
  );
  const at = Number(fs.readFileSync(progFile, 'utf8'));
  if (at >= jobs.length) break;
  skipped.push(`${jobs[at].kind}:${jobs[at].cls}`);
  start = at + 1;
}
for (const j of jobs) {
  if (!fs.existsSync(j.out)) continue;
  const c = classes[j.cls];
  if (j.kind === 'notov1') {
    c.images.notov1 = path.relative(ROOT, j.out);
    nNoto++;
  } else {
    c.openmoji_image = path.relative(ROOT, j.out);
    nOm++;
  }
}
fs.rmSync(jobsFile);
fs.rmSync(progFile);
if (skipped.length) console.log('skipped (resvg abort):', skipped.join(' '));
fs.writeFileSync(path.join(OUT, 'classes.json'), JSON.stringify({ image_size: S, classes }, null, 0));
console.log(
  `classes=${classes.length} openmoji=${nOm} notov1=${nNoto} twemoji=${classes.filter((c) => c.images.twemoji).length} noto=${classes.filter((c) => c.images.noto).length}`,
);
