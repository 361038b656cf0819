/**
 * RFC 2397 data: URL parsing, done in-process so that it behaves the same in every runtime
 * (workerd's fetch does not accept data: URLs).
 */
import { InvalidInputError } from '../errors.js';

function percentDecode(text: string): Uint8Array {
  const utf8 = new TextEncoder().encode(text);
  const out = new Uint8Array(utf8.length);
  let length = 0;
  for (let i = 0; i < utf8.length; i++) {
    const byte = utf8[i] ?? 0;
    if (byte === 0x25 && i + 2 < utf8.length) {
      const hex = String.fromCharCode(utf8[i + 1] ?? 0, utf8[i + 2] ?? 0);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        out[length++] = Number.parseInt(hex, 16);
        i += 2;
        continue;
      }
    }
    out[length++] = byte;
  }
  return out.subarray(0, length);
}

function base64Decode(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text.replace(/[\s]+/g, ''));
  } catch (cause) {
    throw new InvalidInputError('invalid_input', 'The data: URL has invalid base64 content.', { cause });
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Returns the bytes a data: URL carries (base64 or percent-encoded); the media type is ignored. */
export function decodeDataUrl(url: string): Uint8Array {
  const comma = url.indexOf(',');
  if (!/^data:/i.test(url) || comma < 0) {
    throw new InvalidInputError(
      'invalid_input',
      'Malformed data: URL (expected data:[<type>][;base64],<data>).',
    );
  }
  const meta = url.slice(5, comma);
  const body = url.slice(comma + 1);
  if (/;base64$/i.test(meta)) return base64Decode(new TextDecoder().decode(percentDecode(body)));
  return percentDecode(body);
}
