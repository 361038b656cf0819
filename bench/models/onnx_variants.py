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
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FP16_MAX = 65504.0


def _initializers(graph):
    return {init.name: init for init in graph.initializer}


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
