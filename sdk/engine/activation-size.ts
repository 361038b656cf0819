/**
 * The shapes of an ONNX graph's tensors for one input shape, propagated node by node, and from
 * them the largest activation the graph computes: what ONNX Runtime's arena must hold besides the
 * weights (memory-budget.ts). Exporters leave batch and sequence dimensions dynamic and compute
 * reshapes from `Shape` nodes, so small integer tensors are evaluated along the way (Shape, Gather,
 * Concat, Unsqueeze, arithmetic), as ONNX's shape inference does with data propagation.
 *
 * Written by hand: onnx's shape inference is C++ (Python bindings only), and ONNX Runtime does
 * not expose tensor shapes before it has allocated them. It covers the operators CLIP-family
 * encoders are exported with (ViT, MobileCLIP, SigLIP and their int8/fp16 variants); the
 * outputs of any other operator stay unknown, and the result says which operators those were.
 */
import type { AttributeValue, NodeInfo, OnnxSummary } from './onnx-summary.js';

type Shape = number[];

/** What the walk found. */
export interface ActivationSize {
  /** Elements of the largest tensor a node outputs. */
  largestElements: number;
  /** Which tensor that is, and the operator that makes it. */
  largest: { tensor: string; op: string; dims: Shape } | undefined;
  /** Dimensions of each graph output, where known. */
  outputs: Record<string, Shape | undefined>;
  /** Operators whose outputs could not be sized from known inputs (they and what follows are not counted). */
  unknownOps: string[];
}

const SAME_SHAPE = new Set([
  'Identity',
  'Cast',
  'Relu',
  'Sigmoid',
  'Erf',
  'Tanh',
  'Sqrt',
  'Neg',
  'Exp',
  'Log',
  'Abs',
  'Softmax',
  'LogSoftmax',
  'Dropout',
  'Gelu',
  'FastGelu',
  'QuickGelu',
  'BiasGelu',
  'Clip',
  'LeakyRelu',
  'HardSigmoid',
  'HardSwish',
  'Not',
  'Reciprocal',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'BatchNormalization',
  'InstanceNormalization',
  'LayerNormalization',
  'SimplifiedLayerNormalization',
  'SkipLayerNormalization',
  'DequantizeLinear',
  'QuantizeLinear',
  'DynamicQuantizeLinear',
  'Softplus',
  'Selu',
  'Elu',
  'Mish',
  'Sin',
  'Cos',
  'IsNaN',
  'IsInf',
  'CumSum',
  'Trilu',
]);

const BROADCAST = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Equal',
  'Less',
  'LessOrEqual',
  'Greater',
  'GreaterOrEqual',
  'Where',
  'And',
  'Or',
  'Xor',
  'Max',
  'Min',
  'Mod',
  'PRelu',
  'Sum',
  'Mean',
  'BiasAdd',
]);

const REDUCE = new Set([
  'ReduceMean',
  'ReduceSum',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL2',
  'ReduceL1',
  'ReduceSumSquare',
  'ReduceLogSumExp',
]);

const elements = (shape: Shape) => shape.reduce((n, d) => n * d, 1);

function broadcast(shapes: Shape[]): Shape | undefined {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d !== 1) {
        if (dim !== 1 && dim !== d) return undefined;
        dim = d;
      }
    }
    out.push(dim);
  }
  return out;
}

function ints(value: AttributeValue): number[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value === 'number') return [value];
  return undefined;
}

function int(value: AttributeValue, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

const axis = (a: number, rank: number) => (a < 0 ? a + rank : a);

/** Elementwise arithmetic on small integer tensors (shape computations). */
function arithmetic(op: string, a: number[], b: number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  if ((a.length !== n && a.length !== 1) || (b.length !== n && b.length !== 1)) return undefined;
  const at = (v: number[], i: number) => v[v.length === 1 ? 0 : i]!;
  const f: Record<string, (x: number, y: number) => number> = {
    Add: (x, y) => x + y,
    Sub: (x, y) => x - y,
    Mul: (x, y) => x * y,
    Div: (x, y) => Math.trunc(x / y),
    Equal: (x, y) => Number(x === y),
    Max: (x, y) => Math.max(x, y),
    Min: (x, y) => Math.min(x, y),
  };
  const fn = f[op];
  return fn ? Array.from({ length: n }, (_, i) => fn(at(a, i), at(b, i))) : undefined;
}

function convOutput(x: Shape, weight: Shape, attributes: Record<string, AttributeValue>): Shape | undefined {
  const spatial = x.length - 2;
  if (spatial < 1 || weight.length !== x.length) return undefined;
  const kernel = ints(attributes.kernel_shape) ?? weight.slice(2);
  return [x[0]!, weight[0]!, ...pooled(x.slice(2), kernel, attributes)];
}

/** Spatial output sizes of a convolution or pooling window. */
function pooled(input: Shape, kernel: number[], attributes: Record<string, AttributeValue>): Shape {
  const n = input.length;
  const strides = ints(attributes.strides) ?? new Array(n).fill(1);
  const dilations = ints(attributes.dilations) ?? new Array(n).fill(1);
  const pads = ints(attributes.pads) ?? new Array(2 * n).fill(0);
  const autoPad = typeof attributes.auto_pad === 'string' ? attributes.auto_pad : 'NOTSET';
  const ceil = int(attributes.ceil_mode, 0) === 1;
  return input.map((size, i) => {
    const stride = strides[i] ?? 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(size / stride);
    const extent = (dilations[i] ?? 1) * ((kernel[i] ?? 1) - 1) + 1;
    const padded = size + (autoPad === 'VALID' ? 0 : (pads[i] ?? 0) + (pads[i + n] ?? 0)) - extent;
    return (ceil ? Math.ceil(padded / stride) : Math.floor(padded / stride)) + 1;
  });
}

function matmul(a: Shape, b: Shape): Shape | undefined {
  if (a.length === 0 || b.length === 0) return undefined;
  const left = a.length === 1 ? [1, a[0]!] : a;
  const right = b.length === 1 ? [b[0]!, 1] : b;
  const batch = broadcast([left.slice(0, -2), right.slice(0, -2)]);
  if (!batch) return undefined;
  const out = [...batch, left[left.length - 2]!, right[right.length - 1]!];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.pop();
  return out;
}

function reshape(input: Shape, target: number[], allowZero: boolean): Shape | undefined {
  const out = target.map((d, i) => (d === 0 && !allowZero ? input[i]! : d));
  const known = out.filter((d) => d !== -1);
  const missing = out.length - known.length;
  if (missing > 1) return undefined;
  if (missing === 1) {
    const rest = elements(known);
    out[out.indexOf(-1)] = rest === 0 ? 0 : elements(input) / rest;
  }
  return out.some((d) => !Number.isInteger(d) || d < 0) ? undefined : out;
}

function slice(length: number, start: number, end: number, step: number): number[] {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const s = start < 0 ? start + length : start;
  const e = end < 0 ? end + length : end;
  const indices: number[] = [];
  if (step > 0) for (let i = clamp(s, 0, length); i < clamp(e, 0, length); i += step) indices.push(i);
  else for (let i = clamp(s, -1, length - 1); i > clamp(e, -1, length - 1); i += step) indices.push(i);
  return indices;
}

/**
 * Walk `summary`'s graph with its inputs of `inputShapes` (dynamic dimensions given); inputs not
 * named keep their declared shape, dynamic dimensions of them as 1.
 */
export function activationSize(summary: OnnxSummary, inputShapes: Record<string, Shape>): ActivationSize {
  const shapes = new Map<string, Shape | undefined>();
  const values = new Map<string, number[]>();
  for (const [name, tensor] of summary.initializers) {
    shapes.set(name, tensor.dims);
    if (tensor.values) values.set(name, tensor.values);
  }
  for (const input of summary.inputs) {
    shapes.set(
      input.name,
      inputShapes[input.name] ?? input.dims?.map((d) => (typeof d === 'number' ? d : 1)),
    );
  }
  const unknown = new Set<string>();
  let largest: ActivationSize['largest'];
  let largestElements = 0;
  for (const node of summary.nodes) {
    const inShapes = node.inputs.map((name) => (name === '' ? undefined : shapes.get(name)));
    const inValues = node.inputs.map((name) => values.get(name));
    const out = infer(node, inShapes, inValues);
    // Only where the walk stops: the nodes after it have unknown inputs, not unknown operators.
    const inputsKnown = node.inputs.every((name, i) => name === '' || inShapes[i] !== undefined);
    if (out === undefined && inputsKnown) unknown.add(node.opType);
    node.outputs.forEach((name, i) => {
      const shape = out?.shapes[i];
      shapes.set(name, shape);
      const value = out?.values?.[i];
      if (value) values.set(name, value);
      if (shape && elements(shape) > largestElements) {
        largestElements = elements(shape);
        largest = { tensor: name, op: node.opType, dims: shape };
      }
    });
  }
  return {
    largestElements,
    largest,
    outputs: Object.fromEntries(summary.outputs.map((o) => [o.name, shapes.get(o.name)])),
    unknownOps: [...unknown].sort(),
  };
}

interface Inferred {
  shapes: (Shape | undefined)[];
  values?: (number[] | undefined)[];
}

function infer(node: NodeInfo, s: (Shape | undefined)[], v: (number[] | undefined)[]): Inferred | undefined {
  const a = node.attributes;
  const x = s[0];
  const op = node.opType;
  if (op === 'Constant') {
    const t = a.value;
    if (typeof t === 'object' && t !== null && !Array.isArray(t))
      return { shapes: [t.dims], values: [t.values] };
    const list = ints(a.value_ints) ?? (typeof a.value_int === 'number' ? [a.value_int] : undefined);
    return list
      ? { shapes: [typeof a.value_int === 'number' ? [] : [list.length]], values: [list] }
      : undefined;
  }
  if (op === 'Shape') {
    if (!x) return undefined;
    const start = axis(int(a.start, 0), x.length);
    const end = a.end === undefined ? x.length : axis(int(a.end, x.length), x.length);
    const dims = x.slice(start, end);
    return { shapes: [[dims.length]], values: [dims] };
  }
  if (op === 'Size') return x ? { shapes: [[]], values: [[elements(x)]] } : undefined;
  if (SAME_SHAPE.has(op)) {
    if (!x) return undefined;
    const value =
      op === 'Cast' || op === 'Identity' ? v[0] : op === 'Neg' && v[0] ? v[0].map((n) => -n) : undefined;
    // DynamicQuantizeLinear's scale and zero point, LayerNormalization's statistics: not activations.
    return { shapes: [x, ...node.outputs.slice(1).map(() => [] as Shape)], values: [value] };
  }
  if (BROADCAST.has(op)) {
    const known = s.filter((shape): shape is Shape => shape !== undefined);
    if (known.length !== node.inputs.filter((n) => n !== '').length) return undefined;
    const shape = broadcast(known);
    let value: number[] | undefined;
    if (op === 'Where' && v[0] && v[1] && v[2])
      value = v[0].map((c, i) => (c ? (v[1]![i] ?? v[1]![0]!) : (v[2]![i] ?? v[2]![0]!)));
    else if (v[0] && v[1] && node.inputs.length === 2) value = arithmetic(op, v[0], v[1]);
    return { shapes: [shape], values: [value] };
  }
  if (op === 'Gather') {
    const indices = s[1];
    if (!x || !indices) return undefined;
    const ax = axis(int(a.axis, 0), x.length);
    const shape = [...x.slice(0, ax), ...indices, ...x.slice(ax + 1)];
    const value =
      v[0] && v[1] && x.length === 1 ? v[1].map((i) => v[0]![i < 0 ? i + v[0]!.length : i]!) : undefined;
    return { shapes: [shape], values: [value] };
  }
  if (op === 'Unsqueeze' || op === 'Squeeze') {
    if (!x) return undefined;
    const axes = ints(a.axes) ?? v[1];
    if (op === 'Unsqueeze') {
      if (!axes) return undefined;
      const rank = x.length + axes.length;
      const at = new Set(axes.map((d) => axis(d, rank)));
      const shape: Shape = [];
      let k = 0;
      for (let i = 0; i < rank; i++) shape.push(at.has(i) ? 1 : x[k++]!);
      return { shapes: [shape], values: [v[0]] };
    }
    const drop = axes ? new Set(axes.map((d) => axis(d, x.length))) : undefined;
    return { shapes: [x.filter((d, i) => (drop ? !drop.has(i) : d !== 1))], values: [v[0]] };
  }
  if (op === 'Concat') {
    if (s.some((shape) => !shape)) return undefined;
    const known = s as Shape[];
    const ax = axis(int(a.axis, 0), known[0]!.length);
    const shape = [...known[0]!];
    shape[ax] = known.reduce((sum, k) => sum + k[ax]!, 0);
    const value = v.every((part) => part) && known[0]!.length === 1 ? v.flatMap((part) => part!) : undefined;
    return { shapes: [shape], values: [value] };
  }
  if (op === 'Slice') {
    if (!x) return undefined;
    const starts = v[1] ?? ints(a.starts);
    const ends = v[2] ?? ints(a.ends);
    if (!starts || !ends) return undefined;
    const axes = v[3] ?? ints(a.axes) ?? starts.map((_, i) => i);
    const steps = v[4] ?? starts.map(() => 1);
    const shape = [...x];
    let value = v[0];
    axes.forEach((d, i) => {
      const ax = axis(d, x.length);
      const kept = slice(x[ax]!, starts[i]!, ends[i]!, steps[i]!);
      shape[ax] = kept.length;
      if (value && x.length === 1) value = kept.map((k) => value![k]!);
    });
    return { shapes: [shape], values: [x.length === 1 ? value : undefined] };
  }
  if (op === 'Split') {
    if (!x) return undefined;
    const ax = axis(int(a.axis, 0), x.length);
    const parts = v[1] ?? ints(a.split);
    const count = node.outputs.length;
    const sizes =
      parts ??
      Array.from(
        { length: count },
        (_, i) =>
          Math.ceil(x[ax]! / count) - (i === count - 1 ? Math.ceil(x[ax]! / count) * count - x[ax]! : 0),
      );
    return { shapes: sizes.map((size) => x.map((d, i) => (i === ax ? size : d))) };
  }
  if (op === 'Reshape') {
    if (!x || !v[1]) return undefined;
    return { shapes: [reshape(x, v[1], int(a.allowzero, 0) === 1)], values: [v[0]] };
  }
  if (op === 'Flatten') {
    if (!x) return undefined;
    const ax = axis(int(a.axis, 1), x.length);
    return { shapes: [[elements(x.slice(0, ax)), elements(x.slice(ax))]] };
  }
  if (op === 'Transpose') {
    if (!x) return undefined;
    const perm = ints(a.perm) ?? x.map((_, i) => x.length - 1 - i);
    return { shapes: [perm.map((p) => x[p]!)] };
  }
  if (op === 'Expand') {
    if (!x || !v[1]) return undefined;
    return { shapes: [broadcast([x, v[1]])] };
  }
  if (op === 'ConstantOfShape') {
    if (!v[0]) return undefined;
    const fill =
      typeof a.value === 'object' && a.value !== null && !Array.isArray(a.value) ? a.value.values?.[0] : 0;
    const shape = v[0];
    return {
      shapes: [shape],
      values: [
        elements(shape) <= 64 && fill !== undefined ? new Array(elements(shape)).fill(fill) : undefined,
      ],
    };
  }
  if (op === 'Range') {
    if (!v[0] || !v[1] || !v[2]) return undefined;
    const length = Math.max(Math.ceil((v[1][0]! - v[0][0]!) / v[2][0]!), 0);
    return { shapes: [[length]] };
  }
  if (op === 'Tile') return x && v[1] ? { shapes: [x.map((d, i) => d * v[1]![i]!)] } : undefined;
  if (op === 'Pad') {
    const pads = v[1] ?? ints(a.pads);
    return x && pads ? { shapes: [x.map((d, i) => d + pads[i]! + pads[i + x.length]!)] } : undefined;
  }
  if (op === 'Conv' || op === 'ConvInteger')
    return x && s[1] ? { shapes: [convOutput(x, s[1], a)] } : undefined;
  if (op === 'QLinearConv') return x && s[3] ? { shapes: [convOutput(x, s[3], a)] } : undefined;
  if (op === 'MaxPool' || op === 'AveragePool') {
    const kernel = ints(a.kernel_shape);
    return x && kernel ? { shapes: [[x[0]!, x[1]!, ...pooled(x.slice(2), kernel, a)]] } : undefined;
  }
  if (op === 'GlobalAveragePool' || op === 'GlobalMaxPool') {
    return x ? { shapes: [[x[0]!, x[1]!, ...x.slice(2).map(() => 1)]] } : undefined;
  }
  if (REDUCE.has(op) || op === 'ArgMax' || op === 'ArgMin') {
    if (!x) return undefined;
    const list = op.startsWith('Arg') ? [int(a.axis, 0)] : (ints(a.axes) ?? v[1]);
    const keep = int(a.keepdims, 1) === 1;
    const drop = new Set((list ?? x.map((_, i) => i)).map((d) => axis(d, x.length)));
    const shape = keep ? x.map((d, i) => (drop.has(i) ? 1 : d)) : x.filter((_, i) => !drop.has(i));
    return { shapes: [shape] };
  }
  if (
    op === 'MatMul' ||
    op === 'MatMulInteger' ||
    op === 'DynamicQuantizeMatMul' ||
    op === 'MatMulIntegerToFloat'
  ) {
    return x && s[1] ? { shapes: [matmul(x, s[1])] } : undefined;
  }
  if (op === 'QLinearMatMul') return x && s[3] ? { shapes: [matmul(x, s[3])] } : undefined;
  if (op === 'Gemm') {
    if (!x || !s[1] || x.length !== 2 || s[1].length !== 2) return undefined;
    const m = int(a.transA, 0) ? x[1]! : x[0]!;
    const n = int(a.transB, 0) ? s[1][0]! : s[1][1]!;
    return { shapes: [[m, n]] };
  }
  return undefined;
}
