/**
 * The compiled-classifier file format (versions 1 and 2), little-endian:
 *
 *   offset 0   8 bytes  magic "DESCRYC\0"
 *          8   u16      format version (1 or 2)
 *         10   u8       element type: 1 = float32, 2 = float16
 *         11   u8       reserved (0)
 *         12   u32      header length H in bytes
 *         16   H bytes  header: UTF-8 JSON (`ClassifierHeader`)
 *     16 + H   0-3      zero padding to a multiple of 4
 *          …   rows     class weights (classes × dim), then descriptor embeddings (descriptorRows × dim),
 *                       then (version 2) subclass embeddings (subclassRows × dim)
 *
 * Version 2 adds to the header `subclasses` (per label, the texts of its subclass rows, labels
 * without subclasses left out), `subclassTemplates` and an optional fitted conformal
 * `calibration` (classifier/calibration.ts), and the subclass block. A file is written at the
 * lowest version that holds it, so a classifier without subclasses or calibration stays a
 * version-1 file that older readers load; every version-1 file loads as before.
 *
 * float16 halves the size at a cost below 1e-3 in cosine, far under the gaps between labels; the
 * loader always widens to float32 so the predictors see one type.
 */
import { getFloat16, setFloat16 } from '@petamoriken/float16';
import { ModelMismatchError } from '../errors.js';
import { subclassLists } from '../predictors/subclasses.js';
import type { DescriptorMap } from '../types.js';
import { type ClassifierCalibration, decodeCalibration } from './calibration.js';

const MAGIC = [0x44, 0x45, 0x53, 0x43, 0x52, 0x59, 0x43, 0x00]; // "DESCRYC\0"
/** The newest version this code reads and writes. */
const LATEST_VERSION = 2;

/** Element type of the stored embeddings. */
export type StoredDtype = 'float32' | 'float16';

/** The JSON header of a classifier file. */
export interface ClassifierHeader {
  /** Fingerprint of the model the embeddings were computed with. */
  fingerprint: string;
  /** Model id, for messages only. */
  model: string;
  dim: number;
  labels: string[];
  templates: string[];
  /** Descriptors per label, in row order of the descriptor block; absent when none. */
  descriptors?: DescriptorMap;
  /** Template the descriptor prompts were made with; absent when there are no descriptors. */
  descriptorTemplate?: string;
  /** Version 2: subclass texts per label, in row order of the subclass block; absent when none. */
  subclasses?: Record<string, string[]>;
  /** Version 2: templates each subclass's ensemble was made with. */
  subclassTemplates?: string[];
  /** Version 2: a conformal calibration fitted on this classifier's scores. */
  calibration?: ClassifierCalibration;
  created: string;
}

/** Decoded classifier contents. */
export interface ClassifierPayload {
  header: ClassifierHeader;
  /** classes × dim, L2-normalised rows. */
  classWeights: Float32Array;
  /** descriptorRows × dim, L2-normalised rows, grouped per label in label order. */
  descriptorEmbeddings: Float32Array;
  /** subclassRows × dim, L2-normalised rows, grouped per label in label order (empty when none). */
  subclassEmbeddings?: Float32Array;
}

/** Serialise a classifier. */
export function encodeClassifier(payload: ClassifierPayload, dtype: StoredDtype = 'float16'): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify(payload.header));
  const subclassEmbeddings = payload.subclassEmbeddings ?? new Float32Array();
  const version = payload.header.subclasses || payload.header.calibration ? 2 : 1;
  const dataOffset = align4(16 + header.byteLength);
  const blocks = [payload.classWeights, payload.descriptorEmbeddings, subclassEmbeddings];
  const values = blocks.reduce((n, block) => n + block.length, 0);
  const width = dtype === 'float16' ? 2 : 4;
  const bytes = new Uint8Array(dataOffset + values * width);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint16(8, version, true);
  view.setUint8(10, dtype === 'float16' ? 2 : 1);
  view.setUint32(12, header.byteLength, true);
  bytes.set(header, 16);
  let offset = dataOffset;
  for (const block of blocks) {
    for (const value of block) {
      if (width === 2) setFloat16(view, offset, value, true);
      else view.setFloat32(offset, value, true);
      offset += width;
    }
  }
  return bytes;
}

/** Parse a classifier file; throws ModelMismatchError('classifier_format_invalid') on any damage. */
export function decodeClassifier(bytes: Uint8Array): ClassifierPayload {
  const invalid = (why: string) =>
    new ModelMismatchError('classifier_format_invalid', `not a valid Descry classifier: ${why}`);
  if (bytes.byteLength < 16 || MAGIC.some((b, i) => bytes[i] !== b)) throw invalid('bad magic bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(8, true);
  if (version < 1 || version > LATEST_VERSION) throw invalid(`unsupported format version ${version}`);
  const dtypeCode = view.getUint8(10);
  if (dtypeCode !== 1 && dtypeCode !== 2) throw invalid(`unknown element type ${dtypeCode}`);
  const headerLength = view.getUint32(12, true);
  if (16 + headerLength > bytes.byteLength) throw invalid('truncated header');
  let header: ClassifierHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLength)));
  } catch {
    throw invalid('header is not JSON');
  }
  if (
    typeof header?.fingerprint !== 'string' ||
    !Array.isArray(header.labels) ||
    !Array.isArray(header.templates) ||
    !Number.isInteger(header.dim) ||
    header.dim <= 0
  ) {
    throw invalid('header lacks fingerprint, labels, templates or dim');
  }
  if (version === 1) {
    // Version 1 has no subclasses and no calibration; a header claiming them is not one we wrote.
    if (header.subclasses !== undefined || header.calibration !== undefined) {
      throw invalid('a version-1 header with version-2 fields');
    }
  } else {
    if (header.subclasses !== undefined && !validSubclasses(header.subclasses, header.labels)) {
      throw invalid('subclasses must map labels to lists of strings');
    }
    if (header.calibration !== undefined) {
      try {
        header.calibration = decodeCalibration(header.calibration);
      } catch {
        throw invalid('malformed calibration');
      }
    }
  }
  const descriptorRows = Object.values(header.descriptors ?? {}).reduce((n, list) => n + list.length, 0);
  const subclassRows = Object.values(header.subclasses ?? {}).reduce((n, list) => n + list.length, 0);
  const width = dtypeCode === 2 ? 2 : 4;
  const classValues = header.labels.length * header.dim;
  const descriptorValues = descriptorRows * header.dim;
  const subclassValues = subclassRows * header.dim;
  const dataOffset = align4(16 + headerLength);
  if (bytes.byteLength !== dataOffset + (classValues + descriptorValues + subclassValues) * width) {
    throw invalid('embedding block has the wrong size');
  }
  const read = (start: number, count: number) => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const at = start + i * width;
      out[i] = width === 2 ? getFloat16(view, at, true) : view.getFloat32(at, true);
    }
    return out;
  };
  return {
    header,
    classWeights: read(dataOffset, classValues),
    descriptorEmbeddings: read(dataOffset + classValues * width, descriptorValues),
    subclassEmbeddings: read(dataOffset + (classValues + descriptorValues) * width, subclassValues),
  };
}

/**
 * Every key a label, every value a non-empty list of distinct, trimmed, non-blank strings, no
 * subclass under two labels: what `subclassLists` accepts and compiling writes.
 */
function validSubclasses(subclasses: unknown, labels: readonly string[]): boolean {
  if (typeof subclasses !== 'object' || subclasses === null || Array.isArray(subclasses)) return false;
  try {
    const lists = subclassLists(labels, subclasses as Record<string, string[]>);
    const map = subclasses as Record<string, string[]>;
    return labels.every(
      (label, c) => !Object.hasOwn(map, label) || map[label]!.every((s, i) => s === lists[c]![i]),
    );
  } catch {
    return false;
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
