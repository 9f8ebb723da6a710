"""Greedy phone error rate of a command model on feature sets (one figure per set): a quick,
decoder-free probe for comparing fronts and recipes on held-out voices before the full
evaluation (scripts/asr/eval_onebreath.ts).

Usage: PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.asr.per
         --targets data/asr/probe_targets.tsv
         (--onnx models/asr/mfcc/asr_fp32.onnx | --checkpoint data/asr/embed/asr.pt)
         --sets data/asr/mfcc_probe_flite_slt ...
A checkpoint from `train.py --front embed` reads mel features (features.ts --oww-mel); an MFCC
model reads MFCC. Each set directory holds index.tsv from `deno task features`; utterance ids
are the WAV file names.
"""

import argparse
import os
import sys

import torch

from earshot_train.asr import train
from earshot_train.asr.model import AsrNet


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", required=True)
    ap.add_argument("--onnx")
    ap.add_argument("--checkpoint")
    ap.add_argument("--sets", nargs="+", required=True)
    args = ap.parse_args()
    torch.set_num_threads(2)
    if args.checkpoint:
        ck = torch.load(args.checkpoint)
        a = ck["args"]
        train.FRONT = train.Front(a.get("front", "mfcc"))
        sd = ck["model"]
        n_in = sd["mean"].shape[0]
        embed = train.FRONT.net is not None
        model = AsrNet(n_in=n_in, channels=a["channels"], first_kernel=1 if embed else 5,
                       stride=1 if embed else 2)
        model.load_state_dict(sd)
    elif args.onnx:
        train.FRONT = train.Front("mfcc")
        model = AsrNet(channels=192)
        model.init_from_onnx(args.onnx)
    else:
        sys.exit("per: give --onnx or --checkpoint")
    model.eval()
    for s in args.sets:
        data = train.load_set([s], os.devnull, args.targets)
        print(f"{os.path.basename(s)}\t{len(data)}\tPER {train.greedy_per(model, data, 10**9):.3f}",
              flush=True)


if __name__ == "__main__":
    main()
