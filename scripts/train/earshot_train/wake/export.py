"""Write the wake network as ONNX in three precisions from one folded (BN-free) model:
fp32; int8 (QLinearConv/QLinearGlobalAveragePool/QLinearMatMul: integer kernels end to end);
mixed4 (first conv and depthwise int8 QLinearConv, pointwise convs and the dense layer 4-bit
com.microsoft MatMulNBits with packed nibble weights)."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper

from earshot_train.quant.onnx_export import GraphBuilder, matmul_nbits, qlinear_conv
from earshot_train.quant.portable import unsigned_weights
from earshot_train.wake.model import WakeNet


#: MatMulNBits compute mode. 1 = fp32 compute on 4-bit weights unpacked block by block inside
#: the kernel (measured 42 us per inference here); 4 = int8 compute (A quantized per block at run
#: time; 75 us at this tiny size, where quantizing A costs more than it saves).
ACCURACY_LEVEL = 1


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32)


def _qp(aq):
    p = aq.params()
    return float(p.scale), int(p.zero_point)


def x_frames_out(m: WakeNet) -> int:
    """Time steps after the first conv (the rest of the network keeps them)."""
    k, st = m.conv1.weight.shape[-1], m.conv1.stride[-1]
    return (m.frames + 2 * (k // 2) - k) // st + 1


def export(model: WakeNet, mode: str, path: str, metadata: dict) -> onnx.ModelProto:
    """Write ``model`` (folded; fake-quant ranges frozen for int8/mixed4) to ``path``."""
    m = model
    c, frames = m.channels, m.frames
    g = GraphBuilder()
    k1 = m.conv1.weight.shape[-1]
    conv1_attrs = dict(kernel_shape=[1, k1], strides=[1, m.conv1.stride[-1]],
                       pads=[0, k1 // 2, 0, k1 // 2])
    kd = m.blocks[0].dw.weight.shape[-1]
    dw_attrs = dict(kernel_shape=[1, kd], pads=[0, kd // 2, 0, kd // 2], group=c)

    def to_nchw(v):
        v = g.node("Transpose", [v], "to_nct", perm=[0, 2, 1])
        return g.node("Unsqueeze", [v, g.const("axis2", np.array([2], np.int64))], "to_nc1t")

    if mode == "fp32":
        x = g.node("Sub", ["mfcc", g.const("mean", _np(m.mean))], "norm_sub")
        x = g.node("Mul", [x, g.const("inv_std", _np(m.inv_std))], "norm_mul")
        x = to_nchw(x)
        x = g.node("Conv", [x, g.const("w", _np(m.conv1.weight)), g.const("b", _np(m.conv1.bias))],
                   "conv1", **conv1_attrs)
        x = g.node("Relu", [x])
        for blk in m.blocks:
            x = g.node("Conv", [x, g.const("w", _np(blk.dw.weight)), g.const("b", _np(blk.dw.bias))],
                       "dw", **dw_attrs)
            x = g.node("Relu", [x])
            x = g.node("Conv", [x, g.const("w", _np(blk.pw.weight)), g.const("b", _np(blk.pw.bias))],
                       "pw", kernel_shape=[1, 1])
            x = g.node("Relu", [x])
        x = g.node("GlobalAveragePool", [x])
        x = g.node("Flatten", [x])
        x = g.node("Gemm", [x, g.const("w", _np(m.fc.weight)), g.const("b", _np(m.fc.bias))],
                   "fc", transB=1)
    else:
        # Normalize, quantize (uint8), [B, T, 13] -> [B, 13, 1, T]. (A per-coefficient
        # QuantizeLinear with the normalization folded in was measured 3x slower here: onnxruntime
        # quantizes per element when the axis is innermost, as it is in its NHWC layout.)
        s_in, z_in = _qp(m.q_in)
        x = g.node("Sub", ["mfcc", g.const("mean", _np(m.mean))], "norm_sub")
        x = g.node("Mul", [x, g.const("inv_std", _np(m.inv_std))], "norm_mul")
        x = g.node("QuantizeLinear", [x, g.const("s", np.float32(s_in)),
                                      g.const("z", np.uint8(z_in))], "quant_in")
        # [B, T, 13] is already onnxruntime's NHWC layout [B, 1, T, 13] of the NCHW tensor
        # [B, 13, 1, T]: written as Unsqueeze + Transpose(0, 3, 1, 2), the transpose cancels
        # against the one onnxruntime puts before its NHWC QLinearConv (no copy is left).
        x = g.node("Unsqueeze", [x, g.const("axis1", np.array([1], np.int64))], "to_n1tc")
        x = g.node("Transpose", [x], "to_nc1t", perm=[0, 3, 1, 2])
        s0, z0 = _qp(m.q0)
        x = qlinear_conv(g, x, s_in, z_in, _np(m.conv1.weight), _np(m.conv1.bias), s0, z0,
                         **conv1_attrs)
        s_prev, z_prev = s0, z0
        last = len(m.blocks) - 1
        for i, blk in enumerate(m.blocks):
            s1, z1 = _qp(blk.q1)
            x = qlinear_conv(g, x, s_prev, z_prev, _np(blk.dw.weight), _np(blk.dw.bias), s1, z1,
                             **dw_attrs)
            s2, z2 = _qp(blk.q2)
            if mode == "int8":
                x = qlinear_conv(g, x, s1, z1, _np(blk.pw.weight), _np(blk.pw.bias), s2, z2,
                                 kernel_shape=[1, 1])
            elif mode == "mixed4":
                # NCHW [B, C, 1, T] -> [B, 1, T, C] for the matmul over channels. onnxruntime
                # runs QLinearConv in NHWC, so its layout transposes cancel against these.
                v = g.node("Transpose", [x], "to_nhwc", perm=[0, 2, 3, 1])
                v = g.node("DequantizeLinear", [v, g.const("s", np.float32(s1)),
                                                g.const("z", np.uint8(z1))], "dq")
                w = _np(blk.pw.weight).reshape(c, c)
                v = matmul_nbits(g, v, w, blk.pw.spec.block, ACCURACY_LEVEL,
                                 bias=_np(blk.pw.bias))
                if i < last:
                    v = g.node("QuantizeLinear", [v, g.const("s", np.float32(s2)),
                                                  g.const("z", np.uint8(z2))], "q_relu")
                    x = g.node("Transpose", [v], "to_nchw", perm=[0, 3, 1, 2])
                else:  # float ReLU, mean over time, 4-bit dense: no requantization
                    x = g.node("Relu", [v])
            else:
                raise ValueError(f"unknown export mode {mode!r}")
            s_prev, z_prev = s2, z2
        if mode == "int8":
            x = g.node("QLinearGlobalAveragePool",
                       [x, g.const("s", np.float32(s_prev)), g.const("z", np.uint8(z_prev)),
                        g.const("s", np.float32(s_prev)), g.const("z", np.uint8(z_prev))],
                       "qpool", domain="com.microsoft", channels_last=0)
            x = g.node("Flatten", [x])
            wq_in = _np(m.fc.weight)  # [1, C]
            from earshot_train.quant.onnx_export import quantize_weight_int8_per_channel

            wq, ws = quantize_weight_int8_per_channel(wq_in)
            so, zo = _qp(m.q_out)
            x = g.node("QLinearMatMul",
                       [x, g.const("s", np.float32(s_prev)), g.const("z", np.uint8(z_prev)),
                        g.const("wq", wq.T.copy()), g.const("ws", np.float32(ws[0])),
                        g.const("wz", np.int8(0)), g.const("s", np.float32(so)),
                        g.const("z", np.uint8(zo))], "qfc")
            x = g.node("DequantizeLinear", [x, g.const("s", np.float32(so)),
                                            g.const("z", np.uint8(zo))], "dq_logit")
            x = g.node("Add", [x, g.const("b", _np(m.fc.bias))], "fc_bias")
        else:
            # mean over time + dense folded into one 4-bit matmul over the flattened [T, C]
            # activations: w tiled T times and divided by T. The blocks of 16 stay aligned
            # (C % 16 == 0), so the 4-bit codes equal the dense layer's, scales / T: exact.
            t_out = int(x_frames_out(m))
            w = _np(m.fc.weight)
            if c % m.fc.spec.block:
                raise ValueError(f"export: channels {c} not a multiple of block {m.fc.spec.block}")
            x = g.node("Reshape", [x, g.const("flat", np.array([0, t_out * c], np.int64))],
                       "flatten_tc")
            x = matmul_nbits(g, x, np.tile(w, (1, t_out)) / t_out, m.fc.spec.block,
                             ACCURACY_LEVEL, bias=_np(m.fc.bias))
    g.nodes.append(helper.make_node("Sigmoid", [x], ["wake"], name="wake"))
    inp = helper.make_tensor_value_info("mfcc", TensorProto.FLOAT, ["batch", frames, m.n_mfcc])
    out = helper.make_tensor_value_info("wake", TensorProto.FLOAT, ["batch", 1])
    model = g.model([inp], [out], opset=17, ms_opset=mode != "fp32",
                    doc=f"earshot wake word ({mode})", metadata=metadata)
    unsigned_weights(model)  # the same integer sums on every CPU (quant/portable.py)
    onnx.save(model, path)
    return model
