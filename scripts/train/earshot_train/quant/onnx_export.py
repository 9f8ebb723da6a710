"""Helpers that write real low-bit ONNX: int8 QLinearConv/QLinearMatMul (QOperator format, run on
integer kernels) and 4-bit com.microsoft MatMulNBits (weights stored as packed nibbles). Built
with onnx.helper only; verify the files in onnxruntime-node.
"""
from __future__ import annotations

from typing import List, Optional

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .quantizers import blockwise_symmetric, linear_quantize, symmetric_params


class GraphBuilder:
    """Accumulates nodes and initializers; names are made unique with a counter."""

    def __init__(self):
        self.nodes: List[onnx.NodeProto] = []
        self.inits: List[onnx.TensorProto] = []
        self._n = 0

    def name(self, base: str) -> str:
        self._n += 1
        return f"{base}_{self._n}"

    def const(self, base: str, arr: np.ndarray) -> str:
        n = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), n))
        return n

    def node(self, op: str, inputs: List[str], base: Optional[str] = None, domain: str = "",
             **attrs) -> str:
        out = self.name(base or op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, domain=domain or None,
                                           **attrs))
        return out

    def model(self, inputs, outputs, opset: int = 17, ms_opset: bool = False,
              doc: str = "", metadata: Optional[dict] = None) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, "earshot", inputs, outputs, self.inits)
        imports = [helper.make_opsetid("", opset)]
        if ms_opset:
            imports.append(helper.make_opsetid("com.microsoft", 1))
        m = helper.make_model(graph, opset_imports=imports, producer_name="earshot")
        m.ir_version = 8
        m.doc_string = doc
        for k, v in (metadata or {}).items():
            e = m.metadata_props.add()
            e.key, e.value = k, str(v)
        onnx.checker.check_model(m)
        return m


def quantize_weight_int8_per_channel(w: np.ndarray):
    """Symmetric narrow-range int8 per output channel (axis 0): (int8 codes, float scales)."""
    import torch

    t = torch.from_numpy(w.astype(np.float32))
    p = symmetric_params(t, 8, axis=0)
    q = linear_quantize(t, p).numpy().astype(np.int8)
    return q, p.scale.reshape(-1).numpy().astype(np.float32)


def qlinear_conv(g: GraphBuilder, x: str, x_scale: float, x_zp: int, w: np.ndarray,
                 b: Optional[np.ndarray], y_scale: float, y_zp: int, **attrs) -> str:
    """int8 QLinearConv (uint8 activations, int8 per-channel weights, int32 bias)."""
    wq, ws = quantize_weight_int8_per_channel(w)
    inputs = [x, g.const("x_scale", np.float32(x_scale)), g.const("x_zp", np.uint8(x_zp)),
              g.const("w_q", wq), g.const("w_scale", ws),
              g.const("w_zp", np.zeros(len(ws), np.int8)),
              g.const("y_scale", np.float32(y_scale)), g.const("y_zp", np.uint8(y_zp))]
    if b is not None:
        bq = np.round(b.astype(np.float64) / (x_scale * ws.astype(np.float64))).astype(np.int32)
        inputs.append(g.const("b_q", bq))
    return g.node("QLinearConv", inputs, "qconv", **attrs)


def pack_nibbles(q: np.ndarray) -> np.ndarray:
    """Pack codes 0..15 along the last axis (even length) low nibble first."""
    q = q.astype(np.uint8)
    if q.shape[-1] % 2:
        raise ValueError("pack_nibbles: last axis must have even length")
    return (q[..., 0::2] & 0x0F) | ((q[..., 1::2] & 0x0F) << 4)


def matmul_nbits_weights(w: np.ndarray, block: int):
    """4-bit MatMulNBits initializers for y = x @ w.T with w [N, K]: symmetric narrow-range
    codes -7..7 stored as 1..15 around the default zero point 8. Returns (B uint8
    [N, k_blocks, block/2], scales float [N, k_blocks], dequantized w [N, K])."""
    import torch

    n, k = w.shape
    q, s = blockwise_symmetric(torch.from_numpy(w.astype(np.float32)), 4, block)
    nb = s.shape[1]
    qpad = np.zeros((n, nb * block), np.int64)
    qpad[:, :k] = q.numpy().astype(np.int64)
    stored = (qpad + 8).reshape(n, nb, block)
    packed = pack_nibbles(stored)
    deq = (q * s.repeat_interleave(block, dim=1)[:, :k]).numpy()
    return packed, s.numpy().astype(np.float32), deq


def matmul_nbits(g: GraphBuilder, x: str, w: np.ndarray, block: int,
                 accuracy_level: int = 4, bias: Optional[np.ndarray] = None) -> str:
    """x [..., K] @ w.T (+ bias [N]) (w [N, K]) with 4-bit weights on the MatMulNBits kernel
    (the bias is the kernel's sixth input, added inside it)."""
    n, k = w.shape
    packed, scales, _ = matmul_nbits_weights(w, block)
    inputs = [x, g.const("w4", packed), g.const("w4_scale", scales)]
    if bias is not None:
        if bias.shape != (n,):
            raise ValueError(f"matmul_nbits: bias shape {bias.shape}, expected ({n},)")
        inputs += ["", "", g.const("w4_bias", bias.astype(np.float32))]
    return g.node("MatMulNBits", inputs, "matmul4", domain="com.microsoft", K=k, N=n, bits=4,
                  block_size=block, accuracy_level=accuracy_level)


def weight_bits_report(model: onnx.ModelProto) -> dict:
    """Bytes of initializer data by element type (what the file really stores)."""
    out: dict = {}
    names = {v: k for k, v in TensorProto.DataType.items()}
    for t in model.graph.initializer:
        arr = numpy_helper.to_array(t)
        key = names.get(t.data_type, str(t.data_type))
        out[key] = out.get(key, 0) + arr.nbytes
    return out
