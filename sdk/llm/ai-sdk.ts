/**
 * The AI SDK packages behind the LLM sources, loaded when a source is first asked: they are
 * optional peers (../optional-peer.ts), so `descry/llm` loads, and its static source, parsers and
 * caches work, without them. Each import is written out literally with its `.catch` so bundlers
 * include the package when it is installed.
 */

import type * as Ai from 'ai';
import { missingPeer } from '../optional-peer.js';

/** The `ai` package. */
export type AiModule = typeof Ai;

/** A source's name and every package it needs: all are named when one is missing. */
export interface Feature {
  name: string;
  packages: readonly string[];
}

/** The `ai` package, for `feature`. */
export function loadAi(feature: Feature): Promise<AiModule> {
  return import('ai').catch(missingPeer(feature.name, feature.packages));
}

/** `@ai-sdk/openai-compatible`, for `feature`. */
export function loadOpenAICompatible(feature: Feature): Promise<typeof import('@ai-sdk/openai-compatible')> {
  return import('@ai-sdk/openai-compatible').catch(missingPeer(feature.name, feature.packages));
}

/** `workers-ai-provider`, for `feature`. */
export function loadWorkersAIProvider(feature: Feature): Promise<typeof import('workers-ai-provider')> {
  return import('workers-ai-provider').catch(missingPeer(feature.name, feature.packages));
}
