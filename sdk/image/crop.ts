/**
 * Centre crop with transformers' exact offsets and zero padding (image_transforms.center_crop).
 */
import type { Raster } from './resize.js';

/** Python's `//` on ints: floor division, also for negative numerators. */
function floorHalf(value: number): number {
  return Math.floor(value / 2);
}

/**
 * Crops `height × width` from the centre: top = (H - h) // 2, left = (W - w) // 2. When the crop is
 * larger than the image, transformers first pads it with zeros onto a max(crop, image) canvas
 * (top pad = ceil((new H - H) / 2)); the result is the same window over that padded canvas.
 */
export function centerCrop(src: Raster, height: number, width: number): Raster {
  if (height === src.height && width === src.width) return src;
  const { channels } = src;
  // With padding, transformers' window starts exactly at the canvas origin (top = -topPad), so in
  // source coordinates it always starts at floor((H - h) / 2); rows outside the source are zeros.
  const top = floorHalf(src.height - height);
  const left = floorHalf(src.width - width);
  const out = new Uint8Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    const sy = top + y;
    if (sy < 0 || sy >= src.height) continue;
    for (let x = 0; x < width; x++) {
      const sx = left + x;
      if (sx < 0 || sx >= src.width) continue;
      const from = (sy * src.width + sx) * channels;
      out.set(src.data.subarray(from, from + channels), (y * width + x) * channels);
    }
  }
  return { width, height, channels, data: out };
}
