/** Assertion that a call fails with one of Descry's typed errors and a given code. */

import type { DescryError, DescryErrorCode } from 'descry';
import { expect } from 'vitest';

export async function expectDescryError(
  run: () => unknown,
  type: abstract new (...args: never[]) => DescryError,
  code: DescryErrorCode,
): Promise<DescryError> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a ${type.name} '${code}'`).toBeInstanceOf(type);
  expect((caught as DescryError).code).toBe(code);
  return caught as DescryError;
}

/** Bytes of a base64 string, without node:buffer. */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
