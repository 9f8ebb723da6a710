"""Fake quantization (quantize then dequantize in forward) with the straight-through estimator:
in backward the gradient passes unchanged where the input lies inside the representable range
and is zero where it was clipped.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from .calibration import MinMaxObserver, PercentileObserver
from .quantizers import (
    LinearParams,
    LogParams,
    blockwise_dequantize,
    blockwise_symmetric,
    linear_dequantize,
    linear_params,
    linear_quantize,
    log_dequantize,
    log_quantize,
    symmetric_params,
)


class _LinearSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale, zero_point, qmin: int, qmax: int):  # type: ignore[override]
        p = LinearParams(scale, zero_point, qmin, qmax, 0)
        lo, hi = p.lo(), p.hi()
        ctx.save_for_backward((x >= lo) & (x <= hi))
        return linear_dequantize(linear_quantize(x, p), p)

    @staticmethod
    def backward(ctx, grad):  # type: ignore[override]
        (inside,) = ctx.saved_tensors
        return grad * inside.to(grad.dtype), None, None, None, None


class _LogSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, a: float, b: float, bits: int):  # type: ignore[override]
        p = LogParams(a, b, bits)
        ctx.save_for_backward(x.abs() <= b)
        return log_dequantize(log_quantize(x, p), p)

    @staticmethod
    def backward(ctx, grad):  # type: ignore[override]
        (inside,) = ctx.saved_tensors
        return grad * inside.to(grad.dtype), None, None, None


class _BlockSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, w, bits: int, block: int):  # type: ignore[override]
        q, s = blockwise_symmetric(w, bits, block)
        return blockwise_dequantize(q, s, block)

    @staticmethod
    def backward(ctx, grad):  # type: ignore[override]
        # Block scales come from max|w| of the block, so nothing is ever clipped.
        return grad, None, None


def fake_quant_linear(x: torch.Tensor, p: LinearParams) -> torch.Tensor:
    """Quantize-dequantize with the linear quantizer ``p``; STE gradient."""
    return _LinearSTE.apply(x, p.scale, p.zero_point, p.qmin, p.qmax)


def fake_quant_log(x: torch.Tensor, p: LogParams) -> torch.Tensor:
    """Quantize-dequantize with the log quantizer ``p``; STE gradient (zero where |x| > b)."""
    return _LogSTE.apply(x, p.a, p.b, p.bits)


def fake_quant_blockwise(w: torch.Tensor, bits: int, block: int) -> torch.Tensor:
    """Quantize-dequantize a [out, in] weight in symmetric blocks (MatMulNBits layout)."""
    return _BlockSTE.apply(w, bits, block)


class FakeQuantLinear(nn.Module):
    """A linear fake quantizer with fixed parameters (e.g. computed from a weight)."""

    def __init__(self, params: LinearParams):
        super().__init__()
        self.params = params

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fake_quant_linear(x, self.params)


class FakeQuantLog(nn.Module):
    """A logarithmic fake quantizer with fixed parameters."""

    def __init__(self, params: LogParams):
        super().__init__()
        self.params = params

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fake_quant_log(x, self.params)


class ActivationQuant(nn.Module):
    """Calibrated activation fake quantizer (asymmetric, integer zero point: ONNX uint8).

    States: ``observe`` (watch the range, pass values through), ``quant`` (keep observing and
    fake-quantize with the current range), ``frozen`` (fixed range, fake-quantize), ``off``.
    ``nonnegative=True`` pins the range minimum at 0 (after ReLU), so the zero point is 0 and a
    uint8 output clamps negatives exactly like the ReLU.
    """

    def __init__(
        self,
        bits: int = 8,
        observer: str = "minmax",
        percentile: float = 99.99,
        momentum: Optional[float] = None,
        nonnegative: bool = False,
    ):
        super().__init__()
        if observer == "minmax":
            self.observer = MinMaxObserver(momentum)
        elif observer == "percentile":
            self.observer = PercentileObserver(percentile)
        else:
            raise ValueError(f"unknown observer {observer!r} (minmax or percentile)")
        self.bits = bits
        self.nonnegative = nonnegative
        self.state = "observe"
        self.register_buffer("range_min", torch.tensor(0.0))
        self.register_buffer("range_max", torch.tensor(0.0))

    def params(self) -> LinearParams:
        """Current uint-n parameters (integer zero point)."""
        lo = 0.0 if self.nonnegative else float(self.range_min)
        return linear_params(lo, float(self.range_max), self.bits, integer_zero_point=True)

    def freeze(self) -> None:
        """Stop updating the range."""
        if float(self.range_max) == float(self.range_min) == 0.0 and self.observer.count == 0:
            raise RuntimeError("ActivationQuant.freeze: no calibration data was observed")
        self.state = "frozen"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.state == "off":
            return x
        if self.state == "observe" or (self.state == "quant" and self.training):
            self.observer.observe(x)
            lo, hi = self.observer.range()
            self.range_min.fill_(lo)
            self.range_max.fill_(hi)
        if self.state == "observe":
            return x
        return fake_quant_linear(x, self.params())


def weight_fake_quant(w: torch.Tensor, scheme: str, bits: int, granularity: str,
                      block: int = 32) -> torch.Tensor:
    """Fake-quantize a weight: scheme linear_sym | linear_asym | log | pow2; granularity
    tensor | channel (axis 0) | block (2-D views [out, in], linear_sym only)."""
    if scheme == "float":
        return w
    if granularity == "block":
        if scheme != "linear_sym":
            raise ValueError("block granularity needs scheme linear_sym")
        w2 = w.reshape(w.shape[0], -1)
        return fake_quant_blockwise(w2, bits, block).reshape(w.shape)
    axis = 0 if granularity == "channel" else None
    if granularity not in ("tensor", "channel"):
        raise ValueError(f"unknown granularity {granularity!r}")
    if scheme == "linear_sym":
        return fake_quant_linear(w, symmetric_params(w.detach(), bits, axis))
    if scheme == "linear_asym":
        from .quantizers import linear_params_from_tensor

        return fake_quant_linear(w, linear_params_from_tensor(w.detach(), bits, axis, True))
    if scheme in ("log", "pow2"):
        from .quantizers import log_params, pow2_params

        m = float(w.detach().abs().max())
        if m <= 0:
            return w
        if scheme == "pow2":
            p = pow2_params(m, bits)
        else:
            # Magnitudes below max / 2^(2*levels) are treated as zero.
            levels = 2 ** (bits - 1) - 1
            p = log_params(m / 2.0 ** (2 * levels), m, bits)
        return fake_quant_log(w, p)
    raise ValueError(f"unknown scheme {scheme!r}")
