#!/usr/bin/python3
"""Train the wake-word verifier: a small MLP head on 16 frames (1.28 s) of the frozen speech
embedding (wake/embed.ts), float training then QAT to 4-bit block-wise weights with
earshot's toolkit (scripts/train/earshot_train/quant), exported fp32 / INT8 / 4-bit.

    PYTHONPATH=scripts/train nice -n 10 /usr/bin/python3 -m earshot_train.wake.train_verifier \
        --feats build/wake_xeng --id hey_computer --out models/wake [--epochs 12 --qat 4]
        [--threshold-json models/wake/hey_computer.verifier.json]

Inputs: <feats>/{train,val}.{npy,json} from scripts/wake/embed_clips.ts. Windows: the 16
embeddings ending at each 80 ms step; in a positive clip, a window whose step ends 0-0.36 s after
the phrase end is positive, one ending more than 0.35 s before it (a partial phrase) a hard
negative, the rest unused; every window of a negative clip is negative.
Outputs: <out>/<id>.verifier.onnx (4-bit MatMulNBits, shipped), <out>/<id>.verifier.int8.onnx
(int8 weights, DynamicQuantizeMatMul), <out>/<id>.verifier.fp32.onnx, build/wake_xeng/<id>.pt.
With --threshold-json (written by scripts/wake/eval_xeng.ts --calibrate) only the "threshold"
metadata of the three files is rewritten, without training.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper

from earshot_train.quant.fake_quant import fake_quant_blockwise
from earshot_train.quant.onnx_export import GraphBuilder, matmul_nbits, weight_bits_report  # noqa
from earshot_train.quant.ptq import quantize_matmul_dynamic
from earshot_train.quant.portable import unsigned_weights

FRAMES, DIM, HIDDEN, BLOCK = 16, 96, 64, 32
POS_AFTER = (-0.04, 0.36)
PARTIAL_BEFORE = 0.35


class Head(torch.nn.Module):
    """flatten(16 x 96) -> 64 -> 64 -> 1 (ReLU), 102.6k parameters."""

    def __init__(self):
        super().__init__()
        self.l1 = torch.nn.Linear(FRAMES * DIM, HIDDEN)
        self.l2 = torch.nn.Linear(HIDDEN, HIDDEN)
        self.l3 = torch.nn.Linear(HIDDEN, 1)
        self.qat = False

    def w(self, layer):
        return fake_quant_blockwise(layer.weight, 4, BLOCK) if self.qat else layer.weight

    def forward(self, x):
        x = x.reshape(x.shape[0], -1)
        x = torch.relu(torch.nn.functional.linear(x, self.w(self.l1), self.l1.bias))
        x = torch.relu(torch.nn.functional.linear(x, self.w(self.l2), self.l2.bias))
        return torch.nn.functional.linear(x, self.w(self.l3), self.l3.bias)[:, 0]


def load_split(feats: str, split: str):
    """Embeddings and clip index of a split: <split>.npy/.json, or shards <split>.<k>.npy/.json
    (embed_clips.ts run on parts of the clip table) concatenated."""
    one = os.path.join(feats, f"{split}.npy")
    names = [one[:-4]] if os.path.exists(one) else sorted(
        p[:-4] for p in glob.glob(os.path.join(feats, f"{split}.[0-9]*.npy")))
    if not names:
        raise SystemExit(f"{feats}: no {split}.npy (run scripts/wake/embed_clips.ts)")
    embs, index, base = [], [], 0
    for n in names:
        e = np.load(n + ".npy")
        with open(n + ".json") as f:
            for c in json.load(f):
                c["first"] += base
                index.append(c)
        embs.append(e)
        base += len(e)
    return np.concatenate(embs), index


def windows(feats: str, split: str):
    """(embeddings [N, 96], window end indices, labels, weights, kinds)."""
    emb, index = load_split(feats, split)
    idx, lab, kinds = [], [], []
    for c in index:
        ends = np.asarray(c["ends"]) / 16000.0
        for j in range(FRAMES - 1, c["count"]):
            t = ends[j]
            if c["label"] == 1:
                d = t - c["end"]
                if POS_AFTER[0] <= d <= POS_AFTER[1]:
                    lab.append(1)
                    kinds.append("phrase")
                elif d < -PARTIAL_BEFORE:
                    lab.append(0)
                    kinds.append("partial")
                else:
                    continue
            else:
                lab.append(0)
                kinds.append(c["kind"])
            idx.append(c["first"] + j)
    return emb.astype(np.float32), np.asarray(idx), np.asarray(lab, np.float32), kinds


def gather(emb, idx):
    return torch.from_numpy(emb[idx[:, None] + np.arange(-FRAMES + 1, 1)[None, :]])


def evaluate(model, emb, idx, lab):
    model.eval()
    with torch.no_grad():
        s = torch.cat([torch.sigmoid(model(gather(emb, idx[i:i + 4096])))
                       for i in range(0, len(idx), 4096)]).numpy()
    pos, neg = s[lab == 1], s[lab == 0]
    out = {}
    for thr in [0.5, 0.9, 0.99] if len(pos) and len(neg) else []:
        out[str(thr)] = {"recall": float((pos >= thr).mean()), "fpr": float((neg >= thr).mean())}
    return out, s


def export(model: Head, path: str, precision: str, meta: dict) -> dict:
    g = GraphBuilder()
    x = "embeddings"
    flat = g.node("Reshape", [x, g.const("shape", np.array([-1, FRAMES * DIM], np.int64))])
    layers = [model.l1, model.l2, model.l3]
    h = flat
    for i, layer in enumerate(layers):
        w = layer.weight.detach().numpy().astype(np.float32)  # [N, K]
        b = layer.bias.detach().numpy().astype(np.float32)
        if precision == "4bit":
            h = matmul_nbits(g, h, w, BLOCK, accuracy_level=0, bias=b)
        else:
            h = g.node("MatMul", [h, g.const("w", np.ascontiguousarray(w.T))], f"mm{i}")
            h = g.node("Add", [h, g.const("b", b)])
        if i < 2:
            h = g.node("Relu", [h])
    s = g.node("Sigmoid", [h])
    g.nodes[-1].output[0] = "score"
    inp = helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", FRAMES, DIM])
    out = helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch", 1])
    del s
    m = g.model([inp], [out], opset=17, ms_opset=precision == "4bit",
                doc="earshot wake-word verifier head on the frozen speech embedding",
                metadata={**meta, "precision": precision})
    if precision == "int8":
        for n in [n.name for n in m.graph.node if n.op_type == "MatMul"]:
            quantize_matmul_dynamic(m, n)
        unsigned_weights(m)  # the same integer sums on every CPU (quant/portable.py)
        onnx.checker.check_model(m)
    onnx.save(m, path)
    return {"bytes": os.path.getsize(path), "weights": weight_bits_report(m)}


def set_threshold(out: str, mid: str, thr: float, extra: dict) -> None:
    for suffix in ["verifier.onnx", "verifier.int8.onnx", "verifier.fp32.onnx"]:
        p = os.path.join(out, f"{mid}.{suffix}")
        m = onnx.load(p)
        props = {e.key: e.value for e in m.metadata_props}
        props["threshold"] = str(thr)
        props.update({k: str(v) for k, v in extra.items()})
        del m.metadata_props[:]
        for k, v in props.items():
            e = m.metadata_props.add()
            e.key, e.value = k, v
        onnx.save(m, p)
        print(f"{p}: threshold {thr}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--feats", default="build/wake_xeng")
    ap.add_argument("--id", default="hey_computer")
    ap.add_argument("--phrase", default="hey computer")
    ap.add_argument("--out", default="models/wake")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--qat", type=int, default=4)
    ap.add_argument("--neg-weight", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--neg-per-epoch", type=int, default=40000)
    ap.add_argument("--threshold-json")
    args = ap.parse_args()
    torch.set_num_threads(2)
    if args.threshold_json:
        with open(args.threshold_json) as f:
            cal = json.load(f)
        if not isinstance(cal.get("threshold"), (int, float)):
            raise SystemExit(f"{args.threshold_json}: no numeric \"threshold\"")
        set_threshold(args.out, args.id, float(cal["threshold"]),
                      {"smoothing": cal.get("smoothing", 1)})
        return
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    emb, idx, lab, kinds = windows(args.feats, "train")
    vemb, vidx, vlab, vkinds = windows(args.feats, "val")
    print(f"train windows {len(idx)} ({int(lab.sum())} positive), val {len(vidx)} "
          f"({int(vlab.sum())} positive)", file=sys.stderr)
    model = Head()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    total = args.epochs + args.qat
    per_epoch = int((lab == 1).sum()) + min(int((lab == 0).sum()), args.neg_per_epoch) + \
        min(int((lab == 0).sum()), args.neg_per_epoch // 2)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=total *
                                                (per_epoch // 512 + 1))
    wts = np.where(lab == 1, 1.0, args.neg_weight).astype(np.float32)
    hard = np.array([k in ("partial", "near_miss") for k in kinds])
    wts[hard] *= 2.0
    pos_i = np.flatnonzero(lab == 1)
    neg_i = np.flatnonzero(lab == 0)
    # Per epoch: every positive, a random draw of negatives and the hardest negatives of the
    # last mining pass (scores over all negative windows, every 3 epochs): consecutive windows
    # are 80 ms apart and nearly alike, so a draw sees the variety at a fraction of the cost.
    n_rand, n_hard = min(len(neg_i), args.neg_per_epoch), min(len(neg_i), args.neg_per_epoch // 2)
    hardest = rng.choice(neg_i, n_hard, replace=False)
    history = []
    float_state = None
    for ep in range(total):
        model.qat = ep >= args.epochs
        if ep == args.epochs:
            float_state = {k: v.clone() for k, v in model.state_dict().items()}
        if ep > 0 and ep % 3 == 0:
            _, s_neg = evaluate(model, emb, idx[neg_i], lab[neg_i])
            hardest = neg_i[np.argsort(-s_neg)[:n_hard]]
        model.train()
        t0 = time.time()
        chosen = np.concatenate([pos_i, rng.choice(neg_i, n_rand, replace=False), hardest])
        perm = chosen[rng.permutation(len(chosen))]
        tot = 0.0
        for i in range(0, len(perm), 512):
            b = perm[i:i + 512]
            x = gather(emb, idx[b])
            # embedding-space augmentation: small gain-like jitter and noise
            x = x * (1 + 0.05 * torch.randn(x.shape[0], 1, 1)) + 0.02 * torch.randn_like(x)
            y = torch.from_numpy(lab[b])
            loss = (torch.nn.functional.binary_cross_entropy_with_logits(
                model(x), y, reduction="none") * torch.from_numpy(wts[b])).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss) * len(b)
        ev, _ = evaluate(model, vemb, vidx, vlab)
        history.append({"epoch": ep, "qat": model.qat, "loss": tot / len(perm), "val": ev})
        print(f"epoch {ep} {'qat ' if model.qat else ''}loss {tot / len(perm):.4f} val "
              f"{json.dumps(ev)} {time.time() - t0:.0f}s", file=sys.stderr)
    os.makedirs("build/wake_xeng", exist_ok=True)
    torch.save(model.state_dict(), f"build/wake_xeng/{args.id}.verifier.pt")
    meta = {"phrase": args.phrase, "frames": FRAMES, "embedding": "openwakeword speech_embedding",
            "train_engines": "espeak-ng, flite", "threshold": 0.5}
    sizes = {}
    model.qat = False
    # 4-bit from the QAT weights; fp32 and INT8 (post-training, per-column int8) from the float
    # weights before QAT.
    sizes["4bit"] = export(model, os.path.join(args.out, f"{args.id}.verifier.onnx"), "4bit", meta)
    floating = Head()
    floating.load_state_dict(float_state if float_state is not None else model.state_dict())
    sizes["fp32"] = export(floating, os.path.join(args.out, f"{args.id}.verifier.fp32.onnx"),
                           "fp32", meta)
    sizes["int8"] = export(floating, os.path.join(args.out, f"{args.id}.verifier.int8.onnx"),
                           "int8", meta)
    params = sum(p.numel() for p in model.parameters())
    with open(f"build/wake_xeng/{args.id}.verifier.train.json", "w") as f:
        json.dump({"params": params, "sizes": sizes, "history": history,
                   "windows": {"train": len(idx), "train_pos": int(lab.sum()),
                               "val": len(vidx), "val_pos": int(vlab.sum())}}, f, indent=1)
    print(json.dumps({"params": params, "sizes": sizes}), file=sys.stderr)


if __name__ == "__main__":
    main()
