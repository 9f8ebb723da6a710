"""Per-layer bit widths (mixed precision) from a config, and the quantizable layers.

A :class:`QuantConfig` maps layer names (fnmatch patterns, first match wins) to a
:class:`LayerSpec`. JSON form::

    {"default": {"bits": 8, "scheme": "linear_sym", "granularity": "channel"},
     "layers": {"conv1": {"bits": 8}, "blocks.*.pw": {"bits": 4, "granularity": "block",
                "block": 16}, "fc": {"bits": 4, "granularity": "block", "block": 16}},
     "activation_bits": 8}
"""
from __future__ import annotations

import fnmatch
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Dict, Iterator, List, Tuple

import torch
from torch import nn

from .fake_quant import ActivationQuant, weight_fake_quant

SCHEMES = ("float", "linear_sym", "linear_asym", "log", "pow2")
GRANULARITIES = ("tensor", "channel", "block")


@dataclass(frozen=True)
class LayerSpec:
    """How one layer's weights are quantized."""

    bits: int = 8
    scheme: str = "linear_sym"
    granularity: str = "channel"
    block: int = 32

    def validate(self, where: str) -> "LayerSpec":
        if self.scheme not in SCHEMES:
            raise ValueError(f"{where}: scheme must be one of {SCHEMES}, got {self.scheme!r}")
        if self.granularity not in GRANULARITIES:
            raise ValueError(
                f"{where}: granularity must be one of {GRANULARITIES}, got {self.granularity!r}")
        if self.scheme != "float" and not (isinstance(self.bits, int) and 2 <= self.bits <= 16):
            raise ValueError(f"{where}: bits must be an integer in 2..16, got {self.bits!r}")
        if self.granularity == "block" and (self.block < 16 or self.block & (self.block - 1)):
            raise ValueError(f"{where}: block must be a power of two >= 16, got {self.block}")
        return self


@dataclass
class QuantConfig:
    """Per-layer specs, a default, and the activation bit width."""

    default: LayerSpec = field(default_factory=LayerSpec)
    layers: Dict[str, LayerSpec] = field(default_factory=dict)
    activation_bits: int = 8

    def spec_for(self, name: str) -> LayerSpec:
        """Spec of the first pattern matching ``name``, else the default."""
        for pattern, spec in self.layers.items():
            if fnmatch.fnmatchcase(name, pattern):
                return spec
        return self.default

    @staticmethod
    def from_dict(d: dict, source: str = "config") -> "QuantConfig":
        """Parse the JSON form; errors name ``source`` and the field."""
        if not isinstance(d, dict):
            raise ValueError(f"{source}: expected an object")
        unknown = set(d) - {"default", "layers", "activation_bits"}
        if unknown:
            raise ValueError(f"{source}: unknown field(s) {sorted(unknown)}")

        def spec(obj, where, base: LayerSpec) -> LayerSpec:
            if not isinstance(obj, dict):
                raise ValueError(f"{where}: expected an object")
            bad = set(obj) - {"bits", "scheme", "granularity", "block"}
            if bad:
                raise ValueError(f"{where}: unknown field(s) {sorted(bad)}")
            return replace(base, **obj).validate(where)

        default = spec(d.get("default", {}), f"{source}: default", LayerSpec())
        layers_raw = d.get("layers", {})
        if not isinstance(layers_raw, dict):
            raise ValueError(f"{source}: layers: expected an object")
        layers = {k: spec(v, f"{source}: layers.{k}", default) for k, v in layers_raw.items()}
        ab = d.get("activation_bits", 8)
        if not isinstance(ab, int) or not 2 <= ab <= 16:
            raise ValueError(f"{source}: activation_bits must be an integer in 2..16, got {ab!r}")
        return QuantConfig(default, layers, ab)

    @staticmethod
    def load(path: str) -> "QuantConfig":
        """Read the JSON form from a file."""
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise ValueError(f"{path}: {e}") from e
        return QuantConfig.from_dict(d, path)

    def to_dict(self) -> dict:
        return {"default": asdict(self.default),
                "layers": {k: asdict(v) for k, v in self.layers.items()},
                "activation_bits": self.activation_bits}


class _QMixin:
    spec: LayerSpec
    quant_enabled: bool

    def qweight(self) -> torch.Tensor:
        w = self.weight  # type: ignore[attr-defined]
        if not self.quant_enabled or self.spec.scheme == "float":
            return w
        return weight_fake_quant(w, self.spec.scheme, self.spec.bits, self.spec.granularity,
                                 self.spec.block)


class QConv(nn.Conv2d, _QMixin):
    """Conv2d whose weight is fake-quantized per its :class:`LayerSpec` when enabled."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = LayerSpec()
        self.quant_enabled = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.qweight(), self.bias)


class QDense(nn.Linear, _QMixin):
    """Linear layer whose weight is fake-quantized per its :class:`LayerSpec` when enabled."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = LayerSpec()
        self.quant_enabled = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.linear(x, self.qweight(), self.bias)


def quant_layers(model: nn.Module) -> Iterator[Tuple[str, nn.Module]]:
    """(name, module) of every QConv/QDense."""
    for name, m in model.named_modules():
        if isinstance(m, (QConv, QDense)):
            yield name, m


def apply_config(model: nn.Module, config: QuantConfig, enable: bool = True) -> List[str]:
    """Give every quantizable layer its spec; returns "name: bits scheme granularity" lines."""
    report = []
    for name, m in quant_layers(model):
        m.spec = config.spec_for(name)
        m.quant_enabled = enable
        report.append(f"{name}: {m.spec.bits} {m.spec.scheme} {m.spec.granularity}")
    for m in model.modules():
        if isinstance(m, ActivationQuant):
            m.bits = config.activation_bits
    return report


def set_activation_state(model: nn.Module, state: str) -> List[str]:
    """Put every ActivationQuant in ``state`` (observe | quant | frozen | off). When freezing,
    quantizers that never saw data (unused in the model's current mode) are switched off;
    their names are returned."""
    if state not in ("observe", "quant", "frozen", "off"):
        raise ValueError(f"unknown activation state {state!r}")
    unused = []
    for name, m in model.named_modules():
        if isinstance(m, ActivationQuant):
            if state == "frozen" and m.observer.count == 0:
                m.state = "off"
                unused.append(name)
            elif state == "frozen":
                m.freeze()
            else:
                m.state = state
    return unused


def freeze_all(model: nn.Module) -> List[str]:
    """Freeze every activation range (for the last QAT epochs and export); returns the names
    of unused quantizers that were switched off."""
    return set_activation_state(model, "frozen")
