"""Real-human and real-music audio from Debian packages, split by file so that evaluation audio
never overlaps training: asterisk-core-sounds-en-wav (one speaker, prompts), pocketsphinx-testdata
(read speech), asterisk-moh-opsound-wav (music)."""
from __future__ import annotations

import glob
import hashlib
import os

import numpy as np

from .audio import read_raw_s16, read_wav

ASTERISK_DIR = "/usr/share/asterisk/sounds/en"
POCKETSPHINX_DIR = "/usr/share/pocketsphinx/test/data"
MOH_DIR = "/usr/share/asterisk/moh"
#: Music held out for evaluation only.
TEST_MUSIC = {"macroform-the_simplicity.wav", "manolo_camp-morning_coffee.wav"}


def _split_of(path: str, test_fraction: float) -> str:
    h = int(hashlib.sha1(os.path.basename(path).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if h < test_fraction else "train"


def speech_files(split: str) -> list[str]:
    """Real speech files of a split ("train" or "test"); 30 % of the files are test."""
    files = sorted(glob.glob(os.path.join(ASTERISK_DIR, "**", "*.wav"), recursive=True))
    files += sorted(glob.glob(os.path.join(POCKETSPHINX_DIR, "**", "*.wav"), recursive=True))
    files += sorted(glob.glob(os.path.join(POCKETSPHINX_DIR, "**", "*.raw"), recursive=True))
    return [f for f in files if _split_of(f, 0.3) == split]


def music_files(split: str) -> list[str]:
    """Music files of a split (two whole tracks are test only)."""
    files = sorted(glob.glob(os.path.join(MOH_DIR, "*.wav")))
    return [f for f in files if (os.path.basename(f) in TEST_MUSIC) == (split == "test")]


def load(path: str) -> np.ndarray:
    """16 kHz float audio of a WAV or headerless 16 kHz s16 .raw file."""
    return read_raw_s16(path) if path.endswith(".raw") else read_wav(path)


def load_pool(files: list[str], max_seconds: float | None = None) -> list[np.ndarray]:
    """Load files (skipping unreadable ones with a message) up to max_seconds in total."""
    out, total = [], 0.0
    for f in files:
        try:
            x = load(f)
        except (ValueError, OSError) as e:
            print(f"real: skipping {f}: {e}")
            continue
        if len(x) < 1600:
            continue
        out.append(x)
        total += len(x) / 16000
        if max_seconds and total >= max_seconds:
            break
    return out
