#!/usr/bin/env node
/**
 * `npm run sync:exports`: writes package.json `exports` and `bin` from entry-points.ts, after a
 * subpath is added or moved there (tests/package/entry-points.node.test.ts fails until then).
 * Node 22 loads entry-points.ts itself (type stripping).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { packageBin, packageExports } from '../entry-points.ts';

const file = new URL('../package.json', import.meta.url);
const pkg = JSON.parse(await readFile(file, 'utf8'));
pkg.exports = packageExports();
pkg.bin = packageBin();
await writeFile(file, `${JSON.stringify(pkg, null, 2)}\n`);
console.log('package.json exports and bin follow entry-points.ts');
