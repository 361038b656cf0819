/**
 * Centre crop with transformers' exact offsets and zero padding (image_transforms.center_crop).
 */
import type { Raster } from './resize.js';

/**
 * Where a `height × width` centre crop starts in an `imageHeight × imageWidth` image: top =
 * (H - h) // 2, left = (W - w) // 2, with Python's floor division. When the crop is larger than the
 * image, transformers first pads it with zeros onto a max(crop, image) canvas (top pad =
 * ceil((new H - H) / 2)); in source coordinates its window then still starts at floor((H - h) / 2),
 * negative, and rows and columns outside the image are zeros.
 */
export function cropOrigin(
  imageWidth: number,
  imageHeight: number,
  width: number,
  height: number,
): { top: number; left: number } {
  return { top: Math.floor((imageHeight - height) / 2), left: Math.floor((imageWidth - width) / 2) };
}

/** Copies rows of `src` into a `height × width` raster whose (0, 0) is `src`'s (top, left); the rest is 0. */
export function placeRows(src: Raster, top: number, left: number, height: number, width: number): Raster {
  if (top === 0 && left === 0 && height === src.height && width === src.width) return src;
  const { channels } = src;
  const out = new Uint8Array(height * width * channels);
  const x0 = Math.max(0, left);
  const x1 = Math.min(src.width, left + width);
  if (x1 <= x0) return { width, height, channels, data: out };
  for (let y = Math.max(0, top); y < Math.min(src.height, top + height); y++) {
    const from = (y * src.width + x0) * channels;
    out.set(
      src.data.subarray(from, from + (x1 - x0) * channels),
      ((y - top) * width + (x0 - left)) * channels,
    );
  }
  return { width, height, channels, data: out };
}

/** Crops `height × width` from the centre of `src`, zero-padding where the crop is larger. */
export function centerCrop(src: Raster, height: number, width: number): Raster {
  const { top, left } = cropOrigin(src.width, src.height, width, height);
  return placeRows(src, top, left, height, width);
}
