/**
 * Which committed OpenMoji evaluation images the worker tests classify. They are held out from
 * training. Chosen for the shipped emoji-clip: each image's cosine with its own name beats every
 * other name of the set by at least 0.03 with the default template and with the templates the
 * tests use, so the assertions test the service, not the model's borderline cases.
 * Names and licence: tests/fixtures/openmoji-eval/labels.json and ATTRIBUTION.md.
 */
export const FIXTURE_DIR = 'tests/fixtures/openmoji-eval';

export const FIXTURE_FILES: readonly string[] = ['1F1EA-1F1F9.png', '1F935.png', '3297.png', '1F91F.png'];
