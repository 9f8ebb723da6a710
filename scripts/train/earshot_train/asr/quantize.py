#!/usr/bin/python3
"""INT8 static post-training quantization of the ASR model (fp32 ONNX -> int8 ONNX).

Every Conv (the front end, the dilated layers and the output projection) gets int8 weights per
output channel, an int32 bias and uint8 activations whose ranges come from a calibration set:
features of training utterances run through the fp32 torch model (0.01 / 99.99 percentiles of
each layer's input and output). The QDQ graph is fused by onnxruntime into QLinearConv kernels
(the Relus fold into the output quantization). Passes: scripts/train/earshot_train/quant/ptq.py.

Usage: PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.asr.quantize
       --checkpoint data/asr/model/asr.pt --fp32 models/asr/asr_fp32.onnx --features data/asr/feat_train1 --out models/asr/asr_int8.onnx
       [--calibration 200]
"""

import argparse
import json
import os
import sys

import numpy as np
import onnx
import torch
from torch import nn

from earshot_train.asr.model import CONTEXT, AsrNet
from earshot_train.quant.portable import unsigned_weights
from earshot_train.quant.ptq import quantize_conv_static, weights_by_bits


def calibration_features(features_dir: str, n: int, pad: int = CONTEXT):
    """Up to n random utterances of features_dir, each after `pad` copies of its first frame."""
    rows = []
    with open(os.path.join(features_dir, "index.tsv"), encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 3 and cols[2] != "-1":
                rows.append(cols[1])
    if not rows:
        sys.exit(f"quantize: no features listed in {features_dir}/index.tsv")
    rng = np.random.default_rng(0)
    pick = rng.choice(len(rows), size=min(n, len(rows)), replace=False)
    out = []
    for i in pick:
        x = np.load(rows[i]).astype(np.float32)
        out.append(np.concatenate([np.repeat(x[:1], pad, axis=0), x]))
    return out


def _range(values, lo_zero=False):
    """(0.01 percentile, or 0 when a ReLU follows; 99.99 percentile) of recorded values."""
    a = np.concatenate(values)
    lo = 0.0 if lo_zero else float(np.percentile(a, 0.01))
    return (lo, float(np.percentile(a, 99.99)))


def conv_ranges(model: AsrNet, feats):
    """(input range, output range) of every Conv in order; outputs after the following ReLU.

    BatchNorm is part of the conv (folded at export), so the output is taken after it.
    """
    mods = list(model.net)
    convs = [i for i, m in enumerate(mods) if isinstance(m, nn.Conv1d)]
    ins = {i: [] for i in convs}
    outs = {i: [] for i in convs}
    model.eval()
    with torch.no_grad():
        for x in feats:
            h = ((torch.from_numpy(x)[None] - model.mean) * model.inv_std).transpose(1, 2)
            cur = None
            for j, m in enumerate(mods):
                if j in ins:
                    ins[j].append(h.flatten().numpy())
                    cur = j
                h = m(h)
                nxt = mods[j + 1] if j + 1 < len(mods) else None
                if cur is not None and not isinstance(nxt, nn.BatchNorm1d) and \
                        not (isinstance(m, nn.BatchNorm1d) and isinstance(nxt, nn.ReLU)):
                    outs[cur].append(h.flatten().numpy())
                    cur = None

    return [(_range(ins[i]), _range(outs[i], lo_zero=i != convs[-1])) for i in convs]


def embed_conv_ranges(model, mels):
    """Ranges of every Conv of an EmbedAsrNet (front Conv2d, then head Conv1d, in the exported
    graph's order) with the head's BatchNorm folded first, as the export does: inputs at the
    0.01 / 99.99 percentiles; outputs raw for the front (a LeakyRelu follows) and the last
    conv, from 0 for the head's others (a ReLU follows, folded into the requantization)."""
    import copy

    head = copy.deepcopy(model.head).eval()
    mods = list(head.net)
    for i, m in enumerate(mods):
        if isinstance(m, nn.Conv1d) and i + 1 < len(mods) and isinstance(mods[i + 1], nn.BatchNorm1d):
            bn = mods[i + 1]
            k = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            m.weight.data = m.weight.data * k[:, None, None]
            m.bias.data = (m.bias.data - bn.running_mean) * k + bn.bias
            head.net[i + 1] = nn.Identity()
    convs = [m for m in model.front.modules() if isinstance(m, nn.Conv2d)] + \
        [m for m in head.net if isinstance(m, nn.Conv1d)]
    ins = [[] for _ in convs]
    outs = [[] for _ in convs]
    def record(k):
        def hook(_mod, i, o):  # returns None: the output is unchanged
            ins[k].append(i[0].flatten().numpy())
            outs[k].append(o.flatten().numpy())
        return hook

    hooks = [c.register_forward_hook(record(k)) for k, c in enumerate(convs)]
    with torch.no_grad():
        for x in mels:
            head(model.front(torch.from_numpy(x)[None]))
    for h in hooks:
        h.remove()
    n_front = len(convs) - len([m for m in head.net if isinstance(m, nn.Conv1d)])

    last = len(convs) - 1
    return [(_range(ins[k]), _range(outs[k], lo_zero=n_front <= k < last))
            for k in range(len(convs))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--fp32", required=True)
    ap.add_argument("--features", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--calibration", type=int, default=200)
    args = ap.parse_args()
    torch.set_num_threads(1)
    ck = torch.load(args.checkpoint)
    if ck["args"].get("front") == "embed":
        # --features: mel features (features.ts --oww-mel), padded like the stream start.
        from earshot_train.asr import train
        from earshot_train.asr.model import EMBED_CONTEXT, EmbedAsrNet
        front = train.Front("embed").net
        head = AsrNet(n_in=ck["model"]["mean"].shape[0], channels=ck["args"]["channels"],
                      first_kernel=1, stride=1)
        head.load_state_dict(ck["model"])
        mels = calibration_features(args.features, args.calibration, EMBED_CONTEXT)
        ranges = embed_conv_ranges(EmbedAsrNet(front, head).eval(), mels)
    else:
        model = AsrNet(channels=ck["args"]["channels"])
        model.load_state_dict(ck["model"])
        ranges = conv_ranges(model, calibration_features(args.features, args.calibration))
    m = onnx.load(args.fp32)
    convs = [n.name for n in m.graph.node if n.op_type == "Conv"]
    if len(convs) != len(ranges):
        sys.exit(f"quantize: {len(convs)} Conv nodes in {args.fp32}, {len(ranges)} in the model")
    for name, (x_range, y_range) in zip(convs, ranges):
        quantize_conv_static(m, name, x_range, y_range)
    unsigned_weights(m)  # the same integer sums on every CPU (quant/portable.py)
    onnx.checker.check_model(m)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    onnx.save(m, args.out)
    report = {"ranges": ranges, "weights": weights_by_bits(m), "bytes": os.path.getsize(args.out),
              "fp32_bytes": os.path.getsize(args.fp32)}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
