/**
 * One contender on one backend, in its own process so that no other contender's threads or memory
 * share it: `tsx bench/real/block.ts raw|descry|transformers.js|transformers.js-4 node|web`. Prints its measurements
 * as one JSON line after the marker.
 */
import { type Measurement, RESULT_MARKER } from './plan.js';

const [contender, backend] = process.argv.slice(2) as [string, 'node' | 'web'];
let results: Measurement[];
if (contender === 'raw') results = await (await import('./raw-ort.js')).rawOrt(backend);
else if (contender === 'descry') results = await (await import('./descry.js')).descry(backend);
else if (contender === 'transformers.js')
  results = await (await import('./transformers-js.js')).transformersJs();
else if (contender === 'transformers.js-4')
  results = await (await import('./transformers-js-4.js')).transformersJs4(backend);
else throw new Error(`unknown contender ${contender}`);
console.log(`${RESULT_MARKER}${JSON.stringify(results)}`);
process.exit(0);
