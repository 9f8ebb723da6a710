#!/usr/bin/python3
"""Hard-negative mining: slide a trained wake model over the MFCC of a long training-split
negative stream (scripts/train/earshot_train/synth/build_mining_stream.py + `deno task features`) and keep the
windows it scores highest (local maxima above ``--min-score``, at least 0.3 s apart) as extra
training negatives for the next training run (earshot_train.wake.train --extra-negatives).

    PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.wake.mine_hard_negatives --data data/wake/hey_computer \
        --checkpoint build/wake/hey_computer.pt
"""
import argparse
import os

import numpy as np
import torch

from earshot_train.wake.train import predict
from earshot_train.wake.model import WakeNet, fold_bn

torch.set_num_threads(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--min-score", type=float, default=0.2)
    ap.add_argument("--stride", type=int, default=4)
    ap.add_argument("--feats", help="features of the stream (default <data>/mine/feats)")
    ap.add_argument("--out", help="output npy (default <data>/mine/hard.npy)")
    args = ap.parse_args()
    ck = torch.load(args.checkpoint)
    a = ck["args"]
    m = fold_bn(WakeNet(13, a["frames"], a["channels"], a["blocks"], kernel=a.get("kernel", 9),
                       stride=a.get("stride", 2)))
    m.load_state_dict(ck["float"])
    feats_dir = args.feats or os.path.join(args.data, "mine", "feats")
    if not os.path.exists(os.path.join(feats_dir, "index.tsv")):
        raise SystemExit(f"{feats_dir}/index.tsv: no stream features (run `deno task features`)")
    with open(os.path.join(feats_dir, "index.tsv")) as f:
        npys = [line.split("\t")[1] for line in f if line.strip()]
    T = a["frames"]
    kept = []
    total_frames = 0
    for npy in npys:
        x = torch.from_numpy(np.load(npy).astype(np.float32))
        total_frames += len(x)
        starts = list(range(0, len(x) - T + 1, args.stride))
        # windows as strided views, scored in chunks (a long stream does not fit at once)
        wins = x.unfold(0, T, args.stride).permute(0, 2, 1)[: len(starts)]
        p = torch.cat([predict(m, wins[i: i + 8192].contiguous())
                       for i in range(0, len(wins), 8192)]).numpy()
        order = np.argsort(-p)
        taken = []
        for i in order:
            if p[i] < args.min_score:
                break
            if all(abs(starts[i] - s) >= 30 for s in taken):
                taken.append(starts[i])
                kept.append(wins[i].numpy())
    hours = total_frames / 100 / 3600
    out = args.out or os.path.join(args.data, "mine", "hard.npy")
    arr = np.stack(kept) if kept else np.zeros((0, T, 13), np.float32)
    np.save(out, arr)
    print(f"{out}: {len(arr)} hard negatives from {hours * 60:.0f} min "
          f"({len(arr) / max(hours, 1e-9):.0f} per hour above {args.min_score})")


if __name__ == "__main__":
    main()
