/**
 * A model's fingerprint: the SHA-256 of its config.json and preprocessor_config.json as JSON
 * content, not as bytes. Each document is parsed and re-serialised canonically (object keys
 * sorted by UTF-16 code units, no whitespace, numbers and strings as JSON.stringify writes them:
 * RFC 8785's rules for the values these files hold), so a folder, a URL, a hub download and
 * `{ files }` holding parsed objects (as a Worker bundles its JSON imports) give the same
 * fingerprint, and a classifier compiled from one loads with the others. Written by hand: it is
 * a dozen lines, and the canonical form must be exactly this one everywhere.
 */

/** `value` as canonical JSON text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const record = item as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((key) => [key, record[key]]),
    );
  });
}

/** Hex SHA-256 of the canonical JSON of the model's two configuration documents. */
export async function modelFingerprint(config: unknown, preprocessorConfig: unknown): Promise<string> {
  const text = canonicalJson([config, preprocessorConfig]);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
