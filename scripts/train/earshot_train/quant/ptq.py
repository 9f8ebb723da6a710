"""ONNX post-training quantization passes, written with onnx.helper (no Python onnxruntime).

Static PTQ (calibrated activation ranges) emits QDQ pairs that onnxruntime fuses into integer
kernels; dynamic PTQ quantizes activations at run time:

- ``quantize_conv_static``: DQ(x) -> Conv(DQ(int8 w, per output channel), DQ(int32 bias)) ->
  [Relu] -> Q -> DQ. onnxruntime removes the Relu into the Q (ReluQuantFusion) and fuses the rest
  into QLinearConv.
- ``quantize_matmul_static``: DQ(x) -> MatMul(DQ(int8 w)) -> Q -> DQ -> QLinearMatMul.
- ``quantize_matmul_dynamic``: DynamicQuantizeLinear(x) -> MatMulInteger(int8 w) -> Cast -> Mul
  (onnxruntime fuses this into DynamicQuantizeMatMul).
- ``quantize_lstm_dynamic``: LSTM -> com.microsoft DynamicQuantizeLSTM with int8 per-gate-row
  weights (inputs quantized per step at run time, integer GEMMs).

Weight scales come from the shared quantizers (``symmetric_params``: narrow-range int8, zero
point 0); activation ranges from calibration (``linear_params`` with an integer zero point,
uint8). ``weights_by_bits`` reports what the file really stores.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from .quantizers import linear_params, symmetric_params

MS_DOMAIN = "com.microsoft"


class _Graph:
    """Small helper over a ModelProto: initializers by name, unique names, node edits."""

    def __init__(self, model: onnx.ModelProto):
        self.model = model
        self.g = model.graph
        self.inits = {t.name: t for t in self.g.initializer}
        self.counter = 0

    def init(self, name: str) -> Optional[np.ndarray]:
        t = self.inits.get(name)
        return None if t is None else numpy_helper.to_array(t)

    def add_init(self, arr: np.ndarray, hint: str) -> str:
        self.counter += 1
        name = f"{hint}_{self.counter}"
        t = numpy_helper.from_array(arr, name)
        self.g.initializer.append(t)
        self.inits[name] = t
        return name

    def fresh(self, hint: str) -> str:
        self.counter += 1
        return f"{hint}_{self.counter}"

    def remove_unused_initializers(self) -> None:
        used = {i for n in self.g.node for i in n.input}
        used |= {o.name for o in self.g.output}
        keep = [t for t in self.g.initializer if t.name in used]
        del self.g.initializer[:]
        self.g.initializer.extend(keep)
        self.inits = {t.name: t for t in keep}


def _act_params(lo: float, hi: float) -> Tuple[float, int]:
    """uint8 scale and integer zero point for a calibrated range (0 always representable)."""
    p = linear_params(float(lo), float(hi), 8, integer_zero_point=True)
    return float(p.scale), int(p.zero_point)


def _sym_int8(w: np.ndarray, axis: Optional[int]):
    """Narrow-range symmetric int8 codes and scales of a weight (per channel on axis)."""
    p = symmetric_params(torch.from_numpy(w.astype(np.float32)), 8, axis=axis)
    scale = p.scale.numpy().astype(np.float32)
    q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
    return q, scale.reshape(-1) if axis is not None else scale.reshape(())


def _qdq(gr: _Graph, x: str, scale: float, zp: int, hint: str) -> Tuple[list, str]:
    """QuantizeLinear + DequantizeLinear of tensor x with a fixed uint8 scale/zero point."""
    s = gr.add_init(np.array(scale, np.float32), hint + "_scale")
    z = gr.add_init(np.array(zp, np.uint8), hint + "_zp")
    q, dq = gr.fresh(hint + "_q"), gr.fresh(hint + "_dq")
    return [helper.make_node("QuantizeLinear", [x, s, z], [q]),
            helper.make_node("DequantizeLinear", [q, s, z], [dq])], dq


def _replace_node(gr: _Graph, old: onnx.NodeProto, new_nodes: list) -> None:
    nodes = list(gr.g.node)
    i = nodes.index(old)
    nodes[i:i + 1] = new_nodes
    del gr.g.node[:]
    gr.g.node.extend(nodes)


def _consumers(gr: _Graph, name: str):
    return [n for n in gr.g.node if name in n.input]


def quantize_conv_static(model: onnx.ModelProto, node_name: str,
                         x_range: Optional[Tuple[float, float]],
                         y_range: Tuple[float, float]) -> None:
    """Static QDQ around a Conv (and a directly following Relu). When the input comes from a
    DequantizeLinear (the previous layer's output), its scale is reused and x_range ignored."""
    gr = _Graph(model)
    node = next(n for n in gr.g.node if n.name == node_name and n.op_type == "Conv")
    w = gr.init(node.input[1])
    if w is None:
        raise ValueError(f"{node_name}: Conv weight {node.input[1]} is not an initializer")
    producer = next((n for n in gr.g.node if node.input[0] in n.output), None)
    if producer is not None and producer.op_type == "DequantizeLinear":
        # Input already quantized by the previous layer's output QDQ: reuse its scale.
        xs = float(gr.init(producer.input[1]))
        pre, x_dq = [], node.input[0]
    else:
        xs, xz = _act_params(*x_range)
        pre, x_dq = _qdq(gr, node.input[0], xs, xz, node_name + "_x")
    wq, ws = _sym_int8(w, axis=0)
    w_q = gr.add_init(wq, node_name + "_w_int8")
    w_s = gr.add_init(ws, node_name + "_w_scale")
    w_z = gr.add_init(np.zeros(ws.shape, np.int8), node_name + "_w_zp")
    w_dq = gr.fresh(node_name + "_w_dq")
    pre.append(helper.make_node("DequantizeLinear", [w_q, w_s, w_z], [w_dq], axis=0))
    inputs = [x_dq, w_dq]
    if len(node.input) > 2 and node.input[2]:
        b = gr.init(node.input[2])
        bs = (xs * ws).astype(np.float32)
        bq = np.round(b / bs).astype(np.int32)
        b_q = gr.add_init(bq, node_name + "_b_int32")
        b_s = gr.add_init(bs, node_name + "_b_scale")
        b_z = gr.add_init(np.zeros(bs.shape, np.int32), node_name + "_b_zp")
        b_dq = gr.fresh(node_name + "_b_dq")
        pre.append(helper.make_node("DequantizeLinear", [b_q, b_s, b_z], [b_dq], axis=0))
        inputs.append(b_dq)
    conv = helper.make_node("Conv", inputs, list(node.output), name=node.name)
    conv.attribute.extend(node.attribute)
    _replace_node(gr, node, pre + [conv])
    # Quantize the output after a following Relu when there is one (Relu folds into the Q).
    out = node.output[0]
    cons = _consumers(gr, out)
    tail = cons[0] if len(cons) == 1 and cons[0].op_type == "Relu" else conv
    y = tail.output[0]
    ys, yz = _act_params(*y_range)
    post, y_dq = _qdq(gr, y, ys, yz, node_name + "_y")
    for n in _consumers(gr, y):
        for i, name in enumerate(n.input):
            if name == y:
                n.input[i] = y_dq
    nodes = list(gr.g.node)
    i = nodes.index(tail)
    nodes[i + 1:i + 1] = post
    del gr.g.node[:]
    gr.g.node.extend(nodes)
    gr.remove_unused_initializers()


def quantize_matmul_static(model: onnx.ModelProto, node_name: str,
                           x_range: Tuple[float, float], y_range: Tuple[float, float]) -> None:
    """Static QDQ around a MatMul with a constant [K, N] weight (per-tensor int8)."""
    gr = _Graph(model)
    node = next(n for n in gr.g.node if n.name == node_name and n.op_type == "MatMul")
    w = gr.init(node.input[1])
    if w is None or w.ndim != 2:
        raise ValueError(f"{node_name}: MatMul weight must be a 2-D initializer")
    xs, xz = _act_params(*x_range)
    pre, x_dq = _qdq(gr, node.input[0], xs, xz, node_name + "_x")
    wq, ws = _sym_int8(w, axis=None)
    w_q = gr.add_init(wq, node_name + "_w_int8")
    w_s = gr.add_init(ws, node_name + "_w_scale")
    w_z = gr.add_init(np.array(0, np.int8), node_name + "_w_zp")
    w_dq = gr.fresh(node_name + "_w_dq")
    pre.append(helper.make_node("DequantizeLinear", [w_q, w_s, w_z], [w_dq]))
    mm_out = gr.fresh(node_name + "_out")
    mm = helper.make_node("MatMul", [x_dq, w_dq], [mm_out], name=node.name)
    ys, yz = _act_params(*y_range)
    post, y_dq = _qdq(gr, mm_out, ys, yz, node_name + "_y")
    ident = helper.make_node("Identity", [y_dq], list(node.output))
    _replace_node(gr, node, pre + [mm] + post + [ident])
    gr.remove_unused_initializers()


def quantize_matmul_dynamic(model: onnx.ModelProto, node_name: str) -> None:
    """Dynamic int8 MatMul: DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul(scales)."""
    gr = _Graph(model)
    node = next(n for n in gr.g.node if n.name == node_name and n.op_type == "MatMul")
    w = gr.init(node.input[1])
    if w is None or w.ndim != 2:
        raise ValueError(f"{node_name}: MatMul weight must be a 2-D initializer")
    wq, ws = _sym_int8(w, axis=1)
    w_q = gr.add_init(wq, node_name + "_w_int8")
    w_z = gr.add_init(np.zeros(ws.shape, np.int8), node_name + "_w_zp")
    w_s = gr.add_init(ws, node_name + "_w_scale")
    xq, xs, xz = (gr.fresh(node_name + s) for s in ("_xq", "_xs", "_xz"))
    acc, accf, scale = (gr.fresh(node_name + s) for s in ("_acc", "_accf", "_scale"))
    nodes = [
        helper.make_node("DynamicQuantizeLinear", [node.input[0]], [xq, xs, xz]),
        helper.make_node("MatMulInteger", [xq, w_q, xz, w_z], [acc]),
        helper.make_node("Cast", [acc], [accf], to=TensorProto.FLOAT),
        helper.make_node("Mul", [xs, w_s], [scale]),
        helper.make_node("Mul", [accf, scale], list(node.output), name=node.name),
    ]
    _replace_node(gr, node, nodes)
    gr.remove_unused_initializers()


def quantize_lstm_dynamic(model: onnx.ModelProto, node_name: str) -> None:
    """ONNX LSTM -> com.microsoft DynamicQuantizeLSTM (int8 weights, one scale per gate row)."""
    gr = _Graph(model)
    node = next(n for n in gr.g.node if n.name == node_name and n.op_type == "LSTM")
    W, R = gr.init(node.input[1]), gr.init(node.input[2])
    if W is None or R is None or W.ndim != 3 or R.ndim != 3:
        raise ValueError(f"{node_name}: LSTM W and R must be 3-D initializers")
    packed = []
    for arr, hint in ((W, "_W"), (R, "_R")):
        d, rows, cols = arr.shape
        q, s = _sym_int8(arr.reshape(d * rows, cols), axis=0)
        q = np.ascontiguousarray(q.reshape(d, rows, cols).transpose(0, 2, 1))  # [d, in, 4H]
        packed.append((gr.add_init(q, node_name + hint + "_int8"),
                       gr.add_init(s.reshape(d, rows), node_name + hint + "_scale"),
                       gr.add_init(np.zeros((d, rows), np.int8), node_name + hint + "_zp")))
    ins = list(node.input) + [""] * (8 - len(node.input))
    inputs = [ins[0], packed[0][0], packed[1][0], ins[3], ins[4], ins[5], ins[6], ins[7],
              packed[0][1], packed[0][2], packed[1][1], packed[1][2]]
    new = helper.make_node("DynamicQuantizeLSTM", inputs, list(node.output), name=node.name,
                           domain=MS_DOMAIN)
    new.attribute.extend(node.attribute)
    _replace_node(gr, node, [new])
    if not any(o.domain == MS_DOMAIN for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(MS_DOMAIN, 1))
    gr.remove_unused_initializers()


def weights_by_bits(model: onnx.ModelProto) -> Dict[str, int]:
    """Initializer element counts by storage type (what the file really holds)."""
    out: Dict[str, int] = {}
    for t in model.graph.initializer:
        name = TensorProto.DataType.Name(t.data_type).lower()
        out[name] = out.get(name, 0) + int(np.prod(t.dims)) if t.dims else out.get(name, 0) + 1
    return out
