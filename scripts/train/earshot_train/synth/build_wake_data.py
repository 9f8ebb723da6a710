#!/usr/bin/python3
"""Build a wake-word data set: TTS positives and hard negatives with every local voice, real
speech/music negatives, augmentation, voice-disjoint splits; writes fixed-length WAV clips and a
label table, then computes features with the project's MFCC extractor (`deno task features`).

    PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.synth.build_wake_data --phrase "hey computer" \
        --out data/wake/hey_computer [--frames 120] [--scale 1.0] [--seed 1]

Resumable: renders are cached under <out>/tts/, finished stages are skipped. Output:
<out>/clips/<split>.tsv (wav, label, kind, voice, snr) and <out>/feats/<split>/ (npy + index.tsv).
Splits hold out whole voices: test = festival (one whole TTS engine), flite:rms and the espeak
variants TEST_VARIANTS in every accent; val = VAL_VARIANTS; train = all other espeak voices and
flite kal, kal16, awb, slt (slt is the only natural female voice here, so it trains).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from earshot_train.synth import augment as A
from earshot_train.synth import real, texts
from earshot_train.synth.audio import SR, read_wav, write_wav
from earshot_train.synth.tts import ESPEAK_LANGS, ESPEAK_VARIANTS, FESTIVAL_VOICES, FLITE_VOICES, render  # noqa

TEST_VARIANTS = ["f2", "m4", "belinda", "klatt4", "Andrea", "Gene"]
TEST_FLITE = {"flite:rms"}
VAL_VARIANTS = ["m7", "f5", "iven3", "Lee"]
HOP = 160
TEST_SNRS = [None, 20, 10, 5]
SPLIT_SEED = {"train": 11, "val": 22, "test": 33}


def voice_split(voice: str) -> str:
    """train | val | test of a voice id."""
    engine, _, name = voice.partition(":")
    if engine == "festival" or voice in TEST_FLITE:
        return "test"
    if engine == "flite":
        return "train"
    variant = name.split("+", 1)[1] if "+" in name else ""
    if variant in TEST_VARIANTS:
        return "test"
    if variant in VAL_VARIANTS:
        return "val"
    return "train"


def espeak_voices() -> list[str]:
    return [f"espeak:{lang}+{v}" if v else f"espeak:{lang}"
            for lang in ESPEAK_LANGS for v in ESPEAK_VARIANTS]


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, total: int):
        self.label, self.total, self.n, self.t0, self.last = label, max(total, 1), 0, time.time(), 0.0

    def step(self, k: int = 1) -> None:
        self.n += k
        now = time.time()
        if now - self.last > 1.0 or self.n >= self.total:
            self.last = now
            frac = self.n / self.total
            eta = (now - self.t0) / max(frac, 1e-9) * (1 - frac)
            bar = "#" * int(30 * frac)
            sys.stderr.write(f"\r{self.label} [{bar:<30}] {self.n}/{self.total} eta {eta:4.0f}s")
            if self.n >= self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def render_jobs(phrase: str, rng: np.random.Generator, scale: float):
    """(text, voice, rate, pitch, label, kind) of every TTS render."""
    jobs = []
    pos_texts = texts.positive_texts(phrase)
    negs_conf = texts.confusables(phrase)
    negs_other = texts.COMMANDS + texts.SENTENCES
    rates = [0.8, 0.9, 1.0, 1.15, 1.3]
    pitches = [-3, 0, 3]
    per_voice = max(1, int(round(3 * scale)))
    for v in espeak_voices():
        n = per_voice
        for _ in range(n):
            jobs.append((str(rng.choice(pos_texts)), v, float(rng.choice(rates)),
                         float(rng.choice(pitches)), 1, "phrase"))
        for _ in range(n):
            t = str(rng.choice(negs_conf)) if rng.random() < 0.6 else str(rng.choice(negs_other))
            jobs.append((t, v, float(rng.choice(rates)), float(rng.choice(pitches)), 0,
                         "tts_negative"))
    # flite's voices are the most natural ones here: a dense grid of rates and pitches for the
    # training voices, a smaller grid for the held-out ones (flite:slt, festival = the held-out
    # engine, which is slow to render).
    grid_rates, grid_pitches = [0.8, 0.9, 1.0, 1.15, 1.3], [-4, -2, 0, 2, 4]
    held = [f"festival:{f}" for f in FESTIVAL_VOICES]
    for v in [f"flite:{f}" for f in FLITE_VOICES] + held:
        train = voice_split(v) == "train"
        rs, ps = (grid_rates, grid_pitches) if train else ([0.85, 1.0, 1.2], [-3, 0, 3])
        reps = max(1, int(round(2 * scale))) if train else 1
        for r in rs:
            for p in ps:
                for _ in range(reps):
                    jobs.append((str(rng.choice(pos_texts)) if train else phrase, v, r, float(p),
                                 1, "phrase"))
        negs = negs_conf * (2 if train else 1) + list(rng.choice(negs_other, 12, replace=False))
        for t in negs:
            jobs.append((t, v, float(rng.choice(rates)), float(rng.choice(pitches)), 0,
                         "tts_negative"))
    return jobs


def render_all(out: str, jobs, workers: int = 2) -> list[dict]:
    """Render (cached) and return rows with the clean wav path, in job order. ``workers`` TTS
    processes run at once (each render is an espeak-ng/flite/festival subprocess)."""
    os.makedirs(os.path.join(out, "tts"), exist_ok=True)
    bar = Progress("render", len(jobs))

    def one(job):
        text, voice, rate, pitch, label, kind = job
        key = hashlib.sha1(f"{text}|{voice}|{rate}|{pitch}".encode()).hexdigest()[:16]
        path = os.path.join(out, "tts", key + ".wav")
        if not os.path.exists(path):
            try:
                x = render(text, voice, rate, pitch)
            except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
                print(f"\nrender: skipped {voice} {text!r}: {e}", file=sys.stderr)
                return None
            if len(x) < 1600:
                return None
            tmp = f"{path}.{threading.get_ident()}.tmp"  # the same render may run twice at once
            write_wav(tmp, x)
            os.replace(tmp, path)
        return {"wav": path, "text": text, "voice": voice, "label": label, "kind": kind,
                "split": voice_split(voice)}

    rows = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for row in pool.map(one, jobs):
            if row is not None:
                rows.append(row)
            bar.step()
    return rows


def background(rng, n: int, pools: dict) -> np.ndarray:
    """A background: music, babble (TTS negatives of the split), coloured noise or hum."""
    r = rng.random()
    if r < 0.3 and pools["music"]:
        return A.crop(rng, pools["music"][rng.integers(len(pools["music"]))], n)
    if r < 0.5 and pools["speech"]:
        return A.crop(rng, pools["speech"][rng.integers(len(pools["speech"]))], n)
    if r < 0.65 and pools["babble"]:
        k = int(rng.integers(2, 5))
        return sum(A.crop(rng, pools["babble"][rng.integers(len(pools["babble"]))], n)
                   for _ in range(k))
    return A.coloured_noise(rng, n, str(rng.choice(["white", "pink", "brown", "hum"])))


def augment_speech(rng, x: np.ndarray, strength: float = 1.0) -> np.ndarray:
    if rng.random() < 0.5 * strength:
        x = A.speed(x, rng.uniform(0.9, 1.1))
    if rng.random() < 0.4 * strength:
        x = A.reverb(x, rng)
    if rng.random() < 0.6 * strength:
        x = A.mic_colour(x, rng)
    return x


def finish(rng, x: np.ndarray, pools: dict, snr: float | None) -> np.ndarray:
    """Add background at ``snr`` dB (None: only a faint noise floor), random level."""
    n = len(x)
    if snr is not None:
        x = A.mix_at_snr(x, background(rng, n, pools), snr)
    peak = np.abs(x).max() + 1e-9
    level = 10 ** (rng.uniform(-30, -1) / 20)
    x = x / peak * level
    # Microphone/ADC noise floor at an absolute level (-95..-45 dBFS RMS), white or pink: the
    # model must not depend on the digital silence of TTS.
    floor = A.coloured_noise(rng, n, str(rng.choice(["white", "pink"])))
    return (x + floor * 10 ** (rng.uniform(-95, -45) / 20)).astype(np.float32)


def make_clips(out: str, rows: list[dict], frames: int, split: str, rng, pools: dict,
               scale: float) -> list[dict]:
    n = (frames + 4) * HOP
    clip_dir = os.path.join(out, "clips", split)
    os.makedirs(clip_dir, exist_ok=True)
    made: list[dict] = []
    train = split == "train"

    def emit(x, label, kind, voice, snr):
        path = os.path.join(clip_dir, f"{len(made):06d}.wav")
        write_wav(path, x)
        made.append({"wav": path, "label": label, "kind": kind, "voice": voice,
                     "snr": "clean" if snr is None else str(snr)})

    def rand_snr():
        return None if rng.random() < 0.2 else float(rng.uniform(0, 20))

    mine = [r for r in rows if r["split"] == split]
    pos = [r for r in mine if r["label"] == 1]
    neg = [r for r in mine if r["label"] == 0]
    bar = Progress(f"clips {split}", len(pos) + len(neg))
    copies = max(1, int(round(3 * scale))) if train else 1
    for r in pos:
        x = read_wav(r["wav"])
        for _ in range(copies):
            y = augment_speech(rng, x) if train else x
            gap = int(rng.uniform(0.0, 0.25) * SR)
            win = A.place_end(y, n, gap)
            if train:
                emit(finish(rng, win, pools, rand_snr()), 1, "phrase", r["voice"], None)
            else:
                for snr in TEST_SNRS:
                    emit(finish(rng, win, pools, snr), 1, "phrase", r["voice"], snr)
        # Partial phrase (window ends mid-phrase): a hard negative.
        cut = int(len(x) * rng.uniform(0.35, 0.75))
        win = A.place_end(x[:cut], n, int(rng.uniform(0, 0.05) * SR))
        emit(finish(rng, win, pools, rand_snr() if train else 20.0), 0, "partial", r["voice"],
             None)
        bar.step()
    for r in neg:
        x = read_wav(r["wav"])
        for _ in range(copies if train else 1):
            y = augment_speech(rng, x) if train else x
            win = (A.place_end(y, n, int(rng.uniform(0, 0.3) * SR)) if rng.random() < 0.6
                   else A.crop(rng, y, n))
            snr = rand_snr() if train else float(rng.choice([20.0, 10.0]))
            emit(finish(rng, win, pools, snr), 0, r["kind"], r["voice"], snr)
        bar.step()
    # Real speech, music and noise windows.
    n_real = int(len(pos) * copies * (1.0 if train else 1.5))
    for i in range(n_real):
        kind = "real_speech" if i % 4 != 3 else "music_noise"
        if kind == "real_speech" and pools["speech"]:
            src = pools["speech"][rng.integers(len(pools["speech"]))]
            win = A.crop(rng, src, n)
            emit(finish(rng, win, pools, rand_snr()), 0, kind, "real", None)
        else:
            win = background(rng, n, pools)
            emit(finish(rng, win, pools, None), 0, "music_noise", "noise", None)
    return made


def run_features(out: str, split: str) -> None:
    feats = os.path.join(out, "feats", split)
    done = os.path.join(feats, "index.tsv")
    if os.path.exists(done):
        return
    lst = os.path.join(out, "clips", f"{split}.list")
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
    r = subprocess.run(["deno", "task", "-q", "features", os.path.abspath(lst),
                        os.path.abspath(feats), "--quiet"], cwd=root)
    if r.returncode != 0:
        raise SystemExit(f"features failed for {lst}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--phrase", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--scale", type=float, default=1.0, help="data amount multiplier")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2, help="TTS renders at once (default 2)")
    args = ap.parse_args()
    if args.jobs < 1:
        ap.error(f"--jobs must be >= 1, got {args.jobs}")
    if not args.phrase.strip():
        ap.error("--phrase is empty")
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    jobs = render_jobs(args.phrase, rng, args.scale)
    rows = render_all(args.out, jobs, args.jobs)
    with open(os.path.join(args.out, "renders.json"), "w") as f:
        json.dump(rows, f)
    for split in ["train", "val", "test"]:
        tsv = os.path.join(args.out, "clips", f"{split}.tsv")
        if not os.path.exists(tsv):
            rs = "test" if split == "test" else "train"
            pools = {
                "music": real.load_pool(real.music_files(rs)),
                "speech": real.load_pool(real.speech_files(rs)),
                "babble": [read_wav(r["wav"]) for r in rows
                           if r["split"] == split and r["label"] == 0][:200],
            }
            made = make_clips(args.out, rows, args.frames, split,
                              np.random.default_rng(args.seed * 1000 + SPLIT_SEED[split]), pools,
                              args.scale)
            with open(os.path.join(args.out, "clips", f"{split}.list"), "w") as f:
                f.write("\n".join(os.path.abspath(m["wav"]) for m in made) + "\n")
            with open(tsv + ".tmp", "w") as f:
                f.write("wav\tlabel\tkind\tvoice\tsnr\n")
                for m in made:
                    f.write(f"{m['wav']}\t{m['label']}\t{m['kind']}\t{m['voice']}\t{m['snr']}\n")
            os.replace(tsv + ".tmp", tsv)
        print(f"features {split} ...", file=sys.stderr)
        run_features(args.out, split)
    print(f"data ready under {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
