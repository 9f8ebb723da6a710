"""Augmentation for synthesized speech (numpy only): speed, room reverb, gain, microphone
colouring, background noise/music at a target SNR, and placement with start/end jitter.

Every function takes a ``numpy.random.Generator`` so a seed reproduces a data set exactly.
"""
from __future__ import annotations

import numpy as np

from .audio import SR


def speed(x: np.ndarray, factor: float) -> np.ndarray:
    """Play ``factor`` times faster (tempo and pitch together, like tape speed)."""
    if factor <= 0:
        raise ValueError(f"speed factor must be > 0, got {factor}")
    n = max(1, int(round(len(x) / factor)))
    return np.interp(np.arange(n) * factor, np.arange(len(x)), x).astype(np.float32)


def room_impulse(rng: np.random.Generator, rt60: float, direct_ratio_db: float) -> np.ndarray:
    """A synthetic room impulse response: direct path plus exponentially decaying noise."""
    n = int(SR * min(rt60, 1.0))
    t = np.arange(n) / SR
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    tail[: int(0.002 * SR)] = 0.0  # first reflections arrive after ~2 ms
    tail /= np.sqrt(np.sum(tail**2)) + 1e-12
    h = tail * 10 ** (-direct_ratio_db / 20)
    h[0] += 1.0
    return h.astype(np.float32)


def convolve(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Linear convolution via FFT, trimmed to len(x) + len(h) - 1."""
    n = len(x) + len(h) - 1
    size = 1 << (n - 1).bit_length()
    y = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(h, size), size)[:n]
    return y.astype(np.float32)


def reverb(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random room: RT60 0.15-0.8 s, direct-to-reverberant 0-15 dB; keeps the input's peak."""
    h = room_impulse(rng, rng.uniform(0.15, 0.8), rng.uniform(0.0, 15.0))
    y = convolve(x, h)[: len(x) + int(0.3 * SR)]
    peak = np.abs(y).max()
    return y * (np.abs(x).max() / peak) if peak > 0 else y


def mic_colour(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random microphone/loudspeaker response: high-pass 50-300 Hz, low-pass 3.5-8 kHz and a
    smooth +-6 dB tilt/ripple over log frequency (applied in the FFT domain)."""
    n = len(x)
    size = 1 << max(1, (n - 1).bit_length())
    f = np.fft.rfftfreq(size, 1 / SR)
    hp, lp = rng.uniform(50, 300), rng.uniform(3500, 8000)
    g = 1 / np.sqrt(1 + (hp / np.maximum(f, 1)) ** 4) / np.sqrt(1 + (f / lp) ** 8)
    knots = np.log(np.array([50, 200, 800, 2000, 4000, 8000]))
    gains_db = rng.uniform(-6, 6, size=len(knots))
    g *= 10 ** (np.interp(np.log(np.maximum(f, 50)), knots, gains_db) / 20)
    y = np.fft.irfft(np.fft.rfft(x, size) * g, size)[:n]
    return y.astype(np.float32)


def gain_db(x: np.ndarray, db: float) -> np.ndarray:
    """Scale by ``db`` decibels."""
    return (x * 10 ** (db / 20)).astype(np.float32)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2) + 1e-20))


def active_rms(x: np.ndarray) -> float:
    """RMS over the loud 10 ms frames only (speech level without the pauses)."""
    frames = len(x) // 160
    if frames == 0:
        return rms(x)
    e = np.sqrt(np.mean(x[: frames * 160].reshape(frames, 160) ** 2, axis=1))
    loud = e[e > e.max() * 0.1]
    return float(np.sqrt(np.mean(loud**2))) if len(loud) else rms(x)


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """speech + noise scaled so that active speech level / noise level = snr_db."""
    if len(noise) < len(speech):
        raise ValueError("mix_at_snr: noise is shorter than speech")
    n = noise[: len(speech)]
    k = active_rms(speech) / (rms(n) * 10 ** (snr_db / 20))
    return (speech + k * n).astype(np.float32)


def coloured_noise(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    """white | pink | brown | hum (50/60 Hz harmonics) noise of n samples, unit RMS."""
    if kind == "hum":
        f0 = rng.choice([50.0, 60.0])
        t = np.arange(n) / SR
        y = sum(rng.uniform(0.1, 1) / k * np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.3))
                for k in range(1, 8)) + 0.05 * rng.standard_normal(n)
    else:
        w = rng.standard_normal(n)
        if kind == "white":
            y = w
        else:
            size = 1 << max(1, (n - 1).bit_length())
            f = np.fft.rfftfreq(size, 1 / SR)
            f[0] = f[1]
            shape = f ** (-0.5 if kind == "pink" else -1.0)
            y = np.fft.irfft(np.fft.rfft(w, size) * shape, size)[:n]
    y = np.asarray(y, dtype=np.float64)
    return (y / (np.sqrt(np.mean(y**2)) + 1e-12)).astype(np.float32)


def crop(rng: np.random.Generator, x: np.ndarray, n: int) -> np.ndarray:
    """A random n-sample window of x (zero-padded at a random offset when x is shorter)."""
    if len(x) >= n:
        s = int(rng.integers(0, len(x) - n + 1))
        return x[s: s + n].copy()
    out = np.zeros(n, dtype=np.float32)
    s = int(rng.integers(0, n - len(x) + 1))
    out[s: s + len(x)] = x
    return out


def place_end(x: np.ndarray, n: int, end_gap: int) -> np.ndarray:
    """Put x into an n-sample window so that it ends ``end_gap`` samples before the window end
    (its start is cut when x is longer than the room left)."""
    out = np.zeros(n, dtype=np.float32)
    end = n - end_gap
    seg = x[max(0, len(x) - end):]
    out[end - len(seg): end] = seg
    return out
