#!/usr/bin/python3
"""Cross-engine data for the wake-word verifier: whole synthesis engines are held out.

    PYTHONPATH=scripts/train nice -n 10 /usr/bin/python3 -m earshot_train.wake.xeng_data --phrase "hey computer" \
        --out data/wake/hey_computer_xeng [--jobs 2] [--neg-minutes 60] [--seed 5]

Splits (by engine, never by voice of an engine that also trains):
- train: espeak-ng (every accent x variant except the validation variants) and flite kal,
  kal16, awb, slt; training-split real speech (asterisk prompts, pocketsphinx test data) and
  training music; noise.
- val (thresholds only): espeak-ng variants VAL_VARIANTS and flite rms, training music, noise.
- test (evaluation only): festival, both of its voices (kal_diphone and the HTS voice
  cmu_us_slt_arctic_hts: a synthesis method no training voice uses), held-out real speech
  (asterisk + pocketsphinx test split, 30 % of the files), the two test music tracks, noise.
Texts are split too: a sentence trains or tests, never both (hash of the text).
Reserved packages (ktuberling-data, klettres-data, alsa-utils) are never read.

Writes under --out: tts/ (render cache), renders.json, clips/<split>/*.wav and
clips/<split>.tsv (wav, label, kind, voice, snr, end: phrase end in the clip in seconds or -1),
eval/pos_<snr>.wav + eval/neg.wav + eval/truth.json (test streams, the format of
scripts/wake/eval_stream.ts) and eval/val/ (the same for the validation split).
Resumable: every finished part is skipped.
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import sys

import numpy as np

from earshot_train.synth import augment as A
from earshot_train.synth import real, texts
from earshot_train.synth.audio import SR, read_wav, write_wav
from earshot_train.synth.build_wake_data import Progress, augment_speech, render_all
from earshot_train.synth.tts import ESPEAK_LANGS, ESPEAK_VARIANTS

VAL_VARIANTS = ["m7", "f5", "iven3", "Lee", "Annie"]
TRAIN_FLITE = ["kal", "kal16", "awb", "slt"]
VAL_FLITE = ["rms"]
TEST_FESTIVAL = ["kal_diphone", "cmu_us_slt_arctic_hts"]
SNRS = ["clean", "20", "10", "5"]

# Everyday sentences made from templates (many distinct texts for hours of negatives).
_SUBJ = ["I", "we", "you", "they", "my sister", "the neighbours", "our teacher", "my boss",
         "the kids", "my friend", "the doctor", "grandma", "the driver", "everyone", "he", "she"]
_VERB = ["will call", "forgot to email", "met", "saw", "is waiting for", "talked to",
         "should visit", "helped", "might ask", "bought lunch for", "picked up", "thanked"]
_OBJ = ["the plumber", "a friend from school", "the new neighbour", "my cousin", "the manager",
        "the people next door", "the mechanic", "the whole team", "an old colleague",
        "the delivery man", "the landlord", "my aunt"]
_WHEN = ["this morning", "last night", "on Friday", "after lunch", "tomorrow", "next week",
         "before dinner", "at the weekend", "around seven", "in the afternoon", "yesterday", ""]
_EXTRA = [
    "I'll be home around seven", "did you remember to buy bread", "the bus was full again",
    "could you open the window a little", "we ran out of coffee", "the dog needs a walk",
    "what do you want for dinner", "my computer keeps freezing", "hey, look at that bird",
    "the computer room is on the left", "hey, can you pass the salt", "they compute the taxes",
    "the commuter train is late", "my commute takes an hour", "hey Pete, come here",
    "a computer scientist gave a talk", "hey, it's me again", "complete the form please",
    "the cucumber salad is ready", "we bought a new computer monitor", "hey kids, dinner time",
    "he is a computer programmer", "the composer wrote a symphony", "hey, put that down",
    "come and sit with us", "she computes the average", "the company picnic is in June",
    "hey, how was the concert", "keep the receipt", "the copier is jammed again",
]


def sentences() -> list[str]:
    """Template sentences plus hand-written ones (with near-miss words in context)."""
    out = list(texts.SENTENCES) + list(texts.COMMANDS) + _EXTRA
    rng = np.random.default_rng(3)
    combos = list(itertools.product(_SUBJ, _VERB, _OBJ, _WHEN))
    for i in rng.permutation(len(combos))[:1500]:
        s, v, o, w = combos[i]
        out.append(" ".join(p for p in [s, v, o, w] if p))
    return out


def text_split(t: str) -> str:
    """'test' for 35 % of the texts (by hash), else 'train' (val draws from train texts)."""
    h = int(hashlib.sha1(t.lower().encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if h < 0.35 else "train"


def voices(split: str) -> list[str]:
    if split == "train":
        return ([f"espeak:{lang}+{v}" if v else f"espeak:{lang}" for lang in ESPEAK_LANGS
                 for v in ESPEAK_VARIANTS if v not in VAL_VARIANTS]
                + [f"flite:{v}" for v in TRAIN_FLITE])
    if split == "val":
        return ([f"espeak:{lang}+{v}" for lang in ESPEAK_LANGS for v in VAL_VARIANTS]
                + [f"flite:{v}" for v in VAL_FLITE])
    return [f"festival:{v}" for v in TEST_FESTIVAL]


def jobs_for(phrase: str, rng) -> list[tuple]:
    """(text, voice, rate, pitch, label, kind, split) of every render."""
    pos = texts.positive_texts(phrase)
    conf = texts.confusables(phrase)
    sent = sentences()
    sent_tr = [s for s in sent if text_split(s) == "train"]
    sent_te = [s for s in sent if text_split(s) == "test"]
    rates = [0.8, 0.9, 1.0, 1.15, 1.3]
    pitches = [-4, -2, 0, 2, 4]
    jobs = []

    def add(t, v, label, kind, split):
        jobs.append((t, v, float(rng.choice(rates)), float(rng.choice(pitches)), label, kind,
                     split))

    for split in ["train", "val", "test"]:
        for v in voices(split):
            engine = v.split(":")[0]
            if engine == "espeak":
                n_pos, n_conf, n_sent = (4, 4, 4) if split == "train" else (3, 3, 3)
            elif engine == "flite":
                n_pos, n_conf, n_sent = (50, 40, 120) if split == "train" else (30, 30, 80)
            else:  # festival: the held-out engine
                n_pos, n_conf, n_sent = 70, 45, 120
            for _ in range(n_pos):
                add(str(rng.choice(pos)), v, 1, "phrase", split)
            for _ in range(n_conf):
                add(str(rng.choice(conf)), v, 0, "near_miss", split)
            pool = sent_te if split == "test" else sent_tr
            for _ in range(n_sent):
                add(str(rng.choice(pool)), v, 0, "sentence", split)
    return jobs


def bg(rng, n, pools):
    """Background: music, real speech, babble of the split's TTS sentences, or noise."""
    r = rng.random()
    if r < 0.3 and pools["music"]:
        return A.crop(rng, pools["music"][rng.integers(len(pools["music"]))], n)
    if r < 0.5 and pools["speech"]:
        return A.crop(rng, pools["speech"][rng.integers(len(pools["speech"]))], n)
    if r < 0.7 and pools["babble"]:
        return babble(rng, n, pools["babble"])
    return A.coloured_noise(rng, n, str(rng.choice(["white", "pink", "brown", "hum"])))


def babble(rng, n, pool):
    k = int(rng.integers(3, 7))
    return sum(A.crop(rng, np.tile(pool[rng.integers(len(pool))], 4), n) for _ in range(k))


def level(rng, x, lo=-30, hi=-3):
    """Random peak level plus a microphone noise floor (the model must not rely on digital
    silence)."""
    x = x / (np.abs(x).max() + 1e-9) * 10 ** (rng.uniform(lo, hi) / 20)
    floor = A.coloured_noise(rng, len(x), str(rng.choice(["white", "pink"])))
    return (x + floor * 10 ** (rng.uniform(-90, -50) / 20)).astype(np.float32)


def running(rng, pool, n, gap=(0.1, 0.9)):
    """``n`` samples of running speech from clips of ``pool``."""
    parts, m = [], 0
    while m < n:
        s = pool[rng.integers(len(pool))]
        g = np.zeros(int(rng.uniform(*gap) * SR), np.float32)
        parts += [s, g]
        m += len(s) + len(g)
    return np.concatenate(parts)[:n]


def make_clips(out, rows, split, rng, pools):
    """Training/validation clips: positives (2.0-2.6 s of context, the phrase, 0.6 s after,
    3 augmented copies in train) and negative clips of 4-10 s (running TTS sentences and near
    misses, real speech, babble, music, noise). Returns table rows."""
    d = os.path.join(out, "clips", split)
    os.makedirs(d, exist_ok=True)
    made = []

    def emit(x, label, kind, voice, snr, end):
        p = os.path.join(d, f"{len(made):06d}.wav")
        write_wav(p, x)
        made.append((os.path.abspath(p), label, kind, voice, snr, round(end, 3)))

    mine = [r for r in rows if r["split"] == split]
    pos = [r for r in mine if r["label"] == 1]
    neg = [r for r in mine if r["label"] == 0]
    train = split == "train"
    copies = 3 if train else 1
    bar = Progress(f"clips {split}", len(pos) + len(neg))
    for r in pos:
        x0 = read_wav(r["wav"])
        for _ in range(copies):
            x = augment_speech(rng, x0) if train else x0
            pre = int(rng.uniform(2.0, 2.6) * SR)
            post = int(0.6 * SR)
            n = pre + len(x) + post
            sig = np.zeros(n, np.float32)
            # context before the phrase: sometimes speech, else quiet
            if rng.random() < 0.3 and neg:
                ctx = read_wav(neg[rng.integers(len(neg))]["wav"])
                ctx = ctx[-(pre - int(0.3 * SR)):]
                sig[pre - int(0.3 * SR) - len(ctx): pre - int(0.3 * SR)] = ctx * 0.7
            sig[pre: pre + len(x)] += x
            snr = None if rng.random() < 0.25 else float(rng.uniform(0, 20))
            if snr is not None:
                sig = A.mix_at_snr(sig, bg(rng, n, pools), snr)
            emit(level(rng, sig), 1, "phrase", r["voice"], "clean" if snr is None else
                 f"{snr:.0f}", (pre + len(x)) / SR)
        bar.step()
    # Negative clips: the split's TTS negatives as running speech, alone or over noise.
    negs = [read_wav(r["wav"]) for r in neg]
    near = [read_wav(r["wav"]) for r in neg if r["kind"] == "near_miss"]
    for i in range(len(neg)):
        n = int(rng.uniform(4, 10) * SR)
        pool = near if (i % 3 == 0 and near) else negs
        y = running(rng, [augment_speech(rng, s) if train else s for s in
                          (pool[j] for j in rng.integers(0, len(pool), 8))], n)
        snr = None if rng.random() < 0.4 else float(rng.uniform(0, 20))
        if snr is not None:
            y = A.mix_at_snr(y, bg(rng, n, pools), snr)
        emit(level(rng, y), 0, "near_miss" if pool is near else "sentence", "tts", "x", -1)
        bar.step()
    # Real speech, babble, music and noise clips (about a third of the negative time).
    for i in range(len(neg) // 2):
        n = int(rng.uniform(4, 10) * SR)
        k = i % 4
        if k == 0 and pools["speech"]:
            y = running(rng, pools["speech"], n, (0.05, 0.6))
            kind = "real_speech"
            if rng.random() < 0.5 and pools["music"]:
                y = A.mix_at_snr(y, bg(rng, n, {**pools, "speech": [], "babble": []}),
                                 rng.uniform(0, 20))
        elif k == 1 and pools["babble"]:
            y, kind = babble(rng, n, pools["babble"]), "babble"
        elif k == 2 and pools["music"]:
            y, kind = A.crop(rng, pools["music"][rng.integers(len(pools["music"]))], n), "music"
        else:
            y = A.coloured_noise(rng, n, str(rng.choice(["white", "pink", "brown", "hum"])))
            kind = "noise"
        emit(level(rng, y), 0, kind, "other", "x", -1)
    with open(os.path.join(out, "clips", f"{split}.tsv.tmp"), "w") as f:
        f.write("wav\tlabel\tkind\tvoice\tsnr\tend\n")
        for m in made:
            f.write("\t".join(str(v) for v in m) + "\n")
    os.replace(os.path.join(out, "clips", f"{split}.tsv.tmp"),
               os.path.join(out, "clips", f"{split}.tsv"))


def pos_stream(rng, clips, snr, pools):
    """Positives 1.5-3.5 s apart over background at ``snr`` (or clean), -60 dBFS floor."""
    at = int(2.0 * SR)
    chunks, starts, ends, vs = [np.zeros(at, np.float32)], [], [], []
    for x, v in clips:
        x = x * 0.5
        starts.append(at / SR)
        chunks.append(x)
        at += len(x)
        ends.append(at / SR)
        vs.append(v)
        g = int(rng.uniform(1.5, 3.5) * SR)
        chunks.append(np.zeros(g, np.float32))
        at += g
    sig = np.concatenate(chunks)
    if snr != "clean":
        lvl = np.mean([A.active_rms(x * 0.5) for x, _ in clips[:50]])
        b = np.concatenate([bg(rng, 10 * SR, pools) for _ in range(len(sig) // (10 * SR) + 1)])
        b = b[: len(sig)]
        sig = sig + b / (A.rms(b) + 1e-9) * lvl / 10 ** (float(snr) / 20)
    floor = A.coloured_noise(rng, len(sig), "white") * 10 ** (-60 / 20)
    return (sig + floor).astype(np.float32), starts, ends, vs


def neg_stream(rng, minutes, pools, tts_sent, tts_near):
    """``minutes`` of negatives with segment kinds: real speech (half over music), running TTS
    sentences with near misses mixed in, near misses alone, babble, music, noise."""
    target = int(minutes * 60 * SR)
    chunks, segs, total = [], [], 0
    kinds = ["speech", "tts", "near_miss", "babble", "music", "noise"]
    weights = np.array([0.3, 0.25, 0.1, 0.1, 0.13, 0.12])
    while total < target:
        kind = str(rng.choice(kinds, p=weights / weights.sum()))
        n = int(rng.uniform(10, 40) * SR)
        if kind == "speech" and pools["speech"]:
            x = running(rng, pools["speech"], n, (0.1, 0.8))
            if rng.random() < 0.5 and pools["music"]:
                x = A.mix_at_snr(x, A.crop(rng, pools["music"][rng.integers(len(pools["music"]))],
                                           n), rng.uniform(0, 20))
                kind = "speech+music"
        elif kind == "tts" and tts_sent:
            x = running(rng, tts_sent + tts_near[: len(tts_sent) // 4], n)
        elif kind == "near_miss" and tts_near:
            x = running(rng, tts_near, n, (0.3, 1.2))
        elif kind == "babble" and pools["babble"]:
            x = babble(rng, n, pools["babble"])
        elif kind == "music" and pools["music"]:
            x = A.crop(rng, pools["music"][rng.integers(len(pools["music"]))], n)
        else:
            colour = str(rng.choice(["white", "pink", "brown", "hum"]))
            x, kind = A.coloured_noise(rng, n, colour), f"noise:{colour}"
        x = x / (np.abs(x).max() + 1e-9) * 10 ** (rng.uniform(-30, -3) / 20)
        x = x + A.coloured_noise(rng, len(x), "white") * 10 ** (-60 / 20)
        chunks.append(x.astype(np.float32))
        segs.append([round(total / SR, 3), round(min(total + len(x), target) / SR, 3), kind])
        total += len(x)
    return np.concatenate(chunks)[:target], segs


def make_streams(out, rows, split, rng, pools, minutes):
    d = os.path.join(out, "eval") if split == "test" else os.path.join(out, "eval", "val")
    if os.path.exists(os.path.join(d, "truth.json")):
        return
    os.makedirs(d, exist_ok=True)
    mine = [r for r in rows if r["split"] == split]
    clips = [(read_wav(r["wav"]), r["voice"]) for r in mine if r["label"] == 1]
    truth = {"positives": [], "negative": None}
    for snr in SNRS if split == "test" else ["clean", "10"]:
        order = [clips[i] for i in rng.permutation(len(clips))]
        sig, starts, ends, vs = pos_stream(rng, order, snr, pools)
        p = os.path.join(d, f"pos_{snr}.wav")
        write_wav(p, sig)
        truth["positives"].append({"file": os.path.abspath(p), "snr": snr, "starts": starts,
                                   "ends": ends, "voices": vs})
    sent = [read_wav(r["wav"]) for r in mine if r["kind"] == "sentence"]
    near = [read_wav(r["wav"]) for r in mine if r["kind"] == "near_miss"]
    neg, segs = neg_stream(rng, minutes, pools, sent, near)
    p = os.path.join(d, "neg.wav")
    write_wav(p, neg)
    truth["negative"] = {"file": os.path.abspath(p), "seconds": len(neg) / SR, "segments": segs}
    with open(os.path.join(d, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1)
    print(f"{d}: {len(clips)} phrases per SNR, {len(neg) / SR / 60:.1f} min negatives",
          file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--phrase", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--neg-minutes", type=float, default=60.0)
    ap.add_argument("--val-minutes", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--peer", help="also render the held-out-engine positives of this phrase "
                    "(openWakeWord peer's word) into eval/peer/, over the same negatives")
    args = ap.parse_args()
    if not args.phrase.strip():
        ap.error("--phrase is empty")
    if args.jobs < 1:
        ap.error(f"--jobs must be >= 1, got {args.jobs}")
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    jobs = jobs_for(args.phrase, rng)
    # render_all takes (text, voice, rate, pitch, label, kind); the split is by engine here.
    rows = render_all(args.out, [j[:6] for j in jobs], args.jobs)
    split_of = {j[1]: j[6] for j in jobs}
    for r in rows:
        r["split"] = split_of[r["voice"]]
    with open(os.path.join(args.out, "renders.json"), "w") as f:
        json.dump(rows, f)
    for split in ["train", "val", "test"]:
        rs = "test" if split == "test" else "train"
        pools = {
            "music": real.load_pool(real.music_files(rs)),
            "speech": real.load_pool(real.speech_files(rs)),
            "babble": [read_wav(r["wav"]) for r in rows
                       if r["split"] == split and r["kind"] == "sentence"][:300],
        }
        seed = {"train": 11, "val": 22, "test": 33}[split]
        if split != "test" and not os.path.exists(os.path.join(args.out, "clips",
                                                               f"{split}.tsv")):
            make_clips(args.out, rows, split, np.random.default_rng(args.seed * 100 + seed),
                       pools)
        if split != "train":
            make_streams(args.out, rows, split, np.random.default_rng(args.seed * 100 + seed + 1),
                         pools, args.neg_minutes if split == "test" else args.val_minutes)
    if args.peer:
        peer_streams(args, rows)
    print(f"data ready under {args.out}", file=sys.stderr)


def peer_streams(args, rows):
    """Positives of another phrase in the test engine's voices (same rate/pitch draws), for a
    peer detector of that phrase, over the test negatives (eval/peer/truth.json)."""
    d = os.path.join(args.out, "eval", "peer")
    if os.path.exists(os.path.join(d, "truth.json")):
        return
    os.makedirs(d, exist_ok=True)
    n_pos = sum(1 for r in rows if r["split"] == "test" and r["label"] == 1)
    rng = np.random.default_rng(args.seed + 1)
    pos = texts.positive_texts(args.peer)
    jobs = []
    vs = voices("test")
    for i in range(n_pos):
        jobs.append((str(rng.choice(pos)), vs[i % len(vs)],
                     float(rng.choice([0.8, 0.9, 1.0, 1.15, 1.3])),
                     float(rng.choice([-4, -2, 0, 2, 4])), 1, "phrase"))
    prow = render_all(args.out, jobs, args.jobs)
    clips = [(read_wav(r["wav"]), r["voice"]) for r in prow]
    pools = {"music": real.load_pool(real.music_files("test")),
             "speech": real.load_pool(real.speech_files("test")),
             "babble": [read_wav(r["wav"]) for r in rows
                        if r["split"] == "test" and r["kind"] == "sentence"][:300]}
    with open(os.path.join(args.out, "eval", "truth.json")) as f:
        test = json.load(f)
    truth = {"phrase": args.peer, "positives": [], "negative": test["negative"]}
    for snr in SNRS:
        order = [clips[i] for i in rng.permutation(len(clips))]
        sig, starts, ends, v = pos_stream(rng, order, snr, pools)
        p = os.path.join(d, f"pos_{snr}.wav")
        write_wav(p, sig)
        truth["positives"].append({"file": os.path.abspath(p), "snr": snr, "starts": starts,
                                   "ends": ends, "voices": v})
    with open(os.path.join(d, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1)
    print(f"{d}: {len(clips)} {args.peer!r} phrases per SNR", file=sys.stderr)


if __name__ == "__main__":
    main()
