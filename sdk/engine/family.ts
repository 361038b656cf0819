/**
 * Model families as profiles: everything Descry does differently for CLIP and SigLIP, in one
 * table. Detection from config.json (and preprocessor_config.json), how logits become scores, how
 * prompts are padded and which ONNX output holds an embedding, and the image processor's defaults
 * for keys preprocessor_config.json leaves out. Every other module asks the profile; none
 * compares family names itself, so a new family (or a fix to one) is one entry here.
 *
 * - CLIP (Radford et al., 2021): softmax over `logit_scale · cosine`; prompts padded to the
 *   longest in a batch; CLIPImageProcessor resizes the shortest edge and centre-crops.
 * - SigLIP (Zhai et al., 2023, "Sigmoid Loss for Language Image Pre-Training"): an independent
 *   sigmoid per class over `logit_scale · cosine + logit_bias`; the text tower was trained on
 *   sequences padded to `max_length` (64) and must see them so; SiglipImageProcessor resizes to a
 *   square with no crop and normalises with mean = std = 0.5.
 *
 * The trained logit scale and bias live in the weights, not in hub configs (which carry only the
 * initial values): config.json's optional `descry` block or the caller's options give them, and
 * the family's published values are the fallback.
 */
import type { Activation } from '../predictors/class-scores.js';

/** The families Descry knows. */
export type ModelFamily = 'clip' | 'siglip';

/** How cosines become scores. */
export interface ScoringProfile {
  activation: Activation;
  /** Fallback trained logit scale (already exponentiated). */
  logitScale: number;
  /** Fallback trained logit bias. */
  logitBias: number;
}

/** How prompts reach the text tower. */
export interface TextProfile {
  /** `longest`: pad each batch to its longest prompt; `max_length`: always to `maxLength`. */
  padding: 'longest' | 'max_length';
  /** Context length when config.json's text_config does not give one. */
  maxLength: number;
}

/** Defaults of the family's image processor for keys preprocessor_config.json leaves out. */
export interface ImageDefaults {
  /** A bare `size: n` is the shortest edge (CLIP) or an n × n square (SigLIP). */
  bareSize: 'shortestEdge' | 'square';
  size: { shortest_edge: number } | { height: number; width: number };
  centerCrop: boolean;
  cropSize: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** One family. */
export interface FamilyProfile {
  family: ModelFamily;
  /** Whether config.json's `model_type` (or a processor's type name) belongs to this family. */
  matches(typeName: string): boolean;
  scoring: ScoringProfile;
  text: TextProfile;
  /** ONNX output names holding an embedding, in order of preference (CLIP exports name them; SigLIP exports call it pooler_output). */
  outputs: { text: readonly string[]; vision: readonly string[] };
  image: ImageDefaults;
}

/** OpenAI CLIP's normalisation constants (transformers' OPENAI_CLIP_MEAN / OPENAI_CLIP_STD). */
export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

const CLIP: FamilyProfile = {
  family: 'clip',
  matches: (name) => /clip/i.test(name),
  // CLIP clamps its trained scale at 100.
  scoring: { activation: 'softmax', logitScale: 100, logitBias: 0 },
  text: { padding: 'longest', maxLength: 77 },
  outputs: { text: ['text_embeds', 'pooler_output'], vision: ['image_embeds', 'pooler_output'] },
  image: {
    bareSize: 'shortestEdge',
    size: { shortest_edge: 224 },
    centerCrop: true,
    cropSize: 224,
    mean: CLIP_MEAN,
    std: CLIP_STD,
  },
};

const SIGLIP: FamilyProfile = {
  family: 'siglip',
  matches: (name) => /siglip/i.test(name),
  // Published trained values of google/siglip-base-patch16-224.
  scoring: { activation: 'sigmoid', logitScale: 117.33, logitBias: -12.93 },
  text: { padding: 'max_length', maxLength: 64 },
  outputs: { text: ['text_embeds', 'pooler_output'], vision: ['image_embeds', 'pooler_output'] },
  image: {
    bareSize: 'square',
    size: { height: 224, width: 224 },
    centerCrop: false,
    cropSize: 224,
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
  },
};

/** Every family, most specific first ("siglip" before "clip", which it contains). */
export const FAMILIES: readonly FamilyProfile[] = [SIGLIP, CLIP];

/** The profile of a family by name. */
export function familyProfile(family: ModelFamily): FamilyProfile {
  return FAMILIES.find((profile) => profile.family === family)!;
}

/**
 * The family a type name belongs to (config.json's `model_type`, or a processor's
 * `image_processor_type`); `fallback` when none claims it (CLIP for any other model type: the
 * CLIP-style exports Descry loads, MobileCLIP among them, score as CLIP does).
 */
export function detectFamily(typeName: string | undefined, fallback: FamilyProfile = CLIP): FamilyProfile {
  if (!typeName) return fallback;
  return FAMILIES.find((profile) => profile.matches(typeName)) ?? fallback;
}
