/** The provided emoji fixtures (see provide-fixtures.ts) as bytes, in any runtime. */
import { inject } from 'vitest';
import type { LabelledImage } from './service-contract.js';

function bytesOf(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The fixtures of this test run. */
export async function emojiFixtures(): Promise<{ images: LabelledImage[]; labels: string[] }> {
  const provided = inject('emojiFixtures');
  return {
    images: provided.images.map((image) => ({
      name: image.name,
      label: image.label,
      bytes: bytesOf(image.base64),
    })),
    labels: provided.labels,
  };
}
