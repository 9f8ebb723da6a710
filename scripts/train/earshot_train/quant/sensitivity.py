"""Per-layer sensitivity: the metric drop when only one layer is lowered to a bit width, and a
bit-width choice from that table (QUANTIZATION.md, "Mixed precision")."""
from __future__ import annotations

from dataclasses import replace
from typing import Callable, Dict, List, Sequence

from torch import nn

from .mixed import LayerSpec, quant_layers


def sensitivity_table(
    model: nn.Module,
    evaluate: Callable[[nn.Module], float],
    bits: Sequence[int] = (8, 4),
    base: LayerSpec = LayerSpec(scheme="float"),
    lowered: Callable[[str, int], LayerSpec] = lambda name, b: LayerSpec(bits=b),
) -> Dict[str, Dict[int, float]]:
    """For every quantizable layer and width, ``evaluate(model)`` with only that layer quantized
    (all others at ``base``); returns ``{layer: {bits: metric drop vs base}}`` (higher metric is
    better, so a positive drop means harm). Layer specs are restored afterwards."""
    layers = list(quant_layers(model))
    saved = [(m, m.spec, m.quant_enabled) for _, m in layers]
    try:
        for _, m in layers:
            m.spec, m.quant_enabled = base, base.scheme != "float"
        ref = evaluate(model)
        table: Dict[str, Dict[int, float]] = {}
        for name, m in layers:
            table[name] = {}
            for b in bits:
                m.spec, m.quant_enabled = lowered(name, b), True
                table[name][b] = ref - evaluate(model)
            m.spec, m.quant_enabled = base, base.scheme != "float"
        return table
    finally:
        for m, spec, en in saved:
            m.spec, m.quant_enabled = spec, en


def choose_bits(table: Dict[str, Dict[int, float]], max_drop: float) -> Dict[str, int]:
    """Lowest width per layer whose drop is at most ``max_drop`` (else the widest tried)."""
    out = {}
    for name, row in table.items():
        ok = [b for b, drop in row.items() if drop <= max_drop]
        out[name] = min(ok) if ok else max(row)
    return out


def format_table(table: Dict[str, Dict[int, float]], params: Dict[str, int] = None) -> str:
    """Markdown table of a sensitivity table (drop in points)."""
    widths = sorted({b for row in table.values() for b in row}, reverse=True)
    head = "| layer | params | " + " | ".join(f"{b}-bit drop" for b in widths) + " |"
    lines: List[str] = [head, "|" + "---|" * (2 + len(widths))]
    for name, row in table.items():
        p = str(params.get(name, "")) if params else ""
        cells = " | ".join(f"{row[b]:+.3f}" if b in row else "" for b in widths)
        lines.append(f"| {name} | {p} | {cells} |")
    return "\n".join(lines)
