/**
 * Which committed OpenMoji evaluation images the worker tests classify. They are held out from
 * training; each was checked to be ranked first by the embedded model among the labels of this
 * set (see tests/fixtures/openmoji-eval/labels.json for names and licence).
 */
export const FIXTURE_DIR = 'tests/fixtures/openmoji-eval';

export const FIXTURE_FILES: readonly string[] = ['1F363.png', '1F453.png', '1F32D.png', '1F3A4.png'];
