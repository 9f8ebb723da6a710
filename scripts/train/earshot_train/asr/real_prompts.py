#!/usr/bin/python3
"""Real recorded speech for acoustic-model training: the asterisk core prompts (one natural
female speaker, 16 kHz G.722 from the Debian package asterisk-core-sounds-en-g722, decoded by
ffmpeg) with the package's own transcripts, augmented like the TTS renders.

Prompts whose text shares a sentence with the evaluation's out-of-grammar set
(data/asr/general_eval.txt) are left out, so the evaluation never hears words it was trained on
in this voice. Each prompt is written `--copies` times: the first copy clean, the others with
noise (0-25 dB SNR), reverb for 40% of them and a random speed factor 0.9-1.1 (`--clean-copies`
sets how many are clean).

Output: `<out>/<id>.wav` and `<out>/manifest.tsv` (`id<TAB>wav<TAB>text<TAB>voice<TAB>snr<TAB>reverb`,
the format of render.py).

Usage: PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.asr.real_prompts --out data/asr/train6 \
         --exclude data/asr/general_eval.txt [--copies 3] [--clean-copies 1] [--seed 8]
"""

import argparse
import gzip
import os
import random
import re
import subprocess
import sys
import tempfile

import numpy as np

from earshot_train.asr.render import SR, augment, read_wav, write_wav
from earshot_train.asr.sentences import normalize

TRANSCRIPTS = "/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz"
SOUNDS = "/usr/share/asterisk/sounds/en_US_f_Allison"


def prompts(path: str = TRANSCRIPTS):
    """(key, raw text) for every transcript line `key: text` of the package."""
    out = []
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        for ln, line in enumerate(f, 1):
            if line.startswith(";") or ":" not in line:
                continue
            key, text = line.split(":", 1)
            key, text = key.strip(), text.strip()
            if not key or not text or text.startswith("["):
                continue
            out.append((key, text))
    return out


def sentences_of(text: str):
    text = re.sub(r"\[[^\]]*\]", " ", text)
    return [normalize(p) for p in re.split(r"(?<=[.?!])\s+", text) if normalize(p)]


def text_of(text: str) -> str:
    """The spoken words of a transcript: symbols the prompts read out, numbers spelled."""
    text = re.sub(r"\[[^\]]*\]", " ", text).replace("*", " star ").replace("#", " pound ")
    return normalize(text)


def decode(g722: str) -> np.ndarray:
    with tempfile.TemporaryDirectory() as d:
        wav = os.path.join(d, "x.wav")
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "g722", "-i", g722,
                        "-ar", str(SR), "-ac", "1", "-sample_fmt", "s16", wav, "-y"], check=True)
        return read_wav(wav)


def speed(x: np.ndarray, factor: float) -> np.ndarray:
    with tempfile.TemporaryDirectory() as d:
        a, b = os.path.join(d, "a.wav"), os.path.join(d, "b.wav")
        write_wav(a, x / (np.max(np.abs(x)) + 1e-9) * 0.9)
        subprocess.run(["sox", "-V1", "-G", a, b, "speed", f"{factor:.3f}"], check=True)
        return read_wav(b)


def trim(x: np.ndarray) -> np.ndarray:
    """Cut leading/trailing silence (below -45 dB of the peak, 10 ms frames); augment pads."""
    n = len(x) // 160
    if n == 0:
        return x
    e = np.sqrt(np.mean(x[: n * 160].reshape(n, 160) ** 2, axis=1))
    on = np.nonzero(e > np.max(e) * 10 ** (-45 / 20))[0]
    if len(on) == 0:
        return x
    return x[max(0, on[0] - 5) * 160: min(n, on[-1] + 6) * 160]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--exclude", required=True, help="sentences never to train on (one a line)")
    ap.add_argument("--copies", type=int, default=3)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--clean-copies", type=int, default=1, help="copies without noise")
    args = ap.parse_args()
    if not os.path.isdir(SOUNDS):
        sys.exit(f"real_prompts: {SOUNDS} not found: apt install asterisk-core-sounds-en-g722")
    with open(args.exclude, encoding="utf-8") as f:
        held_out = {line.strip() for line in f if line.strip()}
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    nrng = np.random.default_rng(args.seed)
    lines, skipped, excluded = [], [], 0
    for key, raw in prompts():
        path = os.path.join(SOUNDS, key + ".g722")
        text = text_of(raw)
        if not os.path.exists(path) or not text:
            skipped.append(f"{key}: no audio file or no words")
            continue
        if any(s in held_out for s in sentences_of(raw)):
            excluded += 1
            continue
        try:
            x = trim(decode(path))
        except (subprocess.CalledProcessError, ValueError, OSError) as e:
            skipped.append(f"{path}: {e}")
            continue
        if len(x) < SR * 0.2:
            skipped.append(f"{path}: shorter than 0.2 s")
            continue
        base = f"a{args.seed}" + re.sub(r"[^A-Za-z0-9]+", "_", key)
        for c in range(args.copies):
            clean = c < args.clean_copies
            y = x if clean else speed(x, rng.uniform(0.9, 1.1))
            y, snr, rev = augment(y, nrng, (0.0, 25.0), clean)
            uid = f"{base}_{c}"
            wav = os.path.abspath(os.path.join(args.out, uid + ".wav"))
            write_wav(wav, y)
            lines.append(f"{uid}\t{wav}\t{text}\tasterisk:allison\t"
                         f"{'' if snr is None else f'{snr:.1f}'}\t{rev}")
    with open(os.path.join(args.out, "manifest.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    for s in skipped[:20]:
        print("real_prompts: skipped " + s, file=sys.stderr)
    print(f"real_prompts: {len(lines)} files, {excluded} prompts held out (eval overlap), "
          f"{len(skipped)} skipped -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
