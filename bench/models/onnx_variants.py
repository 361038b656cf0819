"""The q8 (`*_quantized.onnx`) and fp16 (`*_fp16.onnx`) exports that hub repositories in the
transformers.js layout ship next to the fp32 files, made by hand with onnx's helpers because
onnxruntime's Python tools (quantize_dynamic) and onnxconverter-common are not installed here.

q8 follows onnxruntime's `quantize_dynamic` (what Xenova's conversion script calls): every MatMul
whose second input is a float32 2-D initializer becomes DynamicQuantizeLinear(A) -> MatMulInteger ->
Cast -> Mul(A_scale * B_scale), with the weights as symmetric int8 (QInt8, zero point 0) per tensor;
a DynamicQuantizeLinear is shared by every MatMul reading the same activation. onnxruntime fuses the
pattern into DynamicQuantizeMatMul at load time, as it does for hub exports. Deviations: per-tensor
scales (the hub scripts may use per-channel), and Gather/Conv weights stay float32 (the token
embedding and the patch convolution, 18% of the text model and 1% of the vision model).

fp16 follows onnxconverter-common's `convert_float_to_float16(keep_io_types=True)`: float32
initializers, tensor attributes and casts become float16 (values clamped to +-65504), float inputs get
a Cast to float16 and float outputs a Cast back, so callers still feed and read float32.

The edge variants (the Worker carries only the vision encoder, and an isolate has 128 MB; see
bench/edge-models.mjs) quantise the convolutions too, which is where a convolutional encoder such as
MobileCLIP's MCi keeps its weights (74% of MCi0's parameters sit in dense 1x1/3x3 convolutions, 23%
in MatMuls, 3% in depthwise convolutions):

- int8 (`*_int8.onnx`, `quantize_int8`): dynamic quantisation as onnxruntime's `quantize_dynamic`
  with `op_types_to_quantize=['Conv', 'MatMul']` writes it: each activation feeding a quantised node
  goes through one DynamicQuantizeLinear (uint8, per tensor, computed per run); a Conv becomes
  ConvInteger -> Cast -> Mul(x_scale * w_scale) -> Add(bias), a MatMul becomes MatMulInteger -> Cast
  -> Mul. Weights are symmetric int8 (zero point 0) with one scale per output channel (per output
  column for MatMul), applied in the Mul after the integer product: onnxruntime's ConvInteger accepts
  only a per-tensor weight zero point ("Non per-tensor quantization is not supported now", checked
  with onnxruntime-node and -web 1.30), and a symmetric per-channel scale needs none. Deviations from
  quantize_dynamic: per-channel scales where it defaults to per tensor (it offers per_channel too);
  depthwise convolutions (group > 1) stay float32 unless `depthwise=True`, because their weights are
  3% of the model and ConvInteger runs a grouped convolution as one small integer GEMM per channel;
  BatchNormalization is not folded into the convolution before it (onnxruntime folds it at load time
  for float convolutions; in MCi it follows only depthwise ones, which stay float).
- int8 weights, float compute (`*_int8w.onnx`, `quantize_weights_qdq`): the QDQ form of weight-only
  quantisation: every Conv and MatMul weight is stored as int8 per output channel and read through a
  DequantizeLinear node, the activations stay float32; depthwise convolutions stay float32 here too
  (their reparameterised kernels are an identity tap of 1 beside taps near 0.02, which one int8 scale
  per channel rounds to a few levels: quantised too, they took MCi0's image-embedding cosine with
  float32 from 0.9998 down to 0.9992, bench:edge-variants, for 1% of the file). onnxruntime keeps
  DequantizeLinear out of constant folding so that QDQ graphs survive optimisation, so the weights
  stay int8 in memory and are dequantised per run, one node at a time (MCi0: 52 MiB of wasm memory
  against 130 MiB for float32, at float32's speed; bench:edge-variants).
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FP16_MAX = 65504.0


def _initializers(graph):
    return {init.name: init for init in graph.initializer}


def _constants(graph):
    """Initializers by name, and the outputs of Identity nodes over them under theirs too: torch's export
    deduplicates equal tensors (the zero biases of a random-weight model) into one initializer read
    through Identity nodes."""
    inits = _initializers(graph)
    for node in graph.node:
        if node.op_type == 'Identity' and node.input[0] in inits:
            inits[node.output[0]] = inits[node.input[0]]
    return inits


def quantize_q8(model):
    graph = model.graph
    inits = _initializers(graph)
    new_nodes, new_inits = [], []
    quantized_inputs = {}  # activation name -> (q, scale, zero point)
    count = 0
    for node in graph.node:
        weight = inits.get(node.input[1]) if node.op_type == 'MatMul' and len(node.input) == 2 else None
        if weight is None or weight.data_type != TensorProto.FLOAT or len(weight.dims) != 2:
            new_nodes.append(node)
            continue
        count += 1
        a = node.input[0]
        if a not in quantized_inputs:
            q = (f'{a}_quantized', f'{a}_scale', f'{a}_zero_point')
            new_nodes.append(helper.make_node('DynamicQuantizeLinear', [a], list(q), f'{a}_QuantizeLinear'))
            quantized_inputs[a] = q
        a_q, a_scale, a_zp = quantized_inputs[a]
        w = numpy_helper.to_array(weight)
        scale = np.float32(max(float(np.abs(w).max()), 1e-12) / 127.0)
        w_q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
        base = weight.name
        new_inits += [
            numpy_helper.from_array(w_q, f'{base}_quantized'),
            numpy_helper.from_array(np.array(scale, dtype=np.float32), f'{base}_scale'),
            numpy_helper.from_array(np.array(0, dtype=np.int8), f'{base}_zero_point'),
        ]
        name = node.name or f'MatMul_{count}'
        out = node.output[0]
        new_nodes += [
            helper.make_node('MatMulInteger', [a_q, f'{base}_quantized', a_zp, f'{base}_zero_point'],
                             [f'{out}_output_quantized'], f'{name}_quant'),
            helper.make_node('Cast', [f'{out}_output_quantized'], [f'{out}_output_quantized_cast_output'],
                             f'{out}_output_quantized_cast', to=TensorProto.FLOAT),
            helper.make_node('Mul', [a_scale, f'{base}_scale'], [f'{name}_quant_scales_mul:0'],
                             f'{name}_quant_scales_mul'),
            helper.make_node('Mul', [f'{out}_output_quantized_cast_output', f'{name}_quant_scales_mul:0'], [out],
                             f'{name}_quant_output_scale_mul'),
        ]
    used = {i for n in new_nodes for i in n.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.node[:]
    graph.node.extend(new_nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept + new_inits)
    del graph.value_info[:]
    _use_domain(model, 'com.microsoft', 1)
    return model, count


def _use_domain(model, domain, version):
    if not any(o.domain == domain for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(domain, version))


def _to_fp16(tensor):
    array = numpy_helper.to_array(tensor)
    return numpy_helper.from_array(np.clip(array, -FP16_MAX, FP16_MAX).astype(np.float16), tensor.name)


def convert_fp16(model):
    graph = model.graph
    for i, init in enumerate(graph.initializer):
        if init.data_type == TensorProto.FLOAT:
            graph.initializer[i].CopyFrom(_to_fp16(init))
    for node in graph.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.TENSOR and attr.t.data_type == TensorProto.FLOAT:
                attr.t.CopyFrom(_to_fp16(attr.t))
            if node.op_type == 'Cast' and attr.name == 'to' and attr.i == TensorProto.FLOAT:
                attr.i = TensorProto.FLOAT16
    head, tail = [], []
    for value in graph.input:
        if value.type.tensor_type.elem_type != TensorProto.FLOAT:
            continue
        inner = f'{value.name}_fp16'
        for node in graph.node:
            for k, name in enumerate(node.input):
                if name == value.name:
                    node.input[k] = inner
        head.append(helper.make_node('Cast', [value.name], [inner], f'{value.name}_cast_to_fp16',
                                     to=TensorProto.FLOAT16))
    for value in graph.output:
        if value.type.tensor_type.elem_type != TensorProto.FLOAT:
            continue
        inner = f'{value.name}_fp16'
        for node in graph.node:
            for k, name in enumerate(node.output):
                if name == value.name:
                    node.output[k] = inner
            for k, name in enumerate(node.input):
                if name == value.name:
                    node.input[k] = inner
        tail.append(helper.make_node('Cast', [inner], [value.name], f'{value.name}_cast_to_fp32',
                                     to=TensorProto.FLOAT))
    nodes = head + list(graph.node) + tail
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.value_info[:]
    return model


def _per_channel_int8(w, axis):
    """Symmetric int8 with one scale per index of `axis` (zero point 0, range -127..127)."""
    others = tuple(i for i in range(w.ndim) if i != axis)
    scale = (np.maximum(np.abs(w).max(axis=others), 1e-12) / 127.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.rint(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    return q, scale


def _attribute(node, name, default):
    for attr in node.attribute:
        if attr.name == name:
            return helper.get_attribute_value(attr)
    return default


def _float_weight(inits, node, index, ndim):
    """The float32 initializer of `node`'s input `index`, if it is one of rank `ndim` (None for any)."""
    if len(node.input) <= index:
        return None
    weight = inits.get(node.input[index])
    if weight is None or weight.data_type != TensorProto.FLOAT:
        return None
    if ndim is not None and len(weight.dims) != ndim:
        return None
    return weight


def quantize_int8(model, depthwise=False):
    """Dynamic int8 Conv (ConvInteger) and MatMul (MatMulInteger); see the header. Returns the model and
    the number of Conv and MatMul nodes quantised."""
    graph = model.graph
    inits = _constants(graph)
    new_nodes, new_inits = [], []
    quantized_inputs = {}
    counts = {'Conv': 0, 'MatMul': 0}

    def quantized(a):
        if a not in quantized_inputs:
            q = (f'{a}_quantized', f'{a}_scale', f'{a}_zero_point')
            new_nodes.append(helper.make_node('DynamicQuantizeLinear', [a], list(q), f'{a}_QuantizeLinear'))
            quantized_inputs[a] = q
        return quantized_inputs[a]

    for node in graph.node:
        if node.op_type == 'Conv':
            weight = _float_weight(inits, node, 1, None)
            if weight is None or (_attribute(node, 'group', 1) > 1 and not depthwise):
                new_nodes.append(node)
                continue
            counts['Conv'] += 1
            w = numpy_helper.to_array(weight)
            w_q, scale = _per_channel_int8(w, 0)
            base, name, out = weight.name, node.name or f'Conv_{counts["Conv"]}', node.output[0]
            channel_shape = [1, w.shape[0]] + [1] * (w.ndim - 2)
            new_inits += [
                numpy_helper.from_array(w_q, f'{base}_quantized'),
                numpy_helper.from_array(scale.reshape(channel_shape), f'{base}_scale'),
                numpy_helper.from_array(np.array(0, dtype=np.int8), f'{base}_zero_point'),
            ]
            a_q, a_scale, a_zp = quantized(node.input[0])
            scaled = f'{out}_scaled' if len(node.input) > 2 and node.input[2] else out
            new_nodes += [
                helper.make_node('ConvInteger', [a_q, f'{base}_quantized', a_zp, f'{base}_zero_point'],
                                 [f'{out}_output_quantized'], f'{name}_quant',
                                 **{a.name: helper.get_attribute_value(a) for a in node.attribute}),
                helper.make_node('Cast', [f'{out}_output_quantized'], [f'{out}_output_quantized_cast_output'],
                                 f'{out}_output_quantized_cast', to=TensorProto.FLOAT),
                helper.make_node('Mul', [a_scale, f'{base}_scale'], [f'{name}_quant_scales_mul:0'],
                                 f'{name}_quant_scales_mul'),
                helper.make_node('Mul', [f'{out}_output_quantized_cast_output', f'{name}_quant_scales_mul:0'],
                                 [scaled], f'{name}_quant_output_scale_mul'),
            ]
            if scaled != out:
                bias = inits.get(node.input[2])
                if bias is None:
                    raise ValueError(f'{name}: a Conv bias that is not an initializer is not supported')
                channels = f'{bias.name}_channels'
                if channels not in {i.name for i in new_inits}:
                    new_inits.append(numpy_helper.from_array(
                        numpy_helper.to_array(bias).reshape(channel_shape).astype(np.float32), channels))
                new_nodes.append(helper.make_node('Add', [scaled, channels], [out], f'{name}_bias_add'))
        elif node.op_type == 'MatMul' and len(node.input) == 2 and _float_weight(inits, node, 1, 2) is not None:
            weight = inits[node.input[1]]
            counts['MatMul'] += 1
            w_q, scale = _per_channel_int8(numpy_helper.to_array(weight), 1)
            base, name, out = weight.name, node.name or f'MatMul_{counts["MatMul"]}', node.output[0]
            new_inits += [
                numpy_helper.from_array(w_q, f'{base}_quantized'),
                numpy_helper.from_array(scale, f'{base}_scale'),
                numpy_helper.from_array(np.array(0, dtype=np.int8), f'{base}_zero_point'),
            ]
            a_q, a_scale, a_zp = quantized(node.input[0])
            new_nodes += [
                helper.make_node('MatMulInteger', [a_q, f'{base}_quantized', a_zp, f'{base}_zero_point'],
                                 [f'{out}_output_quantized'], f'{name}_quant'),
                helper.make_node('Cast', [f'{out}_output_quantized'], [f'{out}_output_quantized_cast_output'],
                                 f'{out}_output_quantized_cast', to=TensorProto.FLOAT),
                helper.make_node('Mul', [a_scale, f'{base}_scale'], [f'{name}_quant_scales_mul:0'],
                                 f'{name}_quant_scales_mul'),
                helper.make_node('Mul', [f'{out}_output_quantized_cast_output', f'{name}_quant_scales_mul:0'], [out],
                                 f'{name}_quant_output_scale_mul'),
            ]
        else:
            new_nodes.append(node)
    _replace(graph, new_nodes, new_inits)
    return model, counts


def quantize_weights_qdq(model, depthwise=False):
    """Weight-only int8 in QDQ form: Conv and MatMul weights as int8 + DequantizeLinear (per output
    channel); depthwise convolutions stay float32 unless `depthwise=True`, as in quantize_int8. Returns
    the model and the number of weights quantised."""
    graph = model.graph
    inits = _constants(graph)
    new_nodes, new_inits, done = [], [], {}
    for node in graph.node:
        index, axis = (1, 0) if node.op_type == 'Conv' else (1, 1) if node.op_type == 'MatMul' else (None, None)
        weight = None if index is None else _float_weight(inits, node, index, None if axis == 0 else 2)
        if weight is not None and node.op_type == 'Conv' and _attribute(node, 'group', 1) > 1 and not depthwise:
            weight = None
        if weight is not None and weight.name not in done:
            w_q, scale = _per_channel_int8(numpy_helper.to_array(weight), axis)
            base = weight.name
            new_inits += [
                numpy_helper.from_array(w_q, f'{base}_quantized'),
                numpy_helper.from_array(scale, f'{base}_scale'),
                numpy_helper.from_array(np.zeros(scale.shape, dtype=np.int8), f'{base}_zero_point'),
            ]
            new_nodes.append(helper.make_node(
                'DequantizeLinear', [f'{base}_quantized', f'{base}_scale', f'{base}_zero_point'],
                [f'{base}_dequantized'], f'{base}_DequantizeLinear', axis=axis))
            done[base] = f'{base}_dequantized'
        if weight is not None:
            node.input[index] = done[weight.name]
        new_nodes.append(node)
    _replace(graph, new_nodes, new_inits)
    if not any(o.domain in ('', 'ai.onnx') and o.version >= 13 for o in model.opset_import):
        raise ValueError('per-channel DequantizeLinear needs opset 13 or later')
    return model, len(done)


def _replace(graph, nodes, new_inits):
    """Swap in `nodes`, keep the initializers still read and add `new_inits`."""
    used = {i for n in nodes for i in n.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept + [init for init in new_inits if init.name in used])
    del graph.value_info[:]
