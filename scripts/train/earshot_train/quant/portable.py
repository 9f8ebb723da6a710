"""Integer weights that give the same sums on every CPU: int8 codes stored as uint8 + 128.

x86 CPUs with AVX2 but without VNNI multiply uint8 activations by int8 weights with
``vpmaddubsw``, which adds two u8*s8 products into a saturating int16 (2 * 255 * 127 = 64770 does
not fit), so onnxruntime's U8S8 kernels return wrong sums there. Measured on such a CPU (AMD EPYC,
AVX2 only): the shipped command model agreed with fp32 on the best phone of 233 of 259 frames
instead of 253 and heard "turn on the kitchen light" as "stop". With uint8 weights onnxruntime
takes its U8U8 kernels, which widen to int16 before multiplying: exact on every CPU. The codes do
not change (weight minus zero point is the same integer), so neither do accuracy or size; VNNI
and ARM NEON give the same integers as before.

``unsigned_weights`` rewrites every constant int8 weight of a quantized graph with a zero
point of 0: the weight of DequantizeLinear (QDQ models), QLinearConv, QLinearMatMul,
MatMulInteger, DynamicQuantizeMatMul and DynamicQuantizeLSTM. Every int8 writer of the toolkit
calls it before saving; ``python3 -m earshot_train.quant.portable IN.onnx [OUT.onnx]`` converts
an existing file.
"""
from __future__ import annotations

import argparse
import sys
from typing import Dict, List, Tuple

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

from .ptq import _Graph

# op type -> [(weight input index, zero point input index)]
WEIGHT_INPUTS: Dict[str, List[Tuple[int, int]]] = {
    "DequantizeLinear": [(0, 2)],
    "QLinearConv": [(3, 5)],
    "QLinearMatMul": [(3, 5)],
    "MatMulInteger": [(1, 3)],
    "DynamicQuantizeMatMul": [(1, 3)],
    "DynamicQuantizeLSTM": [(1, 9), (2, 11)],
}


def _set_input(node: onnx.NodeProto, i: int, name: str) -> None:
    """Input i of node becomes name (optional inputs before it stay empty)."""
    while len(node.input) <= i:
        node.input.append("")
    node.input[i] = name


def unsigned_weights(model: onnx.ModelProto) -> int:
    """Store every constant int8 weight (zero point 0) as uint8 codes + 128 with zero point 128.

    Returns how many weights were converted. A weight whose zero point is not 0, or that is not
    an initializer, is left alone (none of the toolkit's writers makes one).

    >>> import onnx
    >>> from onnx import helper, numpy_helper, TensorProto
    >>> w = numpy_helper.from_array(np.array([-127, 0, 5], np.int8), "w")
    >>> z = numpy_helper.from_array(np.array(0, np.int8), "z")
    >>> s = numpy_helper.from_array(np.array(0.5, np.float32), "s")
    >>> g = helper.make_graph([helper.make_node("DequantizeLinear", ["w", "s", "z"], ["y"])],
    ...     "g", [], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])], [w, s, z])
    >>> m = helper.make_model(g)
    >>> unsigned_weights(m)
    1
    >>> [numpy_helper.to_array(t).tolist() for t in m.graph.initializer]
    [[1, 128, 133], 0.5, 128]
    """
    gr = _Graph(model)
    # A weight read by several nodes is converted once; the others get its new zero point.
    done: Dict[str, str] = {}
    converted = 0
    for node in gr.g.node:
        for wi, zi in WEIGHT_INPUTS.get(node.op_type, []):
            if wi >= len(node.input) or not node.input[wi]:
                continue
            w_name = node.input[wi]
            z_name = node.input[zi] if zi < len(node.input) else ""
            if w_name in done:
                _set_input(node, zi, done[w_name])
                continue
            w = gr.inits.get(w_name)
            if w is None or w.data_type != TensorProto.INT8:
                continue
            z = gr.inits.get(z_name) if z_name else None
            if z_name and (z is None or z.data_type != TensorProto.INT8):
                continue
            zv = numpy_helper.to_array(z) if z is not None else np.zeros((), np.int8)
            if np.any(zv != 0):
                continue
            wv = numpy_helper.to_array(w).astype(np.int16) + 128
            w.CopyFrom(numpy_helper.from_array(wv.astype(np.uint8), w.name))
            new_z = f"{w_name}_zp_u8"
            zp = np.full(zv.shape, 128, np.uint8)
            gr.g.initializer.append(numpy_helper.from_array(zp, new_z))
            _set_input(node, zi, new_z)
            done[w_name] = new_z
            converted += 1
    gr.remove_unused_initializers()
    return converted


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python3 -m earshot_train.quant.portable",
        description="Store a quantized ONNX model's int8 weights as uint8 (+128): the same "
        "integer results on every CPU, AVX2 without VNNI included.")
    p.add_argument("model", help="quantized ONNX model to convert")
    p.add_argument("out", nargs="?", help="where to write it (default: in place)")
    a = p.parse_args(argv)
    try:
        m = onnx.load(a.model)
    except Exception as e:  # noqa: BLE001 - a clear message instead of a stack trace
        print(f"{a.model}: not an ONNX model ({e})", file=sys.stderr)
        return 2
    n = unsigned_weights(m)
    onnx.save(m, a.out or a.model)
    print(f"{a.out or a.model}: {n} int8 weights stored as uint8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
