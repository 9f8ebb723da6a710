"""WAV I/O and resampling for the synthesis scripts (numpy only; 16 kHz mono float32 inside)."""
from __future__ import annotations

import subprocess
import wave

import numpy as np

SR = 16000


def read_wav(path: str) -> np.ndarray:
    """Read a PCM WAV (8/16/32-bit, any rate, any channels) as 16 kHz mono float32 in [-1, 1]."""
    try:
        with wave.open(path, "rb") as w:
            n, ch, sw, sr = w.getnframes(), w.getnchannels(), w.getsampwidth(), w.getframerate()
            raw = w.readframes(n)
    except (wave.Error, EOFError, OSError) as e:
        raise ValueError(f"{path}: not a readable PCM WAV ({e})") from e
    if sw == 2:
        x = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif sw == 1:
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif sw == 4:
        x = np.frombuffer(raw, dtype="<i4").astype(np.float32) / 2147483648.0
    else:
        raise ValueError(f"{path}: unsupported sample width {8 * sw} bits")
    if ch > 1:
        x = x[: len(x) // ch * ch].reshape(-1, ch).mean(axis=1)
    return resample(x, sr, SR) if sr != SR else x


def read_raw_s16(path: str, rate: int = 16000) -> np.ndarray:
    """Headerless little-endian s16 mono PCM."""
    x = np.fromfile(path, dtype="<i2").astype(np.float32) / 32768.0
    return resample(x, rate, SR) if rate != SR else x


def write_wav(path: str, x: np.ndarray, sr: int = SR) -> None:
    """Write float samples as 16-bit PCM mono (clipped to [-1, 1])."""
    pcm = (np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())


def resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Band-limited resampling via FFT zero-padding/truncation (fine for clips of seconds)."""
    if src == dst or len(x) == 0:
        return x.astype(np.float32)
    n_out = int(round(len(x) * dst / src))
    spec = np.fft.rfft(x)
    n_bins = n_out // 2 + 1
    if n_bins <= len(spec):
        spec = spec[:n_bins]
    else:
        spec = np.concatenate([spec, np.zeros(n_bins - len(spec), dtype=spec.dtype)])
    y = np.fft.irfft(spec, n_out) * (n_out / len(x))
    return y.astype(np.float32)


def sox_convert(src: str, dst: str, effects: list[str] | None = None) -> None:
    """sox src -> 16 kHz mono 16-bit dst, with optional effects (pitch, tempo)."""
    cmd = ["sox", "-q", src, "-r", str(SR), "-c", "1", "-b", "16", dst] + (effects or [])
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"sox failed on {src}: {r.stderr.strip()}")


def trim_silence(x: np.ndarray, threshold_db: float = -45.0, pad: int = 800) -> np.ndarray:
    """Cut leading/trailing silence (10 ms frames below threshold relative to full scale)."""
    if len(x) < 160:
        return x
    frames = len(x) // 160
    e = np.sqrt(np.mean(x[: frames * 160].reshape(frames, 160) ** 2, axis=1) + 1e-12)
    db = 20 * np.log10(e)
    loud = np.nonzero(db > max(threshold_db, db.max() - 40))[0]
    if len(loud) == 0:
        return x[:0]
    start = max(0, loud[0] * 160 - pad)
    end = min(len(x), (loud[-1] + 1) * 160 + pad)
    return x[start:end]
