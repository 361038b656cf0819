/**
 * The three methods beyond plain prompts, on the embedded model and committed OpenMoji images:
 * classification by description (with its explanation), FuDD (pair descriptions from a static
 * JSON source standing in for an LLM), and TFUP (adapting to unlabelled images of a new style).
 *
 *   npx tsx examples/methods.ts
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { staticSource } from '../sdk/llm/static.js';
import { Descry, EMOJI_TEMPLATES } from '../sdk/node.js';

const dir = 'tests/fixtures/openmoji-eval';
const image = (file: string) => readFile(join(dir, file));
const descry = await Descry.load('models/emoji-clip');
const labels = ['cat face', 'tiger face', 'dog face', 'lion face', 'fox face', 'mouse face'];

// 1. Classification by description, explained.
const descriptors = {
  'cat face': ['whiskers', 'pointed ears', 'a pet'],
  'tiger face': ['stripes', 'orange fur', 'a big cat'],
  'dog face': ['floppy ears', 'a snout', 'a pet'],
  'lion face': ['a mane', 'golden fur', 'a big cat'],
  'fox face': ['a pointed snout', 'orange fur', 'white cheeks'],
  'mouse face': ['round ears', 'a small nose', 'whiskers'],
};
const [described] = await descry.classify(await image('1F42F.png'), labels, {
  method: 'descriptions',
  descriptors,
  templates: EMOJI_TEMPLATES,
  topK: 2,
});
const best = described!.predictions[0]!;
console.log(
  `descriptions: ${best.label} (${best.score.toFixed(2)}) because I saw ${best.evidence?.[0]?.descriptor}`,
);
console.log(JSON.stringify(described!.predictions, null, 2));

// 2. FuDD: the ambiguous top-k re-ranked with descriptions that tell each pair apart.
const source = staticSource({
  pairs: [
    {
      classes: ['cat face', 'tiger face'],
      attributes: [
        {
          attr_type: 'coat',
          prompt_pair: ['an emoji of a cat face, plain fur', 'an emoji of a tiger face, with stripes'],
        },
      ],
    },
    {
      classes: ['tiger face', 'lion face'],
      attributes: [
        {
          attr_type: 'head',
          prompt_pair: ['an emoji of a tiger face, with stripes', 'an emoji of a lion face, with a mane'],
        },
      ],
    },
  ],
});
const [fudd] = await descry.classify(await image('1F42F.png'), labels, {
  method: 'fudd',
  templates: EMOJI_TEMPLATES,
  fudd: { source, k: 3, deadlineMs: 2_000 },
  topK: 3,
});
console.log('fudd:', fudd!.predictions.map((p) => `${p.label} ${p.score.toFixed(2)}`).join(', '));
console.log('fudd degraded:', fudd!.degraded?.reason ?? 'no');

// 3. TFUP: a cache of confident unlabelled images of the target style corrects predictions.
const files = (await readdir(dir)).filter((f) => f.endsWith('.png'));
const unlabelled = await Promise.all(files.map((f) => image(f)));
const classifier = await descry.compile({ labels, templates: EMOJI_TEMPLATES });
const cache = await descry.adapt(classifier, unlabelled);
const [adapted] = await descry.classify(await image('1F42F.png'), classifier, {
  method: 'tfup',
  tfup: { cache },
  topK: 3,
});
console.log(
  `tfup (${cache.pool.rows} unlabelled images):`,
  adapted!.predictions.map((p) => `${p.label} ${p.score.toFixed(2)}`).join(', '),
);
