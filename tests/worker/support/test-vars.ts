/**
 * The service configuration every worker test runs with, in workerd (vitest.config.ts passes it
 * as miniflare bindings) and on Node (passed as vars): one key set, limits small enough to hit.
 */
export const TEST_KEYS = ['test-key-1', 'test-key-2'] as const;

export const TEST_LIMITS = {
  maxBodyBytes: 262_144,
  maxImagePixels: 262_144,
  maxRequestPixels: 524_288,
  maxLabels: 64,
  maxImages: 8,
  maxTexts: 32,
  maxImageDecodeBytes: 16 * 2 ** 20,
  maxRequestPromptTokens: 4096,
} as const;

export const TEST_CORS_ORIGIN = 'https://app.example';

/** Descriptors, FuDD pairs and subclasses the static LLM source answers with in workerd. */
export const STATIC_DESCRIPTIONS = {
  descriptors: {
    cat: ['pointed ears', 'whiskers'],
    dog: ['floppy ears', 'wet nose'],
    pizza: ['triangular slice', 'melted cheese'],
  },
  pairs: [
    {
      classes: ['cat', 'dog'],
      attributes: [{ attr_type: 'ears', prompt_pair: ['pointed ears', 'floppy ears'] }],
    },
    {
      classes: ['cat', 'pizza'],
      attributes: [{ attr_type: 'shape', prompt_pair: ['a furry animal', 'a triangular slice of food'] }],
    },
    {
      classes: ['dog', 'pizza'],
      attributes: [{ attr_type: 'shape', prompt_pair: ['a furry animal', 'a triangular slice of food'] }],
    },
  ],
  // "kitten" under two labels: describe drops it from both.
  subclasses: {
    cat: ['tabby cat', 'siamese cat', 'kitten'],
    dog: ['beagle', 'pug', 'kitten'],
    pizza: ['margherita pizza', 'pepperoni pizza'],
  },
};

/** The variables as strings, as Workers and process.env carry them. */
export const TEST_VARS: Record<string, string> = {
  DESCRY_API_KEYS: TEST_KEYS.join(','),
  DESCRY_DEV: 'false',
  DESCRY_CORS_ORIGINS: TEST_CORS_ORIGIN,
  DESCRY_MAX_BODY_BYTES: String(TEST_LIMITS.maxBodyBytes),
  DESCRY_MAX_IMAGE_PIXELS: String(TEST_LIMITS.maxImagePixels),
  DESCRY_MAX_REQUEST_PIXELS: String(TEST_LIMITS.maxRequestPixels),
  DESCRY_MAX_LABELS: String(TEST_LIMITS.maxLabels),
  DESCRY_MAX_IMAGES: String(TEST_LIMITS.maxImages),
  DESCRY_MAX_TEXTS: String(TEST_LIMITS.maxTexts),
  DESCRY_MAX_IMAGE_DECODE_BYTES: String(TEST_LIMITS.maxImageDecodeBytes),
  DESCRY_MAX_REQUEST_PROMPT_TOKENS: String(TEST_LIMITS.maxRequestPromptTokens),
  DESCRY_LLM: 'static',
  DESCRY_LLM_STATIC_DESCRIPTIONS: JSON.stringify(STATIC_DESCRIPTIONS),
  // Batch jobs retry at once in tests (deployments back off from 5 s).
  DESCRY_JOB_RETRY_DELAY_SECONDS: '0',
  // The suites make many requests with one key; the limit itself is tested on its own.
  DESCRY_RATE_LIMIT_REQUESTS: '100000',
  // One line per request would bury the test output; tests/worker/operations.node.test.ts reads them.
  DESCRY_ACCESS_LOG: 'false',
};
