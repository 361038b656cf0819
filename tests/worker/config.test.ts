/**
 * The service's configuration (worker/service/config.ts): one declaration gives the parsed values,
 * their defaults, deprecated names with a warning, and a ConfigError that names the variable for a
 * malformed value, before any request is served.
 */
import { ConfigError } from 'descry';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, readServiceConfig, SERVICE_VARS } from '../../worker/service/config.js';

describe('service configuration', () => {
  it('gives the documented defaults when nothing is set', () => {
    const config = readServiceConfig({}, () => {});
    expect(config.limits).toEqual(DEFAULT_LIMITS);
    expect(config.limits.maxImagePixels).toBe(2 ** 21);
    expect(config.apiKeys).toEqual([]);
    expect(config.dev).toBe(false);
    expect(config.model).toBe('embedded');
    expect(config.llm.provider).toBe('none');
    expect([...config.jobs.buckets]).toEqual([['IMAGES', undefined]]);
  });

  it('reads every kind of variable', () => {
    const config = readServiceConfig(
      {
        DESCRY_API_KEYS: ' a, b ,,c ',
        DESCRY_DEV: 'YES',
        DESCRY_MAX_LABELS: '12',
        DESCRY_LLM: 'openai-compatible',
        DESCRY_LLM_BASE_URL: 'http://127.0.0.1:1/v1',
        DESCRY_JOB_BUCKETS: 'IMAGES=/srv/a=b, OTHER',
      },
      () => {},
    );
    expect(config.apiKeys).toEqual(['a', 'b', 'c']);
    expect(config.dev).toBe(true);
    expect(config.limits.maxLabels).toBe(12);
    expect(config.llm).toMatchObject({ provider: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1' });
    expect([...config.jobs.buckets]).toEqual([
      ['IMAGES', '/srv/a=b'],
      ['OTHER', undefined],
    ]);
  });

  it('accepts the old names with a deprecation warning, the new name winning', () => {
    const warnings: string[] = [];
    const config = readServiceConfig(
      { LLM_MODEL: 'old', LLM_API_KEY: 'k', DESCRY_LLM_API_KEY: 'new', DESCRY_MODEL_DIR: '/m' },
      (message) => warnings.push(message),
    );
    expect(config.llm.model).toBe('old');
    expect(config.llm.apiKey).toBe('new');
    expect(config.model).toBe('/m');
    expect(warnings).toEqual([
      'DESCRY_MODEL_DIR is deprecated: set DESCRY_MODEL instead',
      'LLM_MODEL is deprecated: set DESCRY_LLM_MODEL instead',
    ]);
  });

  it('refuses a malformed value with a ConfigError that names the variable', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ DESCRY_MAX_LABELS: 'lots' }, /^DESCRY_MAX_LABELS: must be a positive integer/],
      [{ DESCRY_MAX_IMAGES: '0' }, /^DESCRY_MAX_IMAGES/],
      [{ DESCRY_BATCH_WINDOW_MS: '1.5' }, /^DESCRY_BATCH_WINDOW_MS/],
      [{ DESCRY_DEV: 'maybe' }, /^DESCRY_DEV: must be true or false/],
      [{ DESCRY_LLM: 'gpt' }, /^DESCRY_LLM: must be one of none, workers-ai, openai-compatible, static/],
      [{ LLM_TIMEOUT_MS: '-1' }, /^DESCRY_LLM_TIMEOUT_MS/],
    ];
    for (const [vars, message] of cases) {
      expect(() => readServiceConfig(vars, () => {})).toThrow(ConfigError);
      expect(() => readServiceConfig(vars, () => {})).toThrow(message);
    }
  });

  it('declares each variable once, with a documented default', () => {
    const names = JSON.stringify(SERVICE_VARS).match(/"name":"[A-Z_]+"/g) ?? [];
    expect(new Set(names).size).toBe(names.length);
  });
});
