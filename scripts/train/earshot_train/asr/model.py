"""The streaming phone CTC acoustic model of earshot's command ASR.

Input: the project's own MFCC frames (13 per 10 ms, scripts/features.ts = pipeline/mfcc.ts).
  1. normalization (training-set mean/std, baked into the model),
  2. Conv1d kernel 5, stride 2 -> 20 ms frames (learns deltas), BatchNorm, ReLU,
  3. causal dilated Conv1d k3 (dilation 1, 2, 4) + a pointwise Conv1d, BatchNorm, ReLU
     ("valid" convolutions: no right context, no padding),
  4. pointwise Conv1d to 40 labels (CTC blank + 39 ARPAbet phones), log-softmax.
BatchNorm folds into the convolutions at export, so the ONNX graph is Convs + Relus only,
which static INT8 PTQ turns into QLinearConv kernels.

Streaming contract (ONNX graph; metadata "context" and "stride"): feats [1, CONTEXT + 2m, 13],
where the first CONTEXT frames are the frames before the chunk (copies of the first frame at
the start of a stream); output logprobs [1, m, 40] for the 2m new frames. No hidden state:
the runtime keeps the last CONTEXT frames.
"""

import torch
from torch import nn
from torch.nn import functional as F

STRIDE = 2
DILATIONS = (1, 2, 4)
# Input frames before a chunk that the outputs still depend on.
CONTEXT = (5 - STRIDE) + STRIDE * sum(2 * d for d in DILATIONS)
NUM_LABELS = 40


class AsrNet(nn.Module):
    """first_kernel / stride: 5 / 2 on 10 ms MFCC; 1 / 1 on 20 ms speech-embedding frames
    (the head of EmbedAsrNet). `context`: input frames before a chunk that outputs depend on."""

    def __init__(self, n_in=13, channels=160, mean=None, std=None, dropout=0.0,
                 first_kernel=5, stride=STRIDE):
        super().__init__()
        self.stride = stride
        self.context = (first_kernel - stride) + stride * sum(2 * d for d in DILATIONS)
        # True after init_from_onnx: BatchNorm stays an identity (the ONNX weights have it
        # folded in) and is never put in training mode.
        self.frozen_bn = False
        # Training-only dropout after every hidden ReLU (no parameters: checkpoints and the
        # exported graph are the same with or without it).
        self.dropout = dropout
        self.register_buffer("mean", torch.zeros(n_in) if mean is None else mean.clone())
        self.register_buffer("inv_std", torch.ones(n_in) if std is None else 1.0 / std.clone())
        layers = [nn.Conv1d(n_in, channels, first_kernel, stride=stride),
                  nn.BatchNorm1d(channels), nn.ReLU()]
        for d in DILATIONS:
            layers += [nn.Conv1d(channels, channels, 3, dilation=d), nn.BatchNorm1d(channels),
                       nn.ReLU()]
        layers += [nn.Conv1d(channels, channels, 1), nn.BatchNorm1d(channels), nn.ReLU(),
                   nn.Conv1d(channels, NUM_LABELS, 1)]
        self.net = nn.Sequential(*layers)

    def train(self, mode=True):
        super().train(mode)
        if self.frozen_bn:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm1d):
                    m.eval()
        return self

    def init_from_onnx(self, path: str) -> None:
        """Load an exported fp32 model (BatchNorm folded into its Convs) for fine-tuning.

        The Convs of the graph map in order onto the Conv1d layers; every BatchNorm becomes a
        frozen identity, so the network computes exactly what the ONNX graph computes.

        Example: `net = AsrNet(channels=192); net.init_from_onnx("models/asr/mfcc/asr_fp32.onnx")`
        """
        import onnx
        from onnx import numpy_helper

        graph = onnx.load(path).graph
        init = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        convs = [n for n in graph.node if n.op_type == "Conv"]
        layers = [m for m in self.net if isinstance(m, nn.Conv1d)]
        if len(convs) != len(layers) or "mean" not in init or "inv_std" not in init:
            raise ValueError(f"{path}: not an AsrNet export ({len(convs)} Convs, expected "
                             f"{len(layers)}, and the mean/inv_std normalization)")
        with torch.no_grad():
            for node, conv in zip(convs, layers):
                w, b = init[node.input[1]], init[node.input[2]]
                if tuple(w.shape) != tuple(conv.weight.shape):
                    raise ValueError(f"{path}: Conv {node.input[1]} has shape {w.shape}, the "
                                     f"model expects {tuple(conv.weight.shape)} (--channels?)")
                conv.weight.copy_(torch.from_numpy(w.copy()))
                conv.bias.copy_(torch.from_numpy(b.copy()))
            self.mean.copy_(torch.from_numpy(init["mean"].copy()))
            self.inv_std.copy_(torch.from_numpy(init["inv_std"].copy()))
            for m in self.net:
                if isinstance(m, nn.BatchNorm1d):
                    m.reset_parameters()
                    m.eps = 0.0
                    m.weight.requires_grad_(False)
                    m.bias.requires_grad_(False)
        self.frozen_bn = True
        self.train(self.training)

    def forward(self, feats):
        x = ((feats - self.mean) * self.inv_std).transpose(1, 2)  # [B, F, T]
        for layer in self.net:
            x = layer(x)
            if self.dropout and self.training and isinstance(layer, nn.ReLU):
                x = F.dropout(x, self.dropout, True)
        y = x.transpose(1, 2)  # [B, m, 40]
        return torch.log_softmax(y, dim=-1)


class EmbedAsrNet(nn.Module):
    """The command model on the frozen speech embedding (scripts/train/earshot_train/asr/embed_front.py): mel
    frames [B, T, 32] (melspectrogram.onnx, mel / 10 + 2, 10 ms) -> the embedding's first 11
    conv blocks (576 values per 20 ms, frozen) -> an AsrNet head (first kernel 1, stride 1) ->
    log-probabilities [B, m, 40]. Streaming: EMBED_CONTEXT + 2 m mel frames -> m outputs."""

    def __init__(self, front, head):
        super().__init__()
        self.front = front
        self.head = head

    def forward(self, mel):
        return self.head(self.front(mel))


# Mel frames before a chunk: the front's 4 + 2 * (4 + 8) frames and the head's 14 (x 2).
EMBED_CONTEXT = 48


def embed_out_frames(t_in: int) -> int:
    """EmbedAsrNet output frames for t_in mel frames (including the EMBED_CONTEXT frames)."""
    return max(0, (t_in - EMBED_CONTEXT) // STRIDE)


def out_frames(t_in: int) -> int:
    """Output frames for t_in input frames (including the CONTEXT frames)."""
    return max(0, (t_in - CONTEXT) // STRIDE)
