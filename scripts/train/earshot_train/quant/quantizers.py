"""Linear (uniform, affine) and logarithmic quantizers, as specified in docs/quantization.md.

Every function works on torch tensors (floats or anything ``torch.as_tensor`` accepts).
Rounding is round-half-to-even, like ONNX QuantizeLinear, so exported integers equal what
training saw.

Linear: ``q = clip(round(x / scale + zero_point), qmin, qmax)``, ``x' = (q - zero_point) * scale``.
With ``scale = (x_max - x_min) / (2^n - 1)`` and ``zero_point = -x_min / scale`` this is exactly the
plain formula ``q = round((x - x_min) / D)``, ``x' = x_min + q * D``. ONNX needs an integer zero point; then
the range is nudged so that 0.0 is exactly representable (``integer_zero_point=True``).

Logarithmic: magnitudes on a log grid over [a, b], sign kept separately. Code 0 is reserved for
exact zero (every |x| < a); codes ``±k`` for k in 1 .. 2^(n-1)-1 dequantize to
``±exp(ln a + k * D_log)`` with ``D_log = (ln b - ln a) / (2^(n-1) - 1)``. Magnitudes at or above a
that would round to index 0 are clipped to index 1, so only values below a become zero. Base 2
(``pow2_params``) makes every level a power of two.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Union

import torch

TensorLike = Union[torch.Tensor, float, Sequence[float]]


def _t(x: TensorLike) -> torch.Tensor:
    return x if isinstance(x, torch.Tensor) else torch.as_tensor(x, dtype=torch.float32)


@dataclass
class LinearParams:
    """Scale and zero point of a linear quantizer (scalars, or shaped for broadcasting)."""

    scale: torch.Tensor
    zero_point: torch.Tensor
    qmin: int
    qmax: int
    bits: int
    #: Channel axis of per-channel parameters (None: per tensor).
    axis: Optional[int] = None

    def lo(self) -> torch.Tensor:
        """Smallest representable value."""
        return (self.qmin - self.zero_point) * self.scale

    def hi(self) -> torch.Tensor:
        """Largest representable value."""
        return (self.qmax - self.zero_point) * self.scale


def _reduce_range(x: torch.Tensor, axis: Optional[int]):
    if axis is None:
        return x.min(), x.max()
    axis = axis % x.dim()
    dims = [d for d in range(x.dim()) if d != axis]
    xmin = x.amin(dim=dims, keepdim=True) if dims else x
    xmax = x.amax(dim=dims, keepdim=True) if dims else x
    return xmin, xmax


def _check_bits(bits: int) -> None:
    if not isinstance(bits, int) or bits < 2 or bits > 16:
        raise ValueError(f"bits must be an integer in 2..16, got {bits!r}")


def linear_params(
    x_min: TensorLike,
    x_max: TensorLike,
    bits: int,
    integer_zero_point: bool = False,
    axis: Optional[int] = None,
) -> LinearParams:
    """Asymmetric quantizer over [x_min, x_max] with codes 0 .. 2^n - 1.

    ``integer_zero_point=False`` is the plain formula (the zero point may be fractional);
    ``True`` widens the range to include 0 and rounds the zero point (what ONNX uint8 stores).
    """
    _check_bits(bits)
    lo, hi = _t(x_min).float(), _t(x_max).float()
    if torch.any(hi < lo):
        raise ValueError(f"x_max must be >= x_min (got {lo.tolist()} .. {hi.tolist()})")
    qmax = 2**bits - 1
    if integer_zero_point:
        lo, hi = torch.minimum(lo, torch.zeros_like(lo)), torch.maximum(hi, torch.zeros_like(hi))
    scale = (hi - lo) / qmax
    scale = torch.where(scale > 0, scale, torch.full_like(scale, 1e-8))
    zp = -lo / scale
    if integer_zero_point:
        zp = torch.clamp(torch.round(zp), 0, qmax)
    return LinearParams(scale, zp, 0, qmax, bits, axis)


def symmetric_params(
    x_or_absmax: TensorLike, bits: int, axis: Optional[int] = None, from_tensor: bool = True
) -> LinearParams:
    """Symmetric narrow-range quantizer: zero point 0, ``scale = max|x| / (2^(n-1) - 1)``,
    codes in [-(2^(n-1) - 1), 2^(n-1) - 1]. ``axis`` gives per-channel scales (max over the
    other dimensions); with ``from_tensor=False`` the argument already is max|x|.
    """
    _check_bits(bits)
    x = _t(x_or_absmax).float()
    if from_tensor:
        if axis is None:
            absmax = x.abs().max()
        else:
            a = axis % x.dim()
            dims = [d for d in range(x.dim()) if d != a]
            absmax = x.abs().amax(dim=dims, keepdim=True) if dims else x.abs()
    else:
        absmax = x.abs()
    qmax = 2 ** (bits - 1) - 1
    scale = absmax / qmax
    scale = torch.where(scale > 0, scale, torch.full_like(scale, 1e-8))
    return LinearParams(scale, torch.zeros_like(scale), -qmax, qmax, bits, axis)


def linear_params_from_tensor(
    x: torch.Tensor, bits: int, axis: Optional[int] = None, integer_zero_point: bool = True
) -> LinearParams:
    """Asymmetric parameters from the min/max of a tensor (per tensor or per channel)."""
    lo, hi = _reduce_range(_t(x).float(), axis)
    return linear_params(lo, hi, bits, integer_zero_point, axis)


def linear_quantize(x: TensorLike, p: LinearParams) -> torch.Tensor:
    """Integer codes (as a float tensor holding integers) of x."""
    x = _t(x).float()
    return torch.clamp(torch.round(x / p.scale + p.zero_point), p.qmin, p.qmax)


def linear_dequantize(q: TensorLike, p: LinearParams) -> torch.Tensor:
    """Values of integer codes."""
    return (_t(q).float() - p.zero_point) * p.scale


def blockwise_symmetric(w: torch.Tensor, bits: int, block: int):
    """Symmetric narrow-range quantization of a [out, in] weight in blocks of ``block`` input
    elements (the MatMulNBits layout). Returns (codes [out, in], scales [out, n_blocks]); the last
    block is zero-padded when ``in`` is not a multiple of ``block``.
    """
    _check_bits(bits)
    if w.dim() != 2:
        raise ValueError(f"blockwise_symmetric expects a 2-D [out, in] weight, got {tuple(w.shape)}")
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}")
    out_f, in_f = w.shape
    nb = -(-in_f // block)
    pad = nb * block - in_f
    wp = torch.nn.functional.pad(w, (0, pad)).reshape(out_f, nb, block)
    qmax = 2 ** (bits - 1) - 1
    scales = wp.abs().amax(dim=2) / qmax
    scales = torch.where(scales > 0, scales, torch.full_like(scales, 1e-8))
    q = torch.clamp(torch.round(wp / scales.unsqueeze(2)), -qmax, qmax)
    return q.reshape(out_f, nb * block)[:, :in_f], scales


def blockwise_dequantize(q: torch.Tensor, scales: torch.Tensor, block: int) -> torch.Tensor:
    """Inverse of :func:`blockwise_symmetric`."""
    out_f, in_f = q.shape
    s = scales.repeat_interleave(block, dim=1)[:, :in_f]
    return q * s


@dataclass
class LogParams:
    """Logarithmic quantizer over magnitudes [a, b] with n bits (1 sign bit)."""

    a: float
    b: float
    bits: int

    @property
    def levels(self) -> int:
        """Largest magnitude index, 2^(n-1) - 1."""
        return 2 ** (self.bits - 1) - 1

    @property
    def d_log(self) -> float:
        """Step on the natural-log scale."""
        return (math.log(self.b) - math.log(self.a)) / self.levels


def log_params(a: float, b: float, bits: int) -> LogParams:
    """Log quantizer over magnitudes [a, b] (0 < a < b)."""
    _check_bits(bits)
    if not (a > 0 and b > a and math.isfinite(b)):
        raise ValueError(f"log quantizer needs 0 < a < b, got a={a}, b={b}")
    return LogParams(float(a), float(b), bits)


def pow2_params(max_abs: float, bits: int) -> LogParams:
    """Power-of-two quantizer: b = 2^round(log2 max|x|), levels b / 2^k, every level a power of 2."""
    _check_bits(bits)
    if not max_abs > 0:
        raise ValueError(f"pow2_params needs max_abs > 0, got {max_abs}")
    e = round(math.log2(max_abs))
    levels = 2 ** (bits - 1) - 1
    return LogParams(2.0 ** (e - levels), 2.0**e, bits)


def log_index(x: TensorLike, p: LogParams) -> torch.Tensor:
    """The raw index ``(ln|x| - ln a) / D_log`` before rounding (for inspection/tests)."""
    x = _t(x).float()
    return (torch.log(x.abs()) - math.log(p.a)) / p.d_log


def log_quantize(x: TensorLike, p: LogParams) -> torch.Tensor:
    """Signed codes: 0 for |x| < a, else ``sign(x) * clip(round(index), 1, 2^(n-1) - 1)``."""
    x = _t(x).float()
    mag = x.abs()
    idx = torch.round((torch.log(torch.clamp(mag, min=p.a)) - math.log(p.a)) / p.d_log)
    idx = torch.clamp(idx, 1, p.levels)
    return torch.where(mag < p.a, torch.zeros_like(x), torch.sign(x) * idx)


def log_dequantize(q: TensorLike, p: LogParams) -> torch.Tensor:
    """Values of signed log codes (code 0 is exactly 0)."""
    q = _t(q).float()
    mag = torch.exp(math.log(p.a) + q.abs() * p.d_log)
    return torch.where(q == 0, torch.zeros_like(q), torch.sign(q) * mag)
