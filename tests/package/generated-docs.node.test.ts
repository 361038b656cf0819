/**
 * The documentation's generated regions (scripts/generated-docs.ts) are what their definitions
 * say now: the configuration table is the service's variables, the method list the SDK's method
 * table. A variable or method added without `npm run readme:sync` fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { documentationFiles, GENERATED, generatedRegions } from '../../scripts/generated-docs.js';

const root = new URL('../..', import.meta.url).pathname;

describe('generated documentation', () => {
  const regions = documentationFiles(root).flatMap((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return [];
    }
    return generatedRegions(text).map((region) => ({ file: file.slice(root.length), ...region }));
  });

  it('shows every generated table somewhere', () => {
    expect(new Set(regions.map((region) => region.name))).toEqual(new Set(Object.keys(GENERATED)));
  });

  it.each(regions.map((region) => [`${region.file} ${region.name}`, region]))(
    '%s is current (npm run readme:sync)',
    (_, region) => {
      expect(region.actual).toBe(region.expected);
    },
  );

  it('lists every configuration variable the service reads', () => {
    const table = GENERATED.config!();
    for (const name of [
      'DESCRY_API_KEYS',
      'DESCRY_LLM_API_KEY',
      'DESCRY_JOB_BUCKETS',
      'DESCRY_BODY_TIMEOUT_MS',
    ]) {
      expect(table).toContain(`\`${name}\``);
    }
  });
});
