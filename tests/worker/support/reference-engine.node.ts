/** The SDK on Node with the model the Node server serves, loaded once per test file. */
import { Descry } from 'descry';
import { DEFAULT_MODEL_DIR } from '../../../worker/hosts/node-server.node.js';
import type { ClassificationEngine } from '../../../worker/service/deps.js';

let engine: Promise<ClassificationEngine> | undefined;

export function nodeReferenceEngine(): Promise<ClassificationEngine> {
  engine ??= Descry.load(DEFAULT_MODEL_DIR);
  return engine;
}
