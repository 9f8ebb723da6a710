#!/usr/bin/python3
"""INT8 post-training quantization of the ASR model (fp32 ONNX -> int8 ONNX).

- Conv front end and output projection: static PTQ. Activation ranges come from a
  calibration set (features of training utterances run through the fp32 torch model, 0.01 /
  99.99 percentiles); the graph gets QDQ pairs with int8 per-channel weights and int32 bias,
  which onnxruntime fuses into QLinearConv / QLinearMatMul.
- LSTM layers: dynamic quantization (com.microsoft DynamicQuantizeLSTM: int8 weights,
  activations quantized at run time).
Passes live in scripts/train/earshot_quant/ptq.py.

Usage: /usr/bin/python3 scripts/asr/quantize.py --checkpoint data/asr/model/asr.pt
       --fp32 data/asr/model/asr_fp32.onnx --features data/asr/feat_train --out models/asr/asr_int8.onnx
       [--calibration 200] [--dynamic-output]
"""

import argparse
import json
import os
import sys

import numpy as np
import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "train"))
from model import CONTEXT, AsrNet  # noqa: E402
from earshot_quant.ptq import (  # noqa: E402
    quantize_conv_static,
    quantize_lstm_dynamic,
    quantize_matmul_dynamic,
    quantize_matmul_static,
    weights_by_bits,
)


def calibration_features(features_dir: str, n: int):
    rows = []
    with open(os.path.join(features_dir, "index.tsv"), encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 3 and cols[2] != "-1":
                rows.append(cols[1])
    rng = np.random.default_rng(0)
    pick = rng.choice(len(rows), size=min(n, len(rows)), replace=False)
    out = []
    for i in pick:
        x = np.load(rows[i]).astype(np.float32)
        out.append(np.concatenate([np.repeat(x[:1], CONTEXT, axis=0), x]))
    return out


def ranges(model: AsrNet, feats):
    """Calibrated (lo, hi) of the conv input/output and the output projection input/output."""
    acts = {"conv_in": [], "conv_out": [], "out_in": [], "out_mm": []}
    model.eval()
    with torch.no_grad():
        for x in feats:
            t = torch.from_numpy(x)[None]
            xn = (t - model.mean) * model.inv_std
            c = torch.relu(model.conv(xn.transpose(1, 2))).transpose(1, 2)
            h0, c0 = model.zero_state(1)
            y, _ = model.lstm(c, (h0, c0))
            mm = y @ model.out.weight.t()
            acts["conv_in"].append(xn.flatten().numpy())
            acts["conv_out"].append(c.flatten().numpy())
            acts["out_in"].append(y.flatten().numpy())
            acts["out_mm"].append(mm.flatten().numpy())
    out = {}
    for k, v in acts.items():
        a = np.concatenate(v)
        out[k] = (float(np.percentile(a, 0.01)), float(np.percentile(a, 99.99)))
    out["conv_out"] = (0.0, out["conv_out"][1])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--fp32", required=True)
    ap.add_argument("--features", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--calibration", type=int, default=200)
    ap.add_argument("--dynamic-output", action="store_true",
                    help="output projection with MatMulInteger instead of static QDQ")
    args = ap.parse_args()
    torch.set_num_threads(1)
    ck = torch.load(args.checkpoint)
    a = ck["args"]
    model = AsrNet(conv=a["conv"], hidden=a["hidden"], layers=a["layers"])
    model.load_state_dict(ck["model"])
    r = ranges(model, calibration_features(args.features, args.calibration))
    m = onnx.load(args.fp32)
    by_type = {}
    for n in m.graph.node:
        by_type.setdefault(n.op_type, []).append(n.name)
    if len(by_type.get("Conv", [])) != 1 or len(by_type.get("MatMul", [])) != 1:
        sys.exit(f"quantize: unexpected graph ops {sorted(by_type)}")
    quantize_conv_static(m, by_type["Conv"][0], r["conv_in"], r["conv_out"])
    if args.dynamic_output:
        quantize_matmul_dynamic(m, by_type["MatMul"][0])
    else:
        quantize_matmul_static(m, by_type["MatMul"][0], r["out_in"], r["out_mm"])
    for name in by_type.get("LSTM", []):
        quantize_lstm_dynamic(m, name)
    onnx.checker.check_model(m)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    onnx.save(m, args.out)
    report = {"ranges": r, "weights": weights_by_bits(m), "bytes": os.path.getsize(args.out),
              "fp32_bytes": os.path.getsize(args.fp32)}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
