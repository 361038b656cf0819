/** Model files read from an R2 bucket under a prefix, in the Hugging Face layout. */

import type { ModelFiles } from 'descry';
import { ModelLoadError } from 'descry';

/** A `ModelFiles` over `bucket`, reading `${prefix}${path}`. */
export function r2ModelFiles(bucket: R2Bucket, prefix: string): ModelFiles {
  const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  return {
    id: `r2:${base}`,
    async read(path) {
      const object = await bucket.get(`${base}${path}`);
      if (object === null) {
        throw new ModelLoadError('model_load_failed', `model file ${path} is missing from R2`, {
          details: { path },
        });
      }
      return new Uint8Array(await object.arrayBuffer());
    },
    async size(path) {
      return (await bucket.head(`${base}${path}`))?.size;
    },
  };
}
