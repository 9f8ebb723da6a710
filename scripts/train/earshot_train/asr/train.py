#!/usr/bin/python3
"""Train the streaming phone CTC model and export it to ONNX (fp32).

Inputs (made by scripts/asr/make_model.sh):
  --features DIR   output of `deno task features` (index.tsv: wav<TAB>npy<TAB>frames)
  --manifest TSV   render manifest (id<TAB>wav<TAB>text<TAB>voice<TAB>snr<TAB>reverb)
  --targets TSV    phonemize.ts output (id<TAB>label indices)
Outputs: --out DIR/asr_fp32.onnx, DIR/asr.pt (checkpoint), DIR/train_log.json

Bounded by --minutes of wall clock (the CPU is shared); one thread.

Usage: PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.asr.train
       --features data/asr/feat_train
       --manifest data/asr/train/manifest.tsv --targets data/asr/train_targets.tsv
       --out data/asr/model --minutes 25
"""

import argparse
import json
import os
import random
import sys
import time

import numpy as np
import onnx
import torch
from torch import nn

from earshot_train.asr.model import CONTEXT, EMBED_CONTEXT, STRIDE, AsrNet, EmbedAsrNet

from earshot_train.asr.embed_front import SRC as EMBED_ONNX

# The speech embedding's conv blocks kept as the front (--front embed): 11, at 20 ms.
EMBED_CUT = 10


def load_npy(path: str, dims: int = 13) -> np.ndarray:
    a = np.load(path)
    if a.ndim != 2 or a.shape[1] != dims:
        raise ValueError(f"{path}: expected [frames, {dims}] features, got {a.shape}")
    return a.astype(np.float32)


class Front:
    """What the trained network reads. `mfcc`: MFCC frames (features.ts), padded here with
    CONTEXT copies of the first frame, as the runtime does at a stream start. `embed`: the
    frozen speech embedding's output (features.ts --oww-mel --front-onnx, padded there at the
    mel level), 576 values per 20 ms; the head sees them with context 14, and the export puts
    the front (`self.net`, from the npm package's ONNX) before it."""

    def __init__(self, kind: str, embed_onnx: str = EMBED_ONNX):
        self.kind = kind
        if kind == "embed":
            from earshot_train.asr.embed_front import SpeechEmbeddingFront

            self.net = SpeechEmbeddingFront.from_onnx(embed_onnx, cut=EMBED_CUT).eval()
            self.dims, self.pad, self.context, self.stride = 576, 0, 14, 1
        else:
            self.net = None
            self.dims, self.pad, self.context, self.stride = 13, CONTEXT, CONTEXT, STRIDE

    def prepare(self, x: np.ndarray) -> np.ndarray:
        if self.net is not None:
            return x.astype(np.float16)
        return np.concatenate([np.repeat(x[:1], self.pad, axis=0), x], axis=0)

    def out_frames(self, t: int) -> int:
        return max(0, (t - self.context) // self.stride)


FRONT = Front("mfcc")


def load_set(features_dirs, manifest: str, targets: str):
    wav2id = {}
    with open(manifest, encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 3:
                wav2id[cols[1]] = cols[0]
    labels = {}
    with open(targets, encoding="utf-8") as f:
        for line in f:
            uid, _, seq = line.rstrip("\n").partition("\t")
            if seq:
                labels[uid] = [int(x) for x in seq.split()]
    data = []
    lines = []
    for d in features_dirs:
        with open(os.path.join(d, "index.tsv"), encoding="utf-8") as f:
            lines += f.read().splitlines()
    if True:
        for line in lines:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 3 or cols[2] == "-1":
                continue
            uid = wav2id.get(cols[0], os.path.splitext(os.path.basename(cols[0]))[0])
            if uid is None or uid not in labels:
                continue
            x = FRONT.prepare(load_npy(cols[1], FRONT.dims))
            y = labels[uid]
            if FRONT.out_frames(len(x)) < len(y) + 1:
                continue
            data.append((uid, x, np.array(y, dtype=np.int64)))
    return data


def batches(data, max_frames: int, rng: random.Random):
    order = sorted(range(len(data)), key=lambda i: len(data[i][1]))
    out, cur, longest = [], [], 0
    for i in order:
        n = len(data[i][1])
        if cur and max(longest, n) * (len(cur) + 1) > max_frames:
            out.append(cur)
            cur, longest = [], 0
        cur.append(i)
        longest = max(longest, n)
    if cur:
        out.append(cur)
    rng.shuffle(out)
    return out


def collate(data, idx, train: bool, rng: np.random.Generator):
    xs = [data[i][1] for i in idx]
    ys = [data[i][2] for i in idx]
    T = max(len(x) for x in xs)
    X = np.zeros((len(xs), T, xs[0].shape[1]), np.float32)
    for j, x in enumerate(xs):
        x = x.astype(np.float32)
        if train:
            # Feature-domain augmentation: random time masks (SpecAugment-style).
            for _ in range(2):
                w = rng.integers(1, 8)
                s = rng.integers(0, max(1, len(x) - w))
                x[s:s + w] = x[s:s + w].mean(axis=0)
        X[j, :len(x)] = x
        X[j, len(x):] = x[-1]
    in_lens = torch.tensor([FRONT.out_frames(len(x)) for x in xs])
    tgt = torch.tensor(np.concatenate(ys))
    tgt_lens = torch.tensor([len(y) for y in ys])
    return torch.from_numpy(X), in_lens, tgt, tgt_lens


def greedy_per(model, data, limit=300):
    """Phone error rate of greedy CTC decoding on up to `limit` utterances."""
    model.eval()
    errs = total = 0
    with torch.no_grad():
        for uid, x, y in data[:limit]:
            lp = model(torch.from_numpy(x.astype(np.float32))[None])
            best = lp[0].argmax(-1).tolist()
            hyp, prev = [], 0
            for b in best:
                if b != prev and b != 0:
                    hyp.append(b)
                prev = b
            errs += edit_distance(hyp, y.tolist())
            total += len(y)
    model.train()
    return errs / max(1, total)


def edit_distance(a, b):
    d = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(b) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] != b[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(b)]


def export_onnx(model, path):
    model.eval()
    if FRONT.net is not None:
        model = EmbedAsrNet(FRONT.net, model).eval()
        feats = torch.zeros(1, 2 * 8 + EMBED_CONTEXT, 32)
        meta = {"context": str(EMBED_CONTEXT), "stride": str(STRIDE), "features": "oww_mel32"}
    else:
        feats = torch.zeros(1, 2 * 8 + CONTEXT, 13)
        meta = {"context": str(CONTEXT), "stride": str(STRIDE), "features": "mfcc13"}
    torch.onnx.export(
        model, (feats,), path, opset_version=17, do_constant_folding=True,
        input_names=["feats"], output_names=["logprobs"],
        dynamic_axes={"feats": {1: "time"}, "logprobs": {1: "frames"}})
    m = onnx.load(path)
    for k, v in {**meta, "labels": "blank+arpabet39"}.items():
        m.metadata_props.add(key=k, value=v)
    onnx.save(m, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", required=True, nargs="+", help="feature dirs")
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--targets", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=25)
    ap.add_argument("--channels", type=int, default=160)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--dropout", type=float, default=0.0, help="after hidden ReLUs, training only")
    ap.add_argument("--batch-frames", type=int, default=12000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--resume", help="checkpoint to continue from")
    ap.add_argument("--init-onnx", help="exported fp32 model to fine-tune (BatchNorm frozen)")
    ap.add_argument("--front", choices=["mfcc", "embed"], default="mfcc",
                    help="embed: mel features through the frozen speech embedding")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    global FRONT
    FRONT = Front(args.front)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    nrng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)

    data = load_set(args.features, args.manifest, args.targets)
    if len(data) < 20:
        sys.exit(f"train: only {len(data)} usable utterances in {args.features}")
    rng.shuffle(data)
    n_val = max(20, len(data) // 25)
    val, train = data[:n_val], data[n_val:]
    allx = np.concatenate([x for _, x, _ in train[:2000]]).astype(np.float32)
    mean = torch.from_numpy(allx.mean(0))
    std = torch.from_numpy(allx.std(0) + 1e-3)
    frames = sum(len(x) for _, x, _ in train) * (2 if FRONT.net is not None else 1)
    print(f"train: {len(train)} utterances ({frames / 100 / 3600:.2f} h), val {len(val)}",
          flush=True)

    if FRONT.net is not None:
        model = AsrNet(n_in=allx.shape[1], channels=args.channels, mean=mean, std=std,
                       dropout=args.dropout, first_kernel=1, stride=1)
    else:
        model = AsrNet(channels=args.channels, mean=mean, std=std, dropout=args.dropout)
    if args.resume:
        model.load_state_dict(torch.load(args.resume)["model"])
    if args.init_onnx:
        model.init_from_onnx(args.init_onnx)
    params = sum(p.numel() for p in model.parameters())
    print(f"train: {params} parameters", flush=True)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=1e-4)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    deadline = time.time() + args.minutes * 60
    log = []
    epoch = 0
    step = 0
    best_per = 9.0
    while time.time() < deadline:
        epoch += 1
        t0 = time.time()
        tot, n = 0.0, 0
        for idx in batches(train, args.batch_frames, rng):
            if time.time() > deadline:
                break
            X, in_lens, tgt, tgt_lens = collate(train, idx, True, nrng)
            lp = model(X)
            loss = ctc(lp.transpose(0, 1), tgt, in_lens, tgt_lens)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            tot += loss.item()
            n += 1
            step += 1
        per = greedy_per(model, val)
        entry = {"epoch": epoch, "loss": tot / max(1, n), "val_per": per,
                 "seconds": time.time() - t0, "steps": step}
        log.append(entry)
        print(f"train: {json.dumps(entry)}", flush=True)
        if per < best_per:
            best_per = per
            torch.save({"model": model.state_dict(), "args": vars(args), "epoch": epoch},
                       os.path.join(args.out, "asr.pt"))
        if epoch >= 3:
            for g in opt.param_groups:
                g["lr"] = max(2e-4, g["lr"] * 0.8)
    ck = torch.load(os.path.join(args.out, "asr.pt"))
    model.load_state_dict(ck["model"])
    export_onnx(model, os.path.join(args.out, "asr_fp32.onnx"))
    with open(os.path.join(args.out, "train_log.json"), "w") as f:
        json.dump({"params": params, "utterances": len(train), "hours": frames / 360000,
                   "best_val_per": best_per, "epochs": log, "args": vars(args)}, f, indent=1)
    print(f"train: best val PER {best_per:.3f}; exported {args.out}/asr_fp32.onnx", flush=True)


if __name__ == "__main__":
    main()
