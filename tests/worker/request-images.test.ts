/**
 * Base64 images as clients send them (worker/http/request/images.ts): the standard and URL-safe
 * alphabets, with or without padding, wrapped in lines, or in a data: URL, all decode to the same
 * bytes through the runtime's fastest decoder; anything else is a typed invalid_input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesOfEncodedImage } from '../../worker/http/request/images.js';

const standard = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

function code(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('base64 images', () => {
  it('decodes every form a client sends to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), (bytes) => {
        const text = standard(bytes);
        const forms = [
          text,
          text.replace(/=+$/, ''),
          text.replaceAll('+', '-').replaceAll('/', '_'),
          text.replace(/(.{16})/g, '$1\r\n'),
          ` ${text}\n`,
          `data:image/png;base64,${text}`,
        ];
        for (const form of forms) expect(bytesOfEncodedImage(form, 'images[0]')).toEqual(bytes);
      }),
    );
  });

  it('refuses what is not base64 with a typed error, and an empty image as empty', () => {
    for (const bad of ['A', 'AAAAA', 'AB$C', 'AB=C', 'QUJD====', 'data:image/png,QUJD']) {
      expect(
        code(() => bytesOfEncodedImage(bad, 'images[0]')),
        bad,
      ).toBe('invalid_input');
    }
    expect(code(() => bytesOfEncodedImage('', 'images[0]'))).toBe('image_empty');
  });

  it('gives bytes that own their memory (never a view into a shared pool)', () => {
    const bytes = bytesOfEncodedImage(standard(new Uint8Array([1, 2, 3])), 'images[0]');
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(3);
  });
});
