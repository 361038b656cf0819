/**
 * Hugging Face `preprocessor_config.json`, validated with zod and resolved into the explicit steps
 * Descry runs. Defaults for missing keys are those of transformers' CLIPImageProcessor and
 * SiglipImageProcessor constructors (the family profiles of sdk/engine/family.ts), picked by
 * `image_processor_type` / `feature_extractor_type`, else by the model's family.
 */
import { z } from 'zod';
import { CLIP_MEAN, CLIP_STD, detectFamily, type FamilyProfile, type ModelFamily } from '../engine/family.js';
import { ModelLoadError } from '../errors.js';
import { Resample, type ResampleFilter } from './resize.js';

export { CLIP_MEAN, CLIP_STD };

type Triple = readonly [number, number, number];

/** The preprocessing steps, resolved and in order. */
export interface PreprocessorConfig {
  /** Which family's processor the defaults came from. */
  processor: ModelFamily;
  /**
   * `shortestEdge`: scale so the short side equals it, long side `int(edge * long / short)`.
   * `exact`: resize straight to height × width (SigLIP). `undefined`: no resize.
   */
  resize:
    | { mode: 'shortestEdge'; shortestEdge: number }
    | { mode: 'exact'; height: number; width: number }
    | undefined;
  resample: ResampleFilter;
  /** Centre crop (zero-padding when the image is smaller), or no crop. */
  crop: { height: number; width: number } | undefined;
  /** Multiplier applied to 0..255 values, or none. */
  rescaleFactor: number | undefined;
  /** Per-channel (RGB) mean and std, or no normalisation. */
  normalize: { mean: Triple; std: Triple } | undefined;
  /**
   * Height and width of the model's pixel input: the crop size, else the exact resize size, else
   * the shortest edge (only a lower bound then: the long side follows the image's aspect ratio).
   */
  cropHeight: number;
  cropWidth: number;
}

const positiveInt = z.number().int().positive();
const sizeSchema = z.union([
  positiveInt,
  z.object({ shortest_edge: positiveInt }).loose(),
  z.object({ height: positiveInt, width: positiveInt }).loose(),
]);
const cropSchema = z.union([positiveInt, z.object({ height: positiveInt, width: positiveInt }).loose()]);
const triple = z.union([z.number(), z.array(z.number()).min(1)]);

const configSchema = z
  .object({
    image_processor_type: z.string().optional(),
    feature_extractor_type: z.string().optional(),
    do_resize: z.boolean().nullish(),
    size: sizeSchema.nullish(),
    resample: z.number().int().nullish(),
    do_center_crop: z.boolean().nullish(),
    crop_size: cropSchema.nullish(),
    do_rescale: z.boolean().nullish(),
    rescale_factor: z.number().positive().nullish(),
    do_normalize: z.boolean().nullish(),
    image_mean: triple.nullish(),
    image_std: triple.nullish(),
    do_convert_rgb: z.boolean().nullish(),
  })
  .loose();

type RawConfig = z.infer<typeof configSchema>;

function invalid(message: string, details?: Record<string, unknown>): ModelLoadError {
  return new ModelLoadError('model_config_invalid', `preprocessor_config.json: ${message}`, { details });
}

function toTriple(value: number | number[], name: string): Triple {
  const values = typeof value === 'number' ? [value] : value;
  if (values.length === 1) return [values[0] ?? 0, values[0] ?? 0, values[0] ?? 0];
  if (values.length !== 3) throw invalid(`${name} must have 1 or 3 values, got ${values.length}.`);
  return [values[0] ?? 0, values[1] ?? 0, values[2] ?? 0];
}

function resolveResize(raw: RawConfig, family: FamilyProfile): PreprocessorConfig['resize'] {
  if (raw.do_resize === false) return undefined;
  // transformers' get_size_dict: a bare int means shortest_edge for CLIP and a square for SigLIP.
  const size = raw.size ?? family.image.size;
  if (typeof size === 'number') {
    return family.image.bareSize === 'square'
      ? { mode: 'exact', height: size, width: size }
      : { mode: 'shortestEdge', shortestEdge: size };
  }
  if ('shortest_edge' in size) return { mode: 'shortestEdge', shortestEdge: size.shortest_edge as number };
  return { mode: 'exact', height: size.height as number, width: size.width as number };
}

function resolveCrop(raw: RawConfig, family: FamilyProfile): PreprocessorConfig['crop'] {
  const enabled = raw.do_center_crop ?? family.image.centerCrop;
  if (!enabled) return undefined;
  const crop = raw.crop_size ?? family.image.cropSize;
  return typeof crop === 'number'
    ? { height: crop, width: crop }
    : { height: crop.height, width: crop.width };
}

const FILTERS: readonly number[] = Object.values(Resample);

function resolveResample(raw: RawConfig): ResampleFilter {
  const resample = raw.resample ?? Resample.BICUBIC;
  if (FILTERS.includes(resample)) return resample as ResampleFilter;
  throw invalid(`resample ${resample} is not a Pillow filter (0 to 5).`, { resample });
}

/**
 * Validates a parsed `preprocessor_config.json` and resolves it into explicit steps.
 * `do_convert_rgb` is accepted but has no switch: the models take 3 channels, so every image
 * becomes RGB; what happens to alpha is the caller's `background` option (./background.ts).
 *
 * @param modelFamily - the model's family, whose processor's defaults apply when the file names no
 *   processor type (default CLIP's)
 * @throws ModelLoadError 'model_config_invalid' when a field has the wrong shape or an unsupported value.
 */
export function parsePreprocessorConfig(json: unknown, modelFamily?: FamilyProfile): PreprocessorConfig {
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    throw invalid(z.prettifyError(parsed.error), {
      issues: parsed.error.issues.map((issue) => issue.message),
    });
  }
  const raw = parsed.data;
  const type = `${raw.image_processor_type ?? ''} ${raw.feature_extractor_type ?? ''}`.trim();
  const family = detectFamily(type, modelFamily);
  const mean = toTriple(raw.image_mean ?? [...family.image.mean], 'image_mean');
  const std = toTriple(raw.image_std ?? [...family.image.std], 'image_std');
  if (std.some((value) => value === 0)) throw invalid('image_std must not contain 0.');
  const resize = resolveResize(raw, family);
  const crop = resolveCrop(raw, family);
  const input = crop ?? (resize?.mode === 'exact' ? resize : undefined);
  const edge = resize?.mode === 'shortestEdge' ? resize.shortestEdge : 0;
  return {
    processor: family.family,
    resize,
    resample: resolveResample(raw),
    crop,
    rescaleFactor: raw.do_rescale === false ? undefined : (raw.rescale_factor ?? 1 / 255),
    normalize: raw.do_normalize === false ? undefined : { mean, std },
    cropHeight: input?.height ?? edge,
    cropWidth: input?.width ?? edge,
  };
}
