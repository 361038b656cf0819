/**
 * The model manifest: what config.json tells us about a CLIP-family model.
 *
 * Hub configs carry `logit_scale_init_value`, the value the scale was *initialised* with, not the
 * trained one, so it is not used for inference. The trained scale lives in the weights; Descry reads
 * it from an optional `descry` block in config.json (the embedded model writes one), from the caller,
 * or falls back to the family's known trained value (CLIP clamps its scale at 100).
 */
import { z } from 'zod';
import { ModelLoadError } from '../errors.js';
import { detectFamily, type FamilyProfile, type ModelFamily } from './family.js';

const textConfig = z
  .object({
    max_position_embeddings: z.number().int().positive().optional(),
    pad_token_id: z.number().int().optional(),
    eos_token_id: z.number().int().optional(),
    bos_token_id: z.number().int().optional(),
  })
  .loose();

const configSchema = z
  .object({
    model_type: z.string(),
    projection_dim: z.number().int().positive().optional(),
    text_config: textConfig.optional(),
    vision_config: z.object({ image_size: z.number().int().positive().optional() }).loose().optional(),
    descry: z
      .object({ logit_scale: z.number().positive().optional(), logit_bias: z.number().optional() })
      .loose()
      .optional(),
  })
  .loose();

export type { ModelFamily };

/** What Descry needs to know about a model, parsed from config.json. */
export interface ModelConfig {
  family: ModelFamily;
  /** Everything that differs by family (./family.ts). */
  profile: FamilyProfile;
  modelType: string;
  projectionDim: number | undefined;
  /** Multiplier applied to cosines to get logits. */
  logitScale: number;
  /** Added to logits (SigLIP); 0 for CLIP. */
  logitBias: number;
  /** Longest token sequence the text encoder accepts. */
  maxTextLength: number;
  raw: Record<string, unknown>;
}

/** Parse config.json; `overrides` come from the caller and win. */
export function parseModelConfig(
  json: unknown,
  overrides: { logitScale?: number; logitBias?: number } = {},
): ModelConfig {
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    throw new ModelLoadError(
      'model_config_invalid',
      `config.json is not a model config: ${parsed.error.message}`,
    );
  }
  const config = parsed.data;
  const profile = detectFamily(config.model_type);
  return {
    family: profile.family,
    profile,
    modelType: config.model_type,
    projectionDim: config.projection_dim,
    logitScale: overrides.logitScale ?? config.descry?.logit_scale ?? profile.scoring.logitScale,
    logitBias: overrides.logitBias ?? config.descry?.logit_bias ?? profile.scoring.logitBias,
    maxTextLength: config.text_config?.max_position_embeddings ?? profile.text.maxLength,
    raw: json as Record<string, unknown>,
  };
}
