"""The streaming phone CTC acoustic model of earshot's command ASR.

Input: the project's own MFCC frames (13 per 10 ms, scripts/features.ts = pipeline/mfcc.ts).
  1. normalization (training-set mean/std, baked into the model),
  2. Conv1d kernel 5, stride 2 (20 ms output frames; learns deltas), ReLU,
  3. unidirectional LSTM layers with explicit state in/out (streaming),
  4. Linear to 40 labels (CTC blank + 39 ARPAbet phones), log-softmax.

Streaming contract (ONNX graph "asr"): feats [1, 2m + 3, 13] where the first CONTEXT = 3
frames are the last 3 frames of the previous chunk (or copies of the first frame at the
start of an utterance), h0/c0 [layers, 1, hidden]; outputs logprobs [1, m, 40] and hn/cn.
"""

import torch
from torch import nn

KERNEL = 5
STRIDE = 2
CONTEXT = KERNEL - STRIDE  # frames carried over from the previous chunk
NUM_LABELS = 40


class AsrNet(nn.Module):
    def __init__(self, n_in=13, conv=160, hidden=160, layers=2, mean=None, std=None):
        super().__init__()
        self.hidden = hidden
        self.layers = layers
        self.register_buffer("mean", torch.zeros(n_in) if mean is None else mean.clone())
        self.register_buffer("inv_std", torch.ones(n_in) if std is None else 1.0 / std.clone())
        self.conv = nn.Conv1d(n_in, conv, KERNEL, stride=STRIDE)
        self.lstm = nn.LSTM(conv, hidden, num_layers=layers, batch_first=True)
        self.out = nn.Linear(hidden, NUM_LABELS)

    def forward(self, feats, h0, c0):
        x = (feats - self.mean) * self.inv_std  # [B, T, F]
        x = torch.relu(self.conv(x.transpose(1, 2))).transpose(1, 2)  # [B, m, C]
        y, (hn, cn) = self.lstm(x, (h0, c0))
        return torch.log_softmax(self.out(y), dim=-1), hn, cn

    def zero_state(self, batch=1):
        z = torch.zeros(self.layers, batch, self.hidden)
        return z, z.clone()


def out_frames(t_in: int) -> int:
    """Output frames for t_in input frames (including the CONTEXT frames)."""
    return max(0, (t_in - KERNEL) // STRIDE + 1)
