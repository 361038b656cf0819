// Rebuilds models/.data/ from npm packages only (no network).
// Training styles: Twemoji (CC-BY 4.0), Noto/google (Apache-2.0), Noto v1 (Apache-2.0, via @iconify-json/noto-v1).
// Training text: emoji-datasource names (MIT), Unicode CLDR annotations (cldr-annotations-full and
// cldr-annotations-derived-full, Unicode licence), emojibase-data tags (MIT) and emojilib keywords (MIT); each
// class's `captions` lists exactly the names and keywords its training captions may contain.
// Held-out evaluation: OpenMoji (CC BY-SA 4.0) art AND metadata (annotation, tags, openmoji_tags) -- never used for
// training or model selection. OpenMoji's metadata is kept under `openmoji` in classes.json for the evaluation only.
//
// Writes models/.data/classes.json (one entry per base emoji) and models/.data/variants.json (OpenMoji skin-tone and
// gender variants with their base class: the shifted domain of the TFUP benchmark), and rasterises:
//   openmoji/white48/{id}.png        OpenMoji at 48 px straight onto white (the old evaluation row)
//   openmoji/transparent72/{id}.png  OpenMoji at 72 px, transparent background (the user's path)
//   openmoji/variants72/{hex}.png    variants at 72 px, transparent background
//   notov1/{id}.png                  Noto v1 training art at 64 px, transparent

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const NM = path.join(ROOT, 'node_modules');
const OUT = path.join(ROOT, 'models', '.data');
const TRAIN_PX = 64; // training rasters are kept at 64 px
// Share of each class's keywords never used in its captions (a hash of class name and keyword decides, so the split
// does not depend on any evaluation data); the methods benchmark may describe a class only with texts outside them.
const KEYWORD_HOLDOUT = Number(process.env.KEYWORD_HOLDOUT ?? 0.5);
const WHITE_PX = 48; // the old evaluation row: rasterised at the model input size onto white
const USER_PX = 72; // OpenMoji's own PNG export size: what a user would download and classify

const readJson = (p) => JSON.parse(fs.readFileSync(path.join(NM, p), 'utf8'));
const emoji = readJson('emoji-datasource/emoji.json');
const openmoji = readJson('openmoji/data/openmoji.json');
const noto1 = readJson('@iconify-json/noto-v1/icons.json');
const cldr = readJson('cldr-annotations-full/annotations/en/annotations.json').annotations.annotations;
const cldrDerived = readJson('cldr-annotations-derived-full/annotationsDerived/en/annotations.json')
  .annotationsDerived.annotations;
const emojibase = readJson('emojibase-data/en/data.json');
const emojilib = readJson('emojilib/dist/emoji-en-US.json');

const stripFE = (h) =>
  h
    .toUpperCase()
    .split('-')
    .filter((p) => p !== 'FE0F')
    .join('-');
const fromHex = (h) => String.fromCodePoint(...h.split('-').map((x) => Number.parseInt(x, 16)));
const noVS = (s) => s.replaceAll('\uFE0F', '');
const slug = (s) =>
  s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
const readable = (s) => (s || '').replace(/[-_]+/g, ' ').replace(/\s+/g, ' ').trim().toLowerCase();
const splitList = (s) =>
  (s || '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

/** A keyword usable in a caption: lower-case words (no emoticons such as ":D" or "+1"). */
function keyword(k) {
  const t = readable(k.normalize('NFKD').replace(/[\u0300-\u036f]/g, ''));
  return /^[a-z][a-z0-9 '&.]*[a-z0-9.]$/.test(t) && t.length >= 2 && t.length <= 32 ? t : null;
}
const keywords = (list) => [...new Set((list || []).map(keyword).filter(Boolean))];

const heldOut = (name, kw) =>
  createHash('md5').update(`${name}\t${kw}`).digest().readUInt32BE(0) / 2 ** 32 < KEYWORD_HOLDOUT;

// Keyword sources, keyed by the emoji string without variation selectors.
const byEmoji = (entries) => new Map(entries.map(([k, v]) => [noVS(k), v]));
const cldrMap = byEmoji([...Object.entries(cldrDerived), ...Object.entries(cldr)]);
const emojibaseMap = byEmoji(emojibase.map((e) => [e.emoji, e]));
const emojilibMap = byEmoji(Object.entries(emojilib));

const omByHex = new Map();
for (const o of openmoji) omByHex.set(stripFE(o.hexcode), o);

for (const dir of ['openmoji/white48', 'openmoji/transparent72', 'openmoji/variants72', 'notov1'])
  fs.mkdirSync(path.join(OUT, dir), { recursive: true });

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
const omSvg = (hex) => path.join(NM, 'openmoji/color/svg', `${hex}.svg`);

const seen = new Map();
const classes = [];
const classByHex = new Map();
for (const e of emoji) {
  if (e.category === 'Component') continue; // skin-tone modifiers
  let name = (e.name || e.short_name.replace(/_/g, ' ')).toLowerCase().replace(/\s+/g, ' ').trim();
  if (seen.has(name)) name = `${name} (${e.short_name.replace(/_/g, ' ')})`;
  seen.set(name, true);
  const om = omByHex.get(stripFE(e.unified)) || (e.non_qualified && omByHex.get(stripFE(e.non_qualified)));
  const char = noVS(fromHex(e.unified));
  const id = classes.length;
  const cl = cldrMap.get(char);
  const c = {
    id,
    name,
    short_names: e.short_names.map((s) => s.replace(/_/g, ' ')),
    category: e.category,
    subcategory: readable(e.subcategory),
    unified: e.unified,
    cldr_name: cl?.tts?.[0]?.toLowerCase() ?? null,
    // every keyword of CLDR, emojibase (tags) and emojilib (its first entry is a name slug): what the emoji has
    keywords: [
      ...new Set([
        ...keywords(cl?.default),
        ...keywords(emojibaseMap.get(char)?.tags),
        ...keywords(emojilibMap.get(char)?.slice(1)),
      ]),
    ].sort(),
    images: {},
  };
  // the texts its training captions may contain: names (emoji-datasource, CLDR, short names) and the kept keywords
  const captionNames = [
    ...new Set([name, c.cldr_name, ...c.short_names.map((s) => s.toLowerCase())].filter(Boolean)),
  ];
  c.captions = {
    names: captionNames,
    keywords: c.keywords.filter((k) => !captionNames.includes(k) && !heldOut(name, k)),
  };
  if (om) {
    // evaluation metadata only: never read by the training scripts
    c.openmoji = {
      hexcode: om.hexcode,
      annotation: om.annotation,
      tags: splitList(om.tags),
      openmoji_tags: splitList(om.openmoji_tags),
    };
  }
  const tw = path.join(NM, 'emoji-datasource-twitter/img/twitter/64', e.image);
  if (e.has_img_twitter && fs.existsSync(tw)) c.images.twemoji = path.relative(ROOT, tw);
  const go = path.join(NM, 'emoji-datasource-google/img/google/64', e.image);
  if (e.has_img_google && fs.existsSync(go)) c.images.noto = path.relative(ROOT, go);
  const nk = notoKey([c.cldr_name, name, ...c.short_names]);
  if (nk) {
    const f = path.join(OUT, 'notov1', `${id}.png`);
    jobs.push({ out: f, svg: notoSvg(nk), size: TRAIN_PX, cls: id, kind: 'notov1' });
  }
  if (om && fs.existsSync(omSvg(om.hexcode))) {
    jobs.push({
      out: path.join(OUT, 'openmoji/white48', `${id}.png`),
      svgPath: omSvg(om.hexcode),
      size: WHITE_PX,
      background: 'white',
      cls: id,
      kind: 'white48',
    });
    jobs.push({
      out: path.join(OUT, 'openmoji/transparent72', `${id}.png`),
      svgPath: omSvg(om.hexcode),
      size: USER_PX,
      cls: id,
      kind: 'transparent72',
    });
  }
  classes.push(c);
  classByHex.set(stripFE(e.unified), c);
  if (e.non_qualified) classByHex.set(stripFE(e.non_qualified), c);
}

// The shifted domain for TFUP: OpenMoji's skin-tone and gender variants, each labelled with its base emoji
// (gender-neutral, default skin tone). "woman astronaut: dark skin tone" -> "astronaut".
const TONES = new Set(['1F3FB', '1F3FC', '1F3FD', '1F3FE', '1F3FF']);
function neutral(hex) {
  let p = stripFE(hex)
    .split('-')
    .filter((x) => !TONES.has(x));
  const n = p.length;
  if (n >= 3 && p[n - 2] === '200D' && (p[n - 1] === '2640' || p[n - 1] === '2642')) p = p.slice(0, n - 2);
  if (p.length >= 3 && (p[0] === '1F468' || p[0] === '1F469') && p[1] === '200D')
    p = ['1F9D1', ...p.slice(1)];
  if (p.length === 1 && (p[0] === '1F468' || p[0] === '1F469')) p = ['1F9D1'];
  return p.join('-');
}
const variants = [];
for (const o of openmoji) {
  const hex = stripFE(o.hexcode);
  const base =
    classByHex.get(neutral(hex)) ??
    (o.skintone_base_hexcode && classByHex.get(stripFE(o.skintone_base_hexcode)));
  if (!base || classByHex.get(hex) === base || !fs.existsSync(omSvg(o.hexcode))) continue;
  const gender =
    neutral(hex) !==
    hex
      .split('-')
      .filter((x) => !TONES.has(x))
      .join('-');
  const kind = o.skintone ? (gender ? 'skin tone and gender' : 'skin tone') : 'gender';
  const file = path.join(OUT, 'openmoji/variants72', `${o.hexcode}.png`);
  jobs.push({ out: file, svgPath: omSvg(o.hexcode), size: USER_PX, kind: 'variant', cls: base.id });
  variants.push({
    hexcode: o.hexcode,
    annotation: o.annotation,
    kind,
    base: base.name,
    base_id: base.id,
    subcategory: base.subcategory,
    image: path.relative(ROOT, file),
  });
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
  const rel = path.relative(ROOT, j.out);
  if (j.kind === 'notov1') c.images.notov1 = rel;
  else if (j.kind === 'white48' || j.kind === 'transparent72') c.openmoji[j.kind] = rel;
}
const rasterised = variants.filter((v) => fs.existsSync(path.join(ROOT, v.image)));
fs.rmSync(jobsFile);
fs.rmSync(progFile);
if (skipped.length) console.log('skipped (resvg abort):', skipped.join(' '));
fs.writeFileSync(path.join(OUT, 'classes.json'), JSON.stringify({ classes }));
fs.writeFileSync(path.join(OUT, 'variants.json'), JSON.stringify({ variants: rasterised }));
const count = (f) => classes.filter(f).length;
console.log(
  `classes=${classes.length} openmoji=${count((c) => c.openmoji?.transparent72)} (white48 ${count((c) => c.openmoji?.white48)}) ` +
    `variants=${rasterised.length} of ${new Set(rasterised.map((v) => v.base)).size} bases ` +
    `notov1=${count((c) => c.images.notov1)} twemoji=${count((c) => c.images.twemoji)} noto=${count((c) => c.images.noto)} ` +
    `with CLDR=${count((c) => c.cldr_name)}; caption keywords ${classes.reduce((n, c) => n + c.captions.keywords.length, 0)} of ${classes.reduce((n, c) => n + c.keywords.length, 0)} (hold-out ${KEYWORD_HOLDOUT})`,
);
