#!/usr/bin/python3
"""Train a wake-word model: float training, BN folding, QAT fine-tuning for int8 and 4-bit
mixed precision, evaluation, ONNX export, reference fixture and metrics.

    PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.wake.train --data data/wake/hey_computer \
        --id hey_computer --phrase "hey computer" [--out models/wake] [--epochs 14]

Writes <out>/<id>.fp32.onnx, <id>.int8.onnx, <id>.onnx (4-bit mixed, the shipped one),
<out>/<id>.metrics.json and tests/wake/fixtures/<id>.reference.json (inputs and fake-quant
outputs that tests compare onnxruntime-node against). Single-threaded by design.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import time

import numpy as np
import torch
from torch import nn

from earshot_train.quant import apply_config, format_table, sensitivity_table
from earshot_train.quant.mixed import LayerSpec, set_activation_state
from earshot_train.quant.onnx_export import weight_bits_report
from earshot_train.wake.export import export
from earshot_train.wake.model import CONFIGS, WakeNet, count_params, fold_bn

torch.set_num_threads(1)


def load_split(data: str, split: str, frames: int):
    labels = {}
    with open(os.path.join(data, "clips", f"{split}.tsv")) as f:
        next(f)
        for line in f:
            wav, label, kind, voice, snr = line.rstrip("\n").split("\t")
            labels[os.path.abspath(wav)] = (int(label), kind, voice, snr)
    xs, meta = [], []
    with open(os.path.join(data, "feats", split, "index.tsv")) as f:
        for line in f:
            wav, npy, n = line.rstrip("\n").split("\t")
            if int(n) < frames:
                continue
            a = np.load(npy)[-frames:]
            xs.append(a)
            meta.append(labels[os.path.abspath(wav)])
    if not xs:
        raise SystemExit(f"{data}: no features for split {split}")
    x = torch.from_numpy(np.stack(xs).astype(np.float32))
    y = torch.tensor([m[0] for m in meta], dtype=torch.float32)
    return x, y, meta


def predict(model, x, batch: int = 512) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i: i + batch]).reshape(-1) for i in range(0, len(x), batch)])


def metrics(p: torch.Tensor, y: torch.Tensor, meta, threshold: float) -> dict:
    pos, neg = y == 1, y == 0
    out = {"threshold": threshold,
           "accuracy": float(((p >= threshold).float() == y).float().mean()),
           "frr": float((p[pos] < threshold).float().mean()) if pos.any() else None,
           "far": float((p[neg] >= threshold).float().mean()) if neg.any() else None,
           "positives": int(pos.sum()), "negatives": int(neg.sum())}
    by_snr, by_kind = {}, {}
    for snr in sorted({m[3] for m in meta}):
        idx = torch.tensor([m[3] == snr and m[0] == 1 for m in meta])
        if idx.any():
            by_snr[snr] = float((p[idx] < threshold).float().mean())
    for kind in sorted({m[1] for m in meta if m[0] == 0}):
        idx = torch.tensor([m[1] == kind and m[0] == 0 for m in meta])
        by_kind[kind] = float((p[idx] >= threshold).float().mean())
    engines = {}
    for eng in sorted({m[2].split(":")[0] for m in meta if m[0] == 1}):
        idx = torch.tensor([m[2].split(":")[0] == eng and m[0] == 1 for m in meta])
        engines[eng] = float((p[idx] < threshold).float().mean())
    out.update(frr_by_snr=by_snr, far_by_kind=by_kind, frr_by_engine=engines)
    return out


def sweep(p: torch.Tensor, y: torch.Tensor, meta) -> str:
    """FRR / FAR (all negatives, and real speech + music/noise only) at a range of thresholds."""
    easy = torch.tensor([m[1] in ("real_speech", "music_noise") for m in meta])
    rows = ["thr   FRR    FAR(all) FAR(real+noise)"]
    for t in [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]:
        frr = float((p[y == 1] < t).float().mean())
        far = float((p[y == 0] >= t).float().mean())
        fre = float((p[(y == 0) & easy] >= t).float().mean()) if ((y == 0) & easy).any() else 0
        rows.append(f"{t:.2f}  {frr:.4f} {far:.4f}   {fre:.4f}")
    return "\n".join(rows)


def pick_threshold(p: torch.Tensor, y: torch.Tensor, meta, max_easy_far: float = 0.002) -> float:
    """Threshold in [0.5, 0.95] minimizing FRR + FAR over all validation clips (hard
    confusables included), among thresholds whose false-accept rate on real speech and
    music/noise clips is <= max_easy_far (when any threshold achieves that)."""
    easy = torch.tensor([m[1] in ("real_speech", "music_noise") for m in meta]) & (y == 0)
    best, best_cost = 0.95, float("inf")
    for t in [i / 100 for i in range(50, 96)]:
        frr = float((p[y == 1] < t).float().mean())
        far = float((p[y == 0] >= t).float().mean())
        fre = float((p[easy] >= t).float().mean()) if easy.any() else 0.0
        cost = frr + far + (10.0 if fre > max_easy_far else 0.0)
        if cost < best_cost:
            best, best_cost = t, cost
    return best


def train_epochs(model, x, y, epochs, lr, deadline, log, batch=128, on_epoch=None):
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * ((len(x) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(steps, 1))
    loss_fn = nn.BCEWithLogitsLoss()  # unweighted: negatives outnumber positives ~2:1
    gen = torch.Generator().manual_seed(0)
    for ep in range(epochs):
        if on_epoch:
            on_epoch(ep)
        model.train()
        perm = torch.randperm(len(x), generator=gen)
        total, t0 = 0.0, time.time()
        for i in range(0, len(x), batch):
            idx = perm[i: i + batch]
            xb = x[idx]
            # SpecAugment-lite: mask a random span of frames in half the batch
            if torch.rand(1, generator=gen) < 0.5:
                s = int(torch.randint(0, xb.shape[1] - 10, (1,), generator=gen))
                xb = xb.clone()
                xb[:, s: s + int(torch.randint(1, 10, (1,), generator=gen))] = model.mean
            loss = loss_fn(model.logits(xb).reshape(-1), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
        log(f"  epoch {ep + 1}/{epochs} loss {total / len(x):.4f} ({time.time() - t0:.0f}s)")
        if time.time() > deadline:
            log("  time budget reached, stopping early")
            break


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--id", required=True)
    ap.add_argument("--phrase", required=True)
    ap.add_argument("--out", default="models/wake")
    ap.add_argument("--fixtures", default="tests/wake/fixtures")
    ap.add_argument("--checkpoints", default="build/wake")
    ap.add_argument("--frames", type=int, default=120)
    # 64 channels, 3 blocks at time stride 5: one 4-bit inference ~29 us in onnxruntime-node
    # (48 channels, 4 blocks at stride 2: ~40 us); see scripts/wake/latency.ts
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--blocks", type=int, default=3)
    ap.add_argument("--stride", type=int, default=5, help="time stride of the first conv")
    ap.add_argument("--kernel", type=int, default=9, help="depthwise kernel (frames)")
    ap.add_argument("--epochs", type=int, default=14)
    ap.add_argument("--qat-epochs", type=int, default=3)
    ap.add_argument("--max-minutes", type=float, default=15.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--extra-negatives", nargs="*", default=[],
                    help="npy files [n, frames, 13] of mined hard negatives")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    t_start = time.time()
    deadline = t_start + args.max_minutes * 60

    def log(msg):
        print(f"[{time.time() - t_start:6.0f}s] {msg}", flush=True)

    xtr, ytr, _ = load_split(args.data, "train", args.frames)
    for path in args.extra_negatives:
        hard = torch.from_numpy(np.load(path).astype(np.float32))
        if hard.dim() != 3 or hard.shape[1:] != (args.frames, 13):
            raise SystemExit(f"{path}: expected [n, {args.frames}, 13], got {tuple(hard.shape)}")
        hard = hard.repeat(2, 1, 1)  # mined windows count double
        xtr = torch.cat([xtr, hard])
        ytr = torch.cat([ytr, torch.zeros(len(hard))])
        log(f"+ {len(hard)} mined hard negatives from {path}")
    xva, yva, mva = load_split(args.data, "val", args.frames)
    xte, yte, mte = load_split(args.data, "test", args.frames)
    log(f"train {len(xtr)} ({int(ytr.sum())} pos), val {len(xva)}, test {len(xte)}")

    model = WakeNet(13, args.frames, args.channels, args.blocks, kernel=args.kernel,
                    stride=args.stride)
    flat = xtr.reshape(-1, 13)
    model.set_normalization(flat.mean(0), flat.std(0))
    log("float training")
    train_epochs(model, xtr, ytr, args.epochs, 3e-3, deadline - 5 * 60, log)
    folded = fold_bn(model)
    pva = predict(folded, xva)
    thr = pick_threshold(pva, yva, mva)
    log("fp32 validation sweep:\n" + sweep(pva, yva, mva))
    results = {"fp32": {"val": metrics(pva, yva, mva, thr),
                        "test": metrics(predict(folded, xte), yte, mte, thr)}}
    log(f"fp32 threshold {thr:.3f} val {results['fp32']['val']} ")

    # Sensitivity table: weight-only quantization of one layer at a time (val accuracy).
    def evaluate(m):
        return metrics(predict(m, xva), yva, mva, thr)["accuracy"] * 100

    table = sensitivity_table(folded, evaluate, bits=(8, 4),
                              lowered=lambda name, b: LayerSpec(bits=b, granularity="block"
                                                                if b == 4 else "channel",
                                                                block=16))
    log("sensitivity (accuracy drop, points):\n" + format_table(table, count_params(folded)))

    qmodels = {}
    calib = xtr[torch.randperm(len(xtr))[:2000]]
    for mode in ["int8", "mixed4"]:
        qm = copy.deepcopy(folded)
        qm.mode = mode
        apply_config(qm, CONFIGS[mode])
        set_activation_state(qm, "observe")
        predict(qm, calib)  # calibration: running min/max of every activation
        set_activation_state(qm, "quant")
        log(f"QAT {mode}")

        def on_epoch(ep, qm=qm):
            if ep == args.qat_epochs - 1:
                set_activation_state(qm, "frozen")  # last epoch with frozen ranges

        train_epochs(qm, xtr, ytr, args.qat_epochs, 3e-4, deadline + 10 * 60, log,
                     on_epoch=on_epoch)
        set_activation_state(qm, "frozen")
        p = predict(qm, xva)
        results[mode] = {"val": metrics(p, yva, mva, thr),
                         "test": metrics(predict(qm, xte), yte, mte, thr)}
        log(f"{mode} val {results[mode]['val']['accuracy']:.4f} "
            f"test {results[mode]['test']['accuracy']:.4f}")
        qmodels[mode] = qm

    os.makedirs(args.out, exist_ok=True)
    meta = {"id": args.id, "phrase": args.phrase, "frames": args.frames, "threshold": f"{thr:.4f}",
            "hop_ms": 10, "coefficients": 13}
    files = {"fp32": f"{args.id}.fp32.onnx", "int8": f"{args.id}.int8.onnx",
             "mixed4": f"{args.id}.onnx"}
    sizes, storage = {}, {}
    for mode, fname in files.items():
        path = os.path.join(args.out, fname)
        mdl = export(folded if mode == "fp32" else qmodels[mode], mode, path,
                     {**meta, "precision": mode})
        sizes[mode] = os.path.getsize(path)
        storage[mode] = weight_bits_report(mdl)
        log(f"wrote {path} ({sizes[mode]} bytes) {storage[mode]}")

    # Reference fixture: a few test clips (positives and negatives) through each torch model.
    idx = [int(i) for i in torch.nonzero(yte == 1)[:3].reshape(-1)] + \
          [int(i) for i in torch.nonzero(yte == 0)[:3].reshape(-1)]
    import base64

    xin = xte[idx].contiguous()
    ref = {"id": args.id, "frames": args.frames,
           "note": "inputs: base64 of little-endian float32 [n, frames, 13]",
           "inputs": base64.b64encode(xin.numpy().astype("<f4").tobytes()).decode(),
           "labels": [int(yte[i]) for i in idx], "outputs": {}}
    for mode, mdl in [("fp32", folded), ("int8", qmodels["int8"]), ("mixed4", qmodels["mixed4"])]:
        ref["outputs"][mode] = [round(v, 6) for v in predict(mdl, xin).tolist()]
    os.makedirs(args.fixtures, exist_ok=True)
    with open(os.path.join(args.fixtures, f"{args.id}.reference.json"), "w") as f:
        json.dump(ref, f, indent=2)
        f.write("\n")

    os.makedirs(args.checkpoints, exist_ok=True)
    torch.save({"float": folded.state_dict(), "int8": qmodels["int8"].state_dict(),
                "mixed4": qmodels["mixed4"].state_dict(), "args": vars(args)},
               os.path.join(args.checkpoints, f"{args.id}.pt"))
    summary = {"id": args.id, "phrase": args.phrase, "threshold": thr, "results": results,
               "sizes": sizes, "storage": storage, "params": count_params(folded),
               "sensitivity": table, "train_clips": len(xtr), "val_clips": len(xva),
               "test_clips": len(xte), "seconds": round(time.time() - t_start),
               "args": vars(args)}
    with open(os.path.join(args.out, f"{args.id}.metrics.json"), "w") as f:
        json.dump(summary, f, indent=1)
    log("done")


if __name__ == "__main__":
    main()
