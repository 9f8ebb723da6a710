"""earshot quantization toolkit: linear and logarithmic quantizers, fake quantization with a
straight-through estimator, activation-range calibration, per-layer bit widths (mixed precision),
sensitivity tables and ONNX writers that store real low-bit weights.

Shared by the wake-word and command-ASR models. Pure numpy/torch; the
ONNX writers use onnx.helper only (no Python onnxruntime here: verify in onnxruntime-node).
"""
from .quantizers import (
    LinearParams,
    LogParams,
    linear_params,
    symmetric_params,
    linear_quantize,
    linear_dequantize,
    log_params,
    log_quantize,
    log_dequantize,
    pow2_params,
)
from .fake_quant import (
    FakeQuantLinear,
    FakeQuantLog,
    ActivationQuant,
    fake_quant_linear,
    fake_quant_log,
)
from .calibration import MinMaxObserver, PercentileObserver
from .mixed import LayerSpec, QuantConfig, QConv, QDense, quant_layers, apply_config, freeze_all
from .sensitivity import sensitivity_table, choose_bits, format_table

__all__ = [
    "LinearParams", "LogParams", "linear_params", "symmetric_params", "linear_quantize",
    "linear_dequantize", "log_params", "log_quantize", "log_dequantize", "pow2_params",
    "FakeQuantLinear", "FakeQuantLog", "ActivationQuant", "fake_quant_linear", "fake_quant_log",
    "MinMaxObserver", "PercentileObserver", "LayerSpec", "QuantConfig", "QConv", "QDense",
    "quant_layers", "apply_config", "freeze_all", "sensitivity_table", "choose_bits",
    "format_table",
]
