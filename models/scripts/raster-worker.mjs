// Rasterises a list of SVG jobs; writes its progress so the parent can skip an SVG that makes resvg abort.
import fs from 'node:fs';
import { Resvg } from '@resvg/resvg-js';

const [jobsFile, progressFile, startStr] = process.argv.slice(2);
const jobs = JSON.parse(fs.readFileSync(jobsFile, 'utf8'));
for (let i = Number(startStr); i < jobs.length; i++) {
  fs.writeFileSync(progressFile, String(i));
  const j = jobs[i];
  if (fs.existsSync(j.out)) continue;
  const svg = j.svg ?? fs.readFileSync(j.svgPath, 'utf8');
  const opts = { fitTo: { mode: 'width', value: j.size } };
  if (j.background) opts.background = j.background;
  fs.writeFileSync(j.out, new Resvg(svg, opts).render().asPng());
}
fs.writeFileSync(progressFile, String(jobs.length));
