#!/usr/bin/python3
"""A long stream of training-split negatives for hard-negative mining: running TTS speech of the
training voices (commands, general sentences, confusables), training-split real speech over
music, music and noise. Nothing here is evaluation material.

    PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.synth.build_mining_stream --data data/wake/hey_computer \
        [--minutes 40]

Writes <data>/mine/stream.wav and <data>/mine/stream.list (for `deno task features`).
With ``--speech-only --name speech``: <data>/mine/speech.wav, ``--minutes`` of training-split
real speech only (running prompts and read speech, half of it over training music at 0-20 dB),
the material the evaluation's false accepts come from.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

from earshot_train.synth import real
from earshot_train.synth.audio import SR, read_wav, write_wav
from earshot_train.synth.build_eval_streams import negatives


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--minutes", type=float, default=40.0)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--name", default="stream", help="output <data>/mine/<name>.wav/.list")
    ap.add_argument("--speech-only", action="store_true",
                    help="only training-split real speech (half over music)")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    with open(os.path.join(args.data, "renders.json")) as f:
        rows = [r for r in json.load(f) if r["split"] == "train" and r["label"] == 0]
    out = os.path.join(args.data, "mine")
    os.makedirs(out, exist_ok=True)
    half = 0 if args.speech_only else int(args.minutes * 30 * SR)
    parts, n = [np.zeros(0, np.float32)], 0
    for i in rng.permutation(len(rows)) if half else []:
        x = read_wav(rows[i]["wav"]) * 10 ** (rng.uniform(-20, -3) / 20)
        parts += [x, np.zeros(int(rng.uniform(0.05, 1.0) * SR), np.float32)]
        n += len(x)
        if n >= half:
            break
    tts = np.concatenate(parts)
    music = real.load_pool(real.music_files("train"))
    speech = real.load_pool(real.speech_files("train"))
    if not speech:
        raise SystemExit("build_mining_stream: no training-split real speech found")
    rest = negatives(args.minutes if args.speech_only else args.minutes / 2, rng, music, speech,
                     speech_share=1.0 if args.speech_only else 0.45)
    sig = np.concatenate([tts, rest]).astype(np.float32)
    sig += (rng.standard_normal(len(sig)) * 10 ** (-70 / 20)).astype(np.float32)
    path = os.path.abspath(os.path.join(out, f"{args.name}.wav"))
    write_wav(path, sig)
    with open(os.path.join(out, f"{args.name}.list"), "w") as f:
        f.write(path + "\n")
    print(f"{path}: {len(sig) / SR / 60:.1f} min", file=sys.stderr)


if __name__ == "__main__":
    main()
