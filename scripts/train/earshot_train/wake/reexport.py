#!/usr/bin/python3
"""Re-export a trained wake model's three ONNX files from its checkpoint with the current
exporter (scripts/train/earshot_train/wake/export.py), without retraining: the PyTorch models, threshold and
metrics stay as trained; file sizes and weight storage in <id>.metrics.json are updated. Use it
after an exporter change; tests/wake/model_test.ts then checks onnxruntime against the
unchanged reference fixture.

    PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.wake.reexport --id hey_computer \
        [--checkpoint build/wake/hey_computer.pt] [--out models/wake]
"""
from __future__ import annotations

import argparse
import json
import os

import torch

from earshot_train.quant import apply_config
from earshot_train.quant.mixed import set_activation_state
from earshot_train.quant.onnx_export import weight_bits_report
from earshot_train.wake.export import export
from earshot_train.wake.model import CONFIGS, WakeNet, fold_bn

torch.set_num_threads(1)


def load(ck: dict, mode: str) -> WakeNet:
    """The folded model of ``mode`` (fp32, int8, mixed4) from a checkpoint of earshot_train.wake.train."""
    a = ck["args"]
    m = fold_bn(WakeNet(13, a["frames"], a["channels"], a["blocks"], kernel=a.get("kernel", 9),
                       stride=a.get("stride", 2)))
    if mode == "fp32":
        m.load_state_dict(ck["float"])
        return m
    m.mode = mode
    apply_config(m, CONFIGS[mode])
    m.load_state_dict(ck[mode])
    set_activation_state(m, "frozen")
    return m.eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--id", required=True)
    ap.add_argument("--checkpoint")
    ap.add_argument("--out", default="models/wake")
    args = ap.parse_args()
    ck_path = args.checkpoint or os.path.join("build", "wake", f"{args.id}.pt")
    metrics_path = os.path.join(args.out, f"{args.id}.metrics.json")
    for p in (ck_path, metrics_path):
        if not os.path.exists(p):
            raise SystemExit(f"{p}: not found (train the model first: scripts/train/earshot_train/wake/train.py)")
    ck = torch.load(ck_path)
    with open(metrics_path) as f:
        metrics = json.load(f)
    a = ck["args"]
    if a["id"] != args.id:
        raise SystemExit(f"{ck_path}: checkpoint of {a['id']!r}, not {args.id!r}")
    meta = {"id": args.id, "phrase": a["phrase"], "frames": a["frames"],
            "threshold": f"{metrics['threshold']:.4f}", "hop_ms": 10, "coefficients": 13}
    files = {"fp32": f"{args.id}.fp32.onnx", "int8": f"{args.id}.int8.onnx",
             "mixed4": f"{args.id}.onnx"}
    for mode, fname in files.items():
        path = os.path.join(args.out, fname)
        mdl = export(load(ck, mode), mode, path, {**meta, "precision": mode})
        metrics["sizes"][mode] = os.path.getsize(path)
        metrics["storage"][mode] = weight_bits_report(mdl)
        print(f"wrote {path} ({metrics['sizes'][mode]} bytes) {metrics['storage'][mode]}")
    with open(metrics_path, "w") as f:
        json.dump(metrics, f, indent=1)


if __name__ == "__main__":
    main()
