#!/usr/bin/python3
"""Long evaluation streams for the streaming wake detector, from held-out material only.

    PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.synth.build_eval_streams --data data/wake/hey_computer \
        [--minutes 60] [--seed 7]

Writes <data>/eval/pos_<snr>.wav (every held-out-voice rendering of the phrase, 1.5-3.5 s apart,
over held-out background at clean/20/10/5 dB SNR, plus a -60 dBFS white microphone noise
floor everywhere), <data>/eval/neg.wav (``--minutes`` of real
speech, music and noise from files never used in training: held-out asterisk prompts and
pocketsphinx test files, the two test music tracks, synthetic noise; mixtures of speech over
music at random SNR make the hour from ~20 minutes of held-out recordings) and
<data>/eval/truth.json (phrase start/end times per positive stream).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

from earshot_train.synth import augment as A
from earshot_train.synth import real
from earshot_train.synth.audio import SR, read_wav, write_wav

SNRS = ["clean", "20", "10", "5"]


def background(rng, n, music, speech):
    r = rng.random()
    if r < 0.4 and music:
        return A.crop(rng, music[rng.integers(len(music))], n)
    if r < 0.7 and speech:
        return A.crop(rng, speech[rng.integers(len(speech))], n)
    return A.coloured_noise(rng, n, str(rng.choice(["white", "pink", "brown"])))


def positives(rows, snr, rng, music, speech):
    pieces, starts, ends, voices = [], [], [], []
    at = int(2.0 * SR)
    chunks = [np.zeros(at, np.float32)]
    for r in rows:
        x = read_wav(r["wav"]) * 0.5
        starts.append(at / SR)
        chunks.append(x)
        at += len(x)
        ends.append(at / SR)
        voices.append(r["voice"])
        gap = int(rng.uniform(1.5, 3.5) * SR)
        chunks.append(np.zeros(gap, np.float32))
        at += gap
    sig = np.concatenate(chunks)
    floor = A.coloured_noise(rng, len(sig), "white") * 10 ** (-60 / 20)  # mic noise floor
    if snr != "clean":
        speech_level = np.mean([A.active_rms(read_wav(r["wav"]) * 0.5) for r in rows[:50]])
        bg = np.concatenate([background(rng, 10 * SR, music, speech)
                             for _ in range(len(sig) // (10 * SR) + 1)])[: len(sig)]
        bg = bg / (A.rms(bg) + 1e-9) * speech_level / 10 ** (float(snr) / 20)
        sig = sig + bg
    return (sig + floor).astype(np.float32), starts, ends, voices


def negatives(minutes, rng, music, speech, segments=None, speech_share=0.45):
    """``minutes`` of negatives (a ``speech_share`` of the pieces running speech, half of them
    over music; then music; then noise); when ``segments`` is a list, (start s, end s, kind) of
    every piece is appended to it (kind: speech, speech+music, music, noise:<colour>)."""
    target = int(minutes * 60 * SR)
    chunks, total = [], 0
    while total < target:
        r = rng.random()
        n = int(rng.uniform(10, 40) * SR)
        if r < speech_share and speech:
            # consecutive held-out prompts, as running speech
            parts, m = [], 0
            while m < n:
                s = speech[rng.integers(len(speech))]
                parts += [s, np.zeros(int(rng.uniform(0.1, 0.8) * SR), np.float32)]
                m += len(s)
            x = np.concatenate(parts)[:n]
            kind = "speech"
            if rng.random() < 0.5 and music:
                x = A.mix_at_snr(x, A.crop(rng, music[rng.integers(len(music))], len(x)),
                                 rng.uniform(0, 20))
                kind = "speech+music"
        elif r < speech_share + 0.35 and music:
            x = A.crop(rng, music[rng.integers(len(music))], n)
            kind = "music"
        else:
            colour = str(rng.choice(["white", "pink", "brown", "hum"]))
            x = A.coloured_noise(rng, n, colour)
            kind = f"noise:{colour}"
        x = x / (np.abs(x).max() + 1e-9) * 10 ** (rng.uniform(-30, -3) / 20)
        x = x + A.coloured_noise(rng, len(x), "white") * 10 ** (-60 / 20)  # mic noise floor
        chunks.append(x.astype(np.float32))
        if segments is not None:
            segments.append((total / SR, min(total + len(x), target) / SR, kind))
        total += len(x)
    return np.concatenate(chunks)[:target]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    with open(os.path.join(args.data, "renders.json")) as f:
        rows = [r for r in json.load(f) if r["split"] == "test" and r["label"] == 1]
    if not rows:
        raise SystemExit(f"{args.data}/renders.json: no held-out positive renderings")
    out = os.path.join(args.data, "eval")
    os.makedirs(out, exist_ok=True)
    music = real.load_pool(real.music_files("test"))
    speech = real.load_pool(real.speech_files("test"))
    truth = {"positives": [], "negative": None}
    for snr in SNRS:
        order = [rows[i] for i in rng.permutation(len(rows))]
        sig, starts, ends, voices = positives(order, snr, rng, music, speech)
        path = os.path.join(out, f"pos_{snr}.wav")
        write_wav(path, sig)
        truth["positives"].append({"file": os.path.abspath(path), "snr": snr, "starts": starts,
                                   "ends": ends, "voices": voices})
        print(f"{path}: {len(ends)} phrases, {len(sig) / SR / 60:.1f} min", file=sys.stderr)
    segments: list = []
    neg = negatives(args.minutes, rng, music, speech, segments)
    path = os.path.join(out, "neg.wav")
    write_wav(path, neg)
    truth["negative"] = {"file": os.path.abspath(path), "seconds": len(neg) / SR,
                         "segments": [[round(a, 3), round(b, 3), k] for a, b, k in segments]}
    print(f"{path}: {len(neg) / SR / 60:.1f} min", file=sys.stderr)
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1)


if __name__ == "__main__":
    main()
