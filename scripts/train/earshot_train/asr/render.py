#!/usr/bin/python3
"""Render sentences with every local TTS voice and augment them (noise, reverb, gain).

Minimal render/augment helpers of the ASR data recipe. (The wake-word data recipe owns
earshot_train.synth; these helpers duplicate a small part of it so that the ASR recipe runs on
its own. Keep the two in step when changing voices or augmentation.)

Input: a TSV with `id<TAB>text` lines. Output: `<out>/<id>.wav` (16 kHz mono s16) and a
manifest `<out>/manifest.tsv` with `id<TAB>wav<TAB>text<TAB>voice<TAB>snr_db<TAB>reverb`.

Usage: PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.asr.render
       --sentences s.tsv --out data/asr/train
       --voices train|eval [--clean-fraction 0.3] [--snr 0 25] [--seed 1] [--jobs 2]
"""

import argparse
import multiprocessing
import os
import random
import re
import subprocess
import sys
import tempfile
import wave

import numpy as np

SR = 16000
ESPEAK_LANGS = ["en-us", "en", "en-gb-scotland", "en-029", "en-us-nyc", "en-gb-x-gbclan",
                "en-gb-x-gbcwmd"]
ESPEAK_VARIANTS = ["", "m1", "m2", "m3", "m5", "m6", "m7", "f1", "f3", "f5", "klatt", "klatt3",
                   "Alex", "Andy", "adam", "Annie", "boris", "david", "edward", "iven",
                   "john", "linda", "max", "michel", "paul", "quincy", "robert", "steph",
                   "travis", "victor", "zac", "Mike", "Denis", "aunty", "grandpa"]
# Held out from training: evaluation only.
EVAL_VOICES = ["flite:slt", "espeak:en-gb-x-rp+f2", "espeak:en-us+f4", "espeak:en-gb-x-rp+m4",
               "espeak:en-us+belinda"]
TRAIN_FLITE = ["kal16", "awb", "rms", "kal"]


def train_voice(rng: random.Random, flite_only: bool = False) -> str:
    if flite_only:
        return "flite:" + rng.choice(TRAIN_FLITE)
    r = rng.random()
    if r < 0.35:
        return "flite:" + rng.choice(TRAIN_FLITE)
    if r < 0.45:
        return "festival:kal_diphone"
    var = rng.choice(ESPEAK_VARIANTS)
    return "espeak:" + rng.choice(ESPEAK_LANGS) + ("+" + var if var else "")


def read_wav(path: str) -> np.ndarray:
    with wave.open(path, "rb") as w:
        n, ch, sw, sr = w.getnframes(), w.getnchannels(), w.getsampwidth(), w.getframerate()
        raw = w.readframes(n)
    if sw != 2:
        raise ValueError(f"{path}: expected 16-bit PCM, got {8 * sw}-bit")
    x = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if ch > 1:
        x = x.reshape(-1, ch).mean(axis=1)
    if sr != SR:
        x = resample(x, sr, SR)
    return x


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Band-limited resampling through sox (exact and fast)."""
    with tempfile.TemporaryDirectory() as d:
        a, b = os.path.join(d, "a.wav"), os.path.join(d, "b.wav")
        write_wav(a, x, sr_in)
        subprocess.run(["sox", "-V1", "-G", a, "-r", str(sr_out), b], check=True)
        return read_wav(b)


def write_wav(path: str, x: np.ndarray, sr: int = SR) -> None:
    pcm = np.clip(np.round(x * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())


def tts(voice: str, text: str, rng: random.Random, path: str) -> None:
    engine, name = voice.split(":", 1)
    if engine == "flite":
        stretch = rng.uniform(0.85, 1.2)
        f0 = rng.uniform(0.85, 1.2)
        cmd = ["flite", "-voice", name, "--setf", f"duration_stretch={stretch:.3f}",
               "--setf", f"int_f0_target_mean={110 * f0:.1f}" if name.startswith("kal")
               or name in ("awb", "rms") else f"int_f0_target_mean={170 * f0:.1f}",
               "-t", text, "-o", path]
    elif engine == "festival":
        # The voice must be named: text2wave's default is kal_diphone whatever was asked for.
        if not re.fullmatch(r"[a-z0-9_]+", name):
            raise ValueError(f"render: bad festival voice name {name!r}")
        cmd = ["text2wave", "-o", path, "-eval", f"(voice_{name})"]
    else:
        cmd = ["espeak-ng", "-v", name, "-s", str(rng.randint(130, 200)), "-p",
               str(rng.randint(25, 75)), "-w", path, text]
    if engine == "festival":
        subprocess.run(cmd, input=text.encode(), check=True, stderr=subprocess.DEVNULL)
    else:
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


_MUSIC = []


def music() -> list:
    if not _MUSIC:
        d = "/usr/share/asterisk/moh"
        for f in sorted(os.listdir(d)):
            if f.endswith(".wav"):
                try:
                    _MUSIC.append(read_wav(os.path.join(d, f)))
                except (ValueError, subprocess.CalledProcessError):
                    pass
    return _MUSIC


def colored_noise(n: int, rng: np.random.Generator, exponent: float) -> np.ndarray:
    """Noise with power spectrum ~ 1/f^exponent (0 white, 1 pink, 2 brown)."""
    spec = rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)
    f = np.arange(n // 2 + 1, dtype=np.float64)
    f[0] = 1.0
    spec /= f ** (exponent / 2)
    x = np.fft.irfft(spec, n).astype(np.float32)
    return x / (np.sqrt(np.mean(x ** 2)) + 1e-9)


_BABBLE = []


def load_babble(directory: str, limit: int = 300) -> int:
    """Load up to `limit` rendered utterances of `directory` as talkers for babble noise."""
    names = sorted(f for f in os.listdir(directory) if f.endswith(".wav"))
    for f in names[:limit]:
        try:
            _BABBLE.append(read_wav(os.path.join(directory, f)))
        except (ValueError, OSError, EOFError, wave.Error) as e:
            print(f"render: babble: skipping {f}: {e}", file=sys.stderr)
    if not _BABBLE:
        raise ValueError(f"{directory}: no readable .wav files for babble noise")
    return len(_BABBLE)


def babble(n: int, rng: np.random.Generator, talkers=None, pool=None) -> np.ndarray:
    """Multi-talker babble: 3-6 utterances of the pool, each looped to n samples at a random
    offset, at random levels, summed; unit RMS."""
    pool = _BABBLE if pool is None else pool
    k = int(rng.integers(3, 7)) if talkers is None else talkers
    out = np.zeros(n, np.float32)
    for _ in range(k):
        x = pool[int(rng.integers(0, len(pool)))]
        x = x / (np.sqrt(np.mean(x ** 2)) + 1e-9)
        reps = int(np.ceil((n + len(x)) / max(1, len(x)))) + 1
        loop = np.tile(x, reps)
        s = int(rng.integers(0, len(x)))
        out += loop[s:s + n] * float(rng.uniform(0.5, 1.0))
    return out / (np.sqrt(np.mean(out ** 2)) + 1e-9)


def voice_effects(rng: random.Random) -> list:
    """sox effects that move a voice away from its engine's: pitch (-5..+5 semitones), tempo
    (0.85-1.2x, pitch kept), a spectral tilt (bass and treble shelves +-6 dB, standing in for
    microphones, rooms and voice quality) and, for a third, a vocal-tract-length-like speed
    change (formants and pitch together, 0.9-1.15x)."""
    fx = ["rate", str(SR), "pitch", str(rng.randint(-500, 500)),
          "tempo", f"{rng.uniform(0.85, 1.2):.3f}",
          "bass", f"{rng.uniform(-6, 6):.1f}", "treble", f"{rng.uniform(-6, 6):.1f}"]
    if rng.random() < 0.33:
        fx += ["speed", f"{rng.uniform(0.9, 1.15):.3f}"]
    return fx


def noise_like(n: int, rng: np.random.Generator) -> np.ndarray:
    k = rng.integers(0, 4)
    if _BABBLE and rng.random() < 0.35:
        return babble(n, rng)
    if k == 3 and music():
        m = music()[rng.integers(0, len(music()))]
        if len(m) > n:
            s = rng.integers(0, len(m) - n)
            x = m[s:s + n].copy()
            return x / (np.sqrt(np.mean(x ** 2)) + 1e-9)
    return colored_noise(n, rng, [0.0, 1.0, 2.0, 1.0][k])


def reverb(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Convolve with a synthetic room impulse response (exponential decay, RT60 0.2-0.8 s)."""
    rt60 = rng.uniform(0.2, 0.8)
    n = int(rt60 * SR)
    t = np.arange(n) / SR
    rir = rng.standard_normal(n).astype(np.float32) * np.exp(-6.9 * t / rt60).astype(np.float32)
    rir[0] = 1.0
    rir /= np.sqrt(np.sum(rir ** 2))
    y = np.fft.irfft(np.fft.rfft(x, len(x) + n) * np.fft.rfft(rir, len(x) + n))[: len(x)]
    return y.astype(np.float32)


def augment(x: np.ndarray, rng: np.random.Generator, snr_range, clean: bool):
    """Pad with silence, maybe reverberate, add noise at a random SNR, random gain."""
    pre = int(rng.uniform(0.15, 0.6) * SR)
    post = int(rng.uniform(0.2, 0.6) * SR)
    x = np.concatenate([np.zeros(pre, np.float32), x, np.zeros(post, np.float32)])
    rev = 0
    snr = None
    if not clean:
        if rng.random() < 0.4:
            x = reverb(x, rng)
            rev = 1
        snr = float(rng.uniform(*snr_range))
        speech_power = np.mean(x[pre:len(x) - post] ** 2) + 1e-9
        nz = noise_like(len(x), rng)
        x = x + nz * np.sqrt(speech_power / 10 ** (snr / 10))
    else:
        x = x + colored_noise(len(x), rng, 1.0) * 10 ** (-70 / 20)
    peak = np.max(np.abs(x)) + 1e-9
    x = x / peak * 10 ** (rng.uniform(-26, -1) / 20)
    return x, snr, rev


def work(job):
    uid, text, voice, out, seed, clean, snr_range, perturb, voiceaug = job
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as d:
        raw = os.path.join(d, "tts.wav")
        try:
            tts(voice, text, rng, raw)
            if perturb:
                # Speed perturbation raises pitch and formants together (a shorter vocal
                # tract): male voices then stand in for female and child speakers.
                factor = rng.uniform(1.08, 1.3)
                cents = rng.choice([0, 0, rng.randint(300, 700)])
                pert = os.path.join(d, "pert.wav")
                effects = ["speed", f"{factor:.3f}"] + (["pitch", str(cents)] if cents else [])
                subprocess.run(["sox", "-V1", "-G", raw, pert] + effects, check=True)
                raw = pert
                voice = f"{voice}+speed{factor:.2f}" + (f"+pitch{cents}" if cents else "")
            elif voiceaug:
                fx = voice_effects(rng)
                pert = os.path.join(d, "voice.wav")
                subprocess.run(["sox", "-V1", "-G", raw, pert] + fx, check=True)
                raw = pert
                voice = f"{voice}+fx[{' '.join(fx[2:10])}]"
            x = read_wav(raw)
        except (subprocess.CalledProcessError, ValueError, OSError) as e:
            return None, f"{uid}: {voice}: {e}"
    if len(x) < SR * 0.2:
        return None, f"{uid}: {voice}: audio too short"
    x, snr, rev = augment(x, nrng, snr_range, clean)
    path = os.path.join(out, uid + ".wav")
    write_wav(path, x)
    return f"{uid}\t{path}\t{text}\t{voice}\t{'' if snr is None else f'{snr:.1f}'}\t{rev}", None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sentences", required=True, help="TSV id<TAB>text")
    ap.add_argument("--out", required=True)
    ap.add_argument("--voices", choices=["train", "eval"], default="train")
    ap.add_argument("--voice", help="render every sentence with this one voice (engine:name)")
    ap.add_argument("--clean-fraction", type=float, default=0.3)
    ap.add_argument("--snr", type=float, nargs=2, default=[0.0, 25.0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--flite-only", action="store_true", help="training flite voices only")
    ap.add_argument("--voice-aug", type=float, default=0.0,
                    help="fraction with random pitch, tempo, spectral tilt (voice_effects)")
    ap.add_argument("--babble-dir", help="rendered utterances to make babble noise from "
                    "(a third of the noisy items then get babble)")
    ap.add_argument("--perturb", type=float, default=0.0,
                    help="fraction with speed perturbation (1.08-1.3x), a third also pitch-shifted")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    jobs = []
    with open(args.sentences, encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) != 2 or not parts[1].strip():
                sys.exit(f"{args.sentences}:{ln}: expected 'id<TAB>text'")
            if args.voice:
                voice = args.voice
            elif args.voices == "train":
                voice = train_voice(rng, args.flite_only)
            else:
                voice = rng.choice(EVAL_VOICES)
            clean = rng.random() < args.clean_fraction
            jobs.append((parts[0], parts[1], voice, args.out, rng.randrange(1 << 30), clean,
                         tuple(args.snr), rng.random() < args.perturb,
                         rng.random() < args.voice_aug))
    if args.babble_dir:
        try:
            print(f"render: {load_babble(args.babble_dir)} babble talkers", file=sys.stderr)
        except (ValueError, OSError) as e:
            sys.exit(f"render: --babble-dir {e}")
    lines, errors = [], []
    with multiprocessing.Pool(args.jobs) as pool:
        for line, err in pool.imap(work, jobs, chunksize=8):
            if line:
                lines.append(line)
            else:
                errors.append(err)
    with open(os.path.join(args.out, "manifest.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    for e in errors[:20]:
        print("render: " + e, file=sys.stderr)
    print(f"rendered {len(lines)} of {len(jobs)} into {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
