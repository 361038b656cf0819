/** Versions derived from content, for stores that keep no version of their own. */

/** Hex SHA-256 of `bytes`, truncated to 32 characters: the same bytes always give the same version. */
export async function contentVersion(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const byte of digest.subarray(0, 16)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
