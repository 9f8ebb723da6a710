"""The wake-word network: a small DS-CNN over ~1.2 s of MFCC, built from the toolkit's
quantizable layers, with feature normalization inside the model.

Input "mfcc" [B, T, 13] float32 (the pipeline's MFCC frames, oldest first); output "wake"
[B, 1] wake probability. Layout inside: [B, C, 1, T] (time on the last axis).
Export modes: "fp32"; "int8" (every conv and the dense layer int8 with uint8 activations);
"mixed4" (first conv and depthwise convs int8, pointwise convs and dense 4-bit MatMulNBits).
"""
from __future__ import annotations

import copy
from typing import List

import torch
from torch import nn

from earshot_train.quant import ActivationQuant, LayerSpec, QConv, QDense, QuantConfig
from earshot_train.quant.fake_quant import fake_quant_linear

INT8 = QuantConfig(default=LayerSpec(bits=8, scheme="linear_sym", granularity="channel"))
MIXED4 = QuantConfig(
    default=LayerSpec(bits=8, scheme="linear_sym", granularity="channel"),
    layers={"blocks.*.pw": LayerSpec(bits=4, scheme="linear_sym", granularity="block", block=16),
            "fc": LayerSpec(bits=4, scheme="linear_sym", granularity="block", block=16)},
)
CONFIGS = {"int8": INT8, "mixed4": MIXED4}


class Block(nn.Module):
    def __init__(self, c: int, k: int):
        super().__init__()
        self.dw = QConv(c, c, (1, k), padding=(0, k // 2), groups=c)
        self.bn1 = nn.BatchNorm2d(c)
        self.q1 = ActivationQuant(nonnegative=True)
        self.pw = QConv(c, c, 1)
        self.bn2 = nn.BatchNorm2d(c)
        self.q2 = ActivationQuant(nonnegative=True)

    def forward(self, x, quant_out: bool = True):
        x = self.q1(torch.relu(self.bn1(self.dw(x))))
        x = torch.relu(self.bn2(self.pw(x)))
        return self.q2(x) if quant_out else x


class WakeNet(nn.Module):
    """DS-CNN: conv(5, time stride ``stride``) -> N x [depthwise(k) + pointwise] -> mean over
    time -> dense."""

    def __init__(self, n_mfcc: int = 13, frames: int = 120, channels: int = 48, blocks: int = 4,
                 kernel: int = 9, stride: int = 2):
        super().__init__()
        self.n_mfcc, self.frames, self.channels = n_mfcc, frames, channels
        self.register_buffer("mean", torch.zeros(n_mfcc))
        self.register_buffer("inv_std", torch.ones(n_mfcc))
        self.q_in = ActivationQuant()
        self.conv1 = QConv(n_mfcc, channels, (1, 5), stride=(1, stride), padding=(0, 2))
        self.bn0 = nn.BatchNorm2d(channels)
        self.q0 = ActivationQuant(nonnegative=True)
        self.blocks = nn.ModuleList([Block(channels, kernel) for _ in range(blocks)])
        self.fc = QDense(channels, 1)
        self.q_out = ActivationQuant()
        self.mode = "fp32"

    def set_normalization(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.mean.copy_(mean)
        self.inv_std.copy_(1.0 / torch.clamp(std, min=1e-3))

    def logits(self, mfcc: torch.Tensor) -> torch.Tensor:
        x = (mfcc - self.mean) * self.inv_std
        x = self.q_in(x).transpose(1, 2).unsqueeze(2)  # [B, 13, 1, T]
        x = self.q0(torch.relu(self.bn0(self.conv1(x))))
        for i, b in enumerate(self.blocks):
            # mixed4: the last pointwise output stays float (4-bit MatMulNBits -> ReLU -> mean ->
            # 4-bit dense, no requantization round trip); int8 keeps it on the uint8 grid
            x = b(x, quant_out=self.mode != "mixed4" or i < len(self.blocks) - 1)
        pooled = x.mean(dim=(2, 3))
        if self.mode == "int8":  # QLinearGlobalAveragePool keeps the last activation's grid
            pooled = fake_quant_linear(pooled, self.blocks[-1].q2.params())
        if self.mode == "int8":  # QLinearMatMul output is quantized before the bias is added
            return self.q_out(nn.functional.linear(pooled, self.fc.qweight())) + self.fc.bias
        return self.fc(pooled)

    def forward(self, mfcc: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(mfcc))

    def activation_quants(self) -> List[ActivationQuant]:
        return [m for m in self.modules() if isinstance(m, ActivationQuant)]


def fold_bn(model: WakeNet) -> WakeNet:
    """A copy with every BatchNorm folded into the preceding conv (bias added), BN removed."""
    m = copy.deepcopy(model).eval()

    def fold(conv: QConv, bn: nn.BatchNorm2d):
        s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        w = conv.weight * s.reshape(-1, 1, 1, 1)
        b = (conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean))
        b = (b - bn.running_mean) * s + bn.bias
        conv.weight = nn.Parameter(w.detach().clone())
        conv.bias = nn.Parameter(b.detach().clone())

    with torch.no_grad():
        fold(m.conv1, m.bn0)
        m.bn0 = nn.Identity()
        for blk in m.blocks:
            fold(blk.dw, blk.bn1)
            fold(blk.pw, blk.bn2)
            blk.bn1, blk.bn2 = nn.Identity(), nn.Identity()
    return m


def count_params(model: nn.Module) -> dict:
    out = {}
    for name, mod in model.named_modules():
        if isinstance(mod, (QConv, QDense)):
            out[name] = mod.weight.numel() + (mod.bias.numel() if mod.bias is not None else 0)
    return out
