"""Activation-range observers: running min/max (optionally an exponential moving average) and
percentile clipping. Observers only watch; :class:`~earshot_train.quant.fake_quant.ActivationQuant`
turns their range into quantization parameters and can freeze it.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch

class MinMaxObserver:
    """Running min and max of everything observed. With ``momentum`` set, an exponential moving
    average of per-batch min/max instead (less sensitive to one outlier batch)."""

    def __init__(self, momentum: Optional[float] = None):
        if momentum is not None and not 0.0 < momentum <= 1.0:
            raise ValueError(f"momentum must be in (0, 1], got {momentum}")
        self.momentum = momentum
        self.min: Optional[float] = None
        self.max: Optional[float] = None
        self.count = 0

    def observe(self, x: torch.Tensor) -> None:
        """Update the range with a batch."""
        if x.numel() == 0:
            return
        lo, hi = float(x.detach().min()), float(x.detach().max())
        if self.min is None or self.max is None:
            self.min, self.max = lo, hi
        elif self.momentum is None:
            self.min, self.max = min(self.min, lo), max(self.max, hi)
        else:
            m = self.momentum
            self.min = (1 - m) * self.min + m * lo
            self.max = (1 - m) * self.max + m * hi
        self.count += 1

    def range(self) -> Tuple[float, float]:
        """The observed (min, max); raises if nothing was observed."""
        if self.min is None or self.max is None:
            raise RuntimeError("observer has seen no data: run calibration batches first")
        return self.min, self.max


class PercentileObserver:
    """Range from the p-th and (100-p)-th percentiles of the observed values (averaged over
    batches), which clips rare outliers. Each batch is subsampled to ``max_samples`` values."""

    def __init__(self, percentile: float = 99.99, max_samples: int = 200_000, seed: int = 0):
        if not 50.0 < percentile <= 100.0:
            raise ValueError(f"percentile must be in (50, 100], got {percentile}")
        self.percentile = percentile
        self.max_samples = max_samples
        self._gen = torch.Generator().manual_seed(seed)
        self._lo_sum = 0.0
        self._hi_sum = 0.0
        self.count = 0

    def observe(self, x: torch.Tensor) -> None:
        """Add one batch's percentiles."""
        flat = x.detach().reshape(-1).float()
        if flat.numel() == 0:
            return
        if flat.numel() > self.max_samples:
            idx = torch.randint(0, flat.numel(), (self.max_samples,), generator=self._gen)
            flat = flat[idx]
        q = torch.tensor([1.0 - self.percentile / 100.0, self.percentile / 100.0])
        lo, hi = torch.quantile(flat, q).tolist()
        self._lo_sum += lo
        self._hi_sum += hi
        self.count += 1

    def range(self) -> Tuple[float, float]:
        """Mean percentile range over the batches seen."""
        if self.count == 0:
            raise RuntimeError("observer has seen no data: run calibration batches first")
        return self._lo_sum / self.count, self._hi_sum / self.count
