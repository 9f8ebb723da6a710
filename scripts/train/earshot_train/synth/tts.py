"""Render text with every local TTS voice: espeak-ng (accents x variants), flite (kal, kal16,
awb, rms, slt) and festival (kal_diphone), at several rates and pitches.

A voice id is "<engine>:<name>": "espeak:en-us+m3", "flite:awb", "festival:kal_diphone".
"""
from __future__ import annotations

import os
import subprocess
import tempfile

import numpy as np

from .audio import read_wav, sox_convert, trim_silence

ESPEAK_LANGS = ["en-us", "en", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp",
                "en-gb-x-gbcwmd", "en-029", "en-us-nyc"]
ESPEAK_VARIANTS = ["", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4",
                   "f5", "klatt", "klatt2", "klatt3", "klatt4", "klatt6", "Alex", "Andy",
                   "Annie", "adam", "anika", "aunty", "belinda", "benjamin", "boris", "caleb",
                   "david", "ed", "edward", "grandma", "grandpa", "iven", "iven3", "john",
                   "linda", "max", "michel", "norbert", "paul", "quincy", "rob", "robert",
                   "steph", "steph2", "travis", "victor", "zac", "Mike", "Denis", "Gene",
                   "Lee", "Michael", "Hugo", "shelby", "Andrea", "Alicia"]
FLITE_VOICES = ["kal", "kal16", "awb", "rms", "slt"]
FESTIVAL_VOICES = ["kal_diphone"]


def all_voices() -> list[str]:
    """Every voice id available here."""
    out = [f"espeak:{lang}+{v}" if v else f"espeak:{lang}"
           for lang in ESPEAK_LANGS for v in ESPEAK_VARIANTS]
    out += [f"flite:{v}" for v in FLITE_VOICES]
    out += [f"festival:{v}" for v in FESTIVAL_VOICES]
    return out


def engine_of(voice: str) -> str:
    """"espeak", "flite" or "festival"."""
    return voice.split(":", 1)[0]


def render(text: str, voice: str, rate: float = 1.0, pitch: float = 0.0,
           trim: bool = True) -> np.ndarray:
    """Speak ``text`` with ``voice`` at relative ``rate`` (1.0 normal, >1 faster) and ``pitch``
    shift in semitones; returns 16 kHz mono float32 (silence trimmed unless ``trim=False``)."""
    if not text.strip():
        raise ValueError("render: empty text")
    engine, _, name = voice.partition(":")
    with tempfile.TemporaryDirectory(prefix="earshot-tts-") as d:
        raw, out = os.path.join(d, "raw.wav"), os.path.join(d, "out.wav")
        effects: list[str] = []
        if engine == "espeak":
            cmd = ["espeak-ng", "-v", name, "-s", str(int(round(165 * rate))),
                   "-p", str(int(np.clip(50 + pitch * 6, 0, 99))), "-w", raw, text]
        elif engine == "flite":
            cmd = ["flite", "-voice", name, "--setf", f"duration_stretch={1.0 / rate:.3f}",
                   "-t", text, "-o", raw]
            if pitch:
                effects = ["pitch", str(int(pitch * 100))]
        elif engine == "festival":
            scm = os.path.join(d, "t.txt")
            with open(scm, "w") as f:
                f.write(text)
            cmd = ["text2wave", "-o", raw, "-eval", f"(voice_{name})", "-eval",
                   f"(Parameter.set 'Duration_Stretch {1.0 / rate:.3f})", scm]
            if pitch:
                effects = ["pitch", str(int(pitch * 100))]
        else:
            raise ValueError(f"render: unknown TTS engine in voice {voice!r}")
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if r.returncode != 0 or not os.path.exists(raw):
            raise RuntimeError(f"render: {voice} failed on {text!r}: {r.stderr.strip()[:300]}")
        sox_convert(raw, out, effects)
        x = read_wav(out)
    peak = float(np.abs(x).max()) if len(x) else 0.0
    if peak > 0:
        x = x * (0.5 / peak)
    return trim_silence(x) if trim else x
