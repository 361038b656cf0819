/**
 * What an ONNX file holds, read without running it: its graph's nodes (operator, inputs, outputs,
 * attributes), the size and element type of each initializer, the declared inputs and outputs,
 * and the small integer constants that shape computations use. The memory budget
 * (memory-budget.ts) sizes a model from this before ONNX Runtime sees it, and a file cut short
 * (an upload that stopped, a truncated R2 object) is reported here, by name, rather than as a
 * parse failure inside the runtime.
 *
 * Written by hand: only the few fields of onnx.proto3 listed below are read, weights are skipped
 * by their length (a 350 MB model is walked without a copy), and a protobuf library with the ONNX
 * schema would add a generated module of some 100 KB to every bundle for this.
 */
import { ModelLoadError } from '../errors.js';

/** An attribute value as far as the readers need it. */
export type AttributeValue = number | number[] | string | TensorInfo | undefined;

/** An initializer or a tensor attribute: type, shape, and its values when small and integral. */
export interface TensorInfo {
  name: string;
  /** onnx.TensorProto.DataType: 1 float, 2 uint8, 3 int8, 6 int32, 7 int64, 10 float16, … */
  dataType: number;
  dims: number[];
  /** Bytes of its data. */
  bytes: number;
  /** Its values, for integer tensors of at most 64 elements (shapes, axes, indices). */
  values?: number[];
}

export interface NodeInfo {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeValue>;
}

/** A declared graph input or output: dimensions as numbers, names for dynamic ones. */
export interface ValueInfo {
  name: string;
  elemType: number;
  dims: (number | string)[] | undefined;
}

export interface OnnxSummary {
  nodes: NodeInfo[];
  initializers: Map<string, TensorInfo>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Bytes of initializer data by data type. */
  weightBytes: Map<number, number>;
  /** Whether some initializer lives in an external file (its bytes are not in this one). */
  externalData: boolean;
}

/** Bytes per element of the ONNX data types a vision encoder holds. */
export const ELEMENT_BYTES: Readonly<Record<number, number>> = {
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  9: 1,
  10: 2,
  11: 8,
  12: 4,
  13: 8,
  16: 2,
};

const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

class Truncated extends Error {}

/** A protobuf message between `start` and `end` of `bytes`. */
class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Truncated();
      const byte = this.bytes[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('a varint longer than 10 bytes');
    }
  }

  /** A varint that fits a double exactly (tags, lengths, enums). */
  small(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Truncated();
      const byte = this.bytes[this.pos++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
      if (scale > 2 ** 56) throw new Error('a length or tag too large');
    }
  }

  /** A signed 64-bit varint as a number (dimensions, attribute ints, axes). */
  int64(): number {
    return Number(BigInt.asIntN(64, this.varint()));
  }

  /** The next field's number and wire type, or undefined at the end. */
  tag(): { field: number; wire: number } | undefined {
    if (this.done) return undefined;
    const tag = this.small();
    return { field: Math.floor(tag / 8), wire: tag % 8 };
  }

  /** A length-delimited field as a reader of its content. */
  sub(): Reader {
    const length = this.small();
    const start = this.pos;
    if (start + length > this.end) throw new Truncated();
    this.pos = start + length;
    return new Reader(this.bytes, start, start + length);
  }

  string(): string {
    const sub = this.sub();
    return new TextDecoder().decode(this.bytes.subarray(sub.pos, sub.end));
  }

  float(): number {
    if (this.pos + 4 > this.end) throw new Truncated();
    const value = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return value;
  }

  skip(wire: number): void {
    if (wire === WIRE.varint) this.varint();
    else if (wire === WIRE.fixed64) this.advance(8);
    else if (wire === WIRE.bytes) this.sub();
    else if (wire === WIRE.fixed32) this.advance(4);
    else throw new Error(`protobuf wire type ${wire} is not one ONNX uses`);
  }

  advance(count: number): void {
    if (this.pos + count > this.end) throw new Truncated();
    this.pos += count;
  }

  /** A repeated int64 field, packed or not. */
  int64s(wire: number, into: number[]): void {
    if (wire !== WIRE.bytes) {
      into.push(this.int64());
      return;
    }
    const sub = this.sub();
    while (!sub.done) into.push(sub.int64());
  }
}

function readTensor(r: Reader): TensorInfo {
  const tensor: TensorInfo = { name: '', dataType: 0, dims: [], bytes: 0 };
  let raw: Reader | undefined;
  const int64s: number[] = [];
  const int32s: number[] = [];
  let external = false;
  for (let t = r.tag(); t; t = r.tag()) {
    if (t.field === 1) r.int64s(t.wire, tensor.dims);
    else if (t.field === 2) tensor.dataType = r.small();
    else if (t.field === 8) tensor.name = r.string();
    else if (t.field === 9) raw = r.sub();
    else if (t.field === 7) r.int64s(t.wire, int64s);
    else if (t.field === 5) r.int64s(t.wire, int32s);
    else if (t.field === 14) external = r.small() === 1;
    else r.skip(t.wire);
  }
  const elements = tensor.dims.reduce((n, d) => n * d, 1);
  tensor.bytes = external ? 0 : elements * (ELEMENT_BYTES[tensor.dataType] ?? 4);
  if (raw && !external && raw.end - raw.pos !== tensor.bytes && ELEMENT_BYTES[tensor.dataType]) {
    throw new Error(`initializer ${tensor.name} holds ${raw.end - raw.pos} bytes for ${tensor.bytes}`);
  }
  const integral = tensor.dataType === 7 || tensor.dataType === 6;
  if (integral && elements <= 64) {
    if (raw) {
      const view = new DataView(raw.bytes.buffer, raw.bytes.byteOffset + raw.pos, raw.end - raw.pos);
      tensor.values = Array.from({ length: elements }, (_, i) =>
        tensor.dataType === 7 ? Number(view.getBigInt64(i * 8, true)) : view.getInt32(i * 4, true),
      );
    } else {
      tensor.values = tensor.dataType === 7 ? int64s : int32s;
    }
  }
  return tensor;
}

function readAttribute(r: Reader): [string, AttributeValue] {
  let name = '';
  let value: AttributeValue;
  const ints: number[] = [];
  const floats: number[] = [];
  for (let t = r.tag(); t; t = r.tag()) {
    if (t.field === 1) name = r.string();
    else if (t.field === 2) value = r.float();
    else if (t.field === 3) value = r.int64();
    else if (t.field === 4) value = r.string();
    else if (t.field === 5) value = readTensor(r.sub());
    else if (t.field === 8) r.int64s(t.wire, ints);
    else if (t.field === 7) {
      if (t.wire === WIRE.bytes) {
        const sub = r.sub();
        while (!sub.done) floats.push(sub.float());
      } else floats.push(r.float());
    } else r.skip(t.wire);
  }
  if (ints.length) value = ints;
  else if (floats.length) value = floats;
  return [name, value];
}

function readNode(r: Reader): NodeInfo {
  const node: NodeInfo = { opType: '', domain: '', inputs: [], outputs: [], attributes: {} };
  for (let t = r.tag(); t; t = r.tag()) {
    if (t.field === 1) node.inputs.push(r.string());
    else if (t.field === 2) node.outputs.push(r.string());
    else if (t.field === 4) node.opType = r.string();
    else if (t.field === 7) node.domain = r.string();
    else if (t.field === 5) {
      const [name, value] = readAttribute(r.sub());
      node.attributes[name] = value;
    } else r.skip(t.wire);
  }
  return node;
}

function readValueInfo(r: Reader): ValueInfo {
  const info: ValueInfo = { name: '', elemType: 0, dims: undefined };
  for (let t = r.tag(); t; t = r.tag()) {
    if (t.field === 1) info.name = r.string();
    else if (t.field === 2) {
      const type = r.sub();
      for (let u = type.tag(); u; u = type.tag()) {
        if (u.field !== 1) {
          type.skip(u.wire);
          continue;
        }
        const tensor = type.sub();
        for (let v = tensor.tag(); v; v = tensor.tag()) {
          if (v.field === 1) info.elemType = tensor.small();
          else if (v.field === 2) {
            info.dims = [];
            const shape = tensor.sub();
            for (let w = shape.tag(); w; w = shape.tag()) {
              if (w.field !== 1) {
                shape.skip(w.wire);
                continue;
              }
              const dim = shape.sub();
              let value: number | string = '?';
              for (let x = dim.tag(); x; x = dim.tag()) {
                if (x.field === 1) value = dim.int64();
                else if (x.field === 2) value = dim.string();
                else dim.skip(x.wire);
              }
              info.dims.push(value);
            }
          } else tensor.skip(v.wire);
        }
      }
    } else r.skip(t.wire);
  }
  return info;
}

/**
 * Read the summary of an ONNX model. `name` is used in errors.
 *
 * @throws ModelLoadError `model_load_failed` when the file ends inside a field (truncated) or is
 *   not an ONNX model.
 */
export function readOnnxSummary(bytes: Uint8Array, name: string): OnnxSummary {
  const summary: OnnxSummary = {
    nodes: [],
    initializers: new Map(),
    inputs: [],
    outputs: [],
    weightBytes: new Map(),
    externalData: false,
  };
  let sawGraph = false;
  let sawOpset = false;
  try {
    const model = new Reader(bytes, 0, bytes.byteLength);
    for (let t = model.tag(); t; t = model.tag()) {
      if (t.field === 8) sawOpset = true;
      if (t.field !== 7 || t.wire !== WIRE.bytes) {
        model.skip(t.wire);
        continue;
      }
      sawGraph = true;
      const graph = model.sub();
      for (let g = graph.tag(); g; g = graph.tag()) {
        if (g.field === 1) summary.nodes.push(readNode(graph.sub()));
        else if (g.field === 5) {
          const tensor = readTensor(graph.sub());
          summary.initializers.set(tensor.name, tensor);
          summary.weightBytes.set(
            tensor.dataType,
            (summary.weightBytes.get(tensor.dataType) ?? 0) + tensor.bytes,
          );
          if (tensor.bytes === 0 && tensor.dims.length > 0) summary.externalData = true;
        } else if (g.field === 11) summary.inputs.push(readValueInfo(graph.sub()));
        else if (g.field === 12) summary.outputs.push(readValueInfo(graph.sub()));
        else graph.skip(g.wire);
      }
    }
  } catch (cause) {
    const truncated = cause instanceof Truncated;
    throw new ModelLoadError(
      'model_load_failed',
      truncated
        ? `${name} is truncated: it ends inside a field after ${bytes.byteLength} bytes (an upload or copy cut short?)`
        : `${name} is not a readable ONNX model: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause, details: { path: name, bytes: bytes.byteLength, truncated } },
    );
  }
  if (!sawGraph || summary.nodes.length === 0) {
    throw new ModelLoadError('model_load_failed', `${name} is not an ONNX model: it has no graph`, {
      details: { path: name, bytes: bytes.byteLength, truncated: false },
    });
  }
  // Fields are written in order of their numbers and opset_import (8) follows the graph (7): a
  // file cut just after its graph ends at a field boundary, and only this tells.
  if (!sawOpset) {
    throw new ModelLoadError(
      'model_load_failed',
      `${name} is truncated: it ends after its graph, before the operator sets (${bytes.byteLength} bytes)`,
      { details: { path: name, bytes: bytes.byteLength, truncated: true } },
    );
  }
  // Initializers are often listed as graph inputs too (older exporters); they are not fed.
  summary.inputs = summary.inputs.filter((input) => !summary.initializers.has(input.name));
  return summary;
}
