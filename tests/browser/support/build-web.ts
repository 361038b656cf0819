/**
 * Vitest globalSetup: builds the demo page (examples/web) once before the tests when a source
 * changed since the last build, so browser tests that serve it see the current page, and no two
 * test files build it at once.
 */
import { buildWebIfStale } from '../../../scripts/build-web.mjs';

export default async function setup(): Promise<void> {
  await buildWebIfStale();
}
