/** The SDK inside workerd with the embedded model the Worker serves, loaded once per test file. */
import { Descry } from 'descry';
import embeddedModel from 'descry/models/emoji-clip';
import type { ClassificationEngine } from '../../../worker/service/deps.js';

let engine: Promise<ClassificationEngine> | undefined;

export function workerdReferenceEngine(): Promise<ClassificationEngine> {
  engine ??= Descry.load(embeddedModel);
  return engine;
}
