"""The speech-embedding front end of the command model: the torch port of the npm package's
embedding_model.onnx, its frame arithmetic and causality, and the head's streaming contract."""

import os
import tempfile
import unittest

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

from earshot_train.asr.embed_front import SRC, SpeechEmbeddingFront
from earshot_train.asr.model import EMBED_CONTEXT, AsrNet, EmbedAsrNet, embed_out_frames


class FrontEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(SRC):
            raise RuntimeError(f"{SRC}: missing (run `deno install`)")
        cls.front = SpeechEmbeddingFront.from_onnx(SRC, cut=10).eval()

    def test_576_values_per_20_ms(self):
        with torch.no_grad():
            y = self.front(torch.randn(2, 100, 32))
        self.assertEqual(tuple(y.shape), (2, SpeechEmbeddingFront.frames_out(100), 576))
        self.assertEqual(SpeechEmbeddingFront.frames_out(100), 40)
        self.assertEqual(self.front.out_dim, 576)

    def test_frame_i_sees_mel_frames_2i_to_2i_plus_21_only(self):
        x = torch.randn(1, 120, 32)
        with torch.no_grad():
            y = self.front(x)
            i = 20
            z = x.clone()
            z[0, : 2 * i] += 3.0  # before the window
            z[0, 2 * i + 22:] += 3.0  # after the window
            y2 = self.front(z)
        self.assertTrue(torch.equal(y[0, i], y2[0, i]))
        self.assertFalse(torch.equal(y[0, i + 1], y2[0, i + 1]))
        self.assertFalse(torch.equal(y[0, i - 1], y2[0, i - 1]))

    def test_frozen(self):
        self.assertTrue(all(not p.requires_grad for p in self.front.parameters()))

    def test_whole_network_gives_96_dim_embedding(self):
        full = SpeechEmbeddingFront.from_onnx(SRC).eval()
        with torch.no_grad():
            self.assertEqual(tuple(full(torch.zeros(1, 76, 32)).shape), (1, 1, 96))


class Streaming(unittest.TestCase):
    def test_chunks_with_context_give_what_one_run_gives(self):
        if not os.path.exists(SRC):
            raise RuntimeError(f"{SRC}: missing (run `deno install`)")
        torch.manual_seed(0)
        front = SpeechEmbeddingFront.from_onnx(SRC, cut=10).eval()
        head = AsrNet(n_in=576, channels=32, first_kernel=1, stride=1).eval()
        net = EmbedAsrNet(front, head).eval()
        mel = torch.randn(1, EMBED_CONTEXT + 40, 32)
        with torch.no_grad():
            whole = net(mel)
            self.assertEqual(whole.shape[1], embed_out_frames(mel.shape[1]))
            # Two chunks of 20 new frames, each with the EMBED_CONTEXT frames before it.
            a = net(mel[:, : EMBED_CONTEXT + 20])
            b = net(mel[:, 20:])
        self.assertEqual(a.shape[1] + b.shape[1], whole.shape[1])
        self.assertTrue(torch.allclose(torch.cat([a, b], 1), whole, atol=1e-4))


class BadGraphs(unittest.TestCase):
    def _graph(self, nodes, inits):
        g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", 1, [1, 1, 8, 8])],
                              [helper.make_tensor_value_info("y", 1, None)], inits)
        d = tempfile.mkdtemp()
        p = os.path.join(d, "m.onnx")
        onnx.save(helper.make_model(g), p)
        return p

    def test_unexpected_op_is_an_error_naming_the_file(self):
        p = self._graph([helper.make_node("Sigmoid", ["x"], ["y"])], [])
        with self.assertRaisesRegex(ValueError, "m.onnx: unexpected op Sigmoid"):
            SpeechEmbeddingFront.from_onnx(p)

    def test_other_leaky_relu_slope_is_refused(self):
        p = self._graph([helper.make_node("LeakyRelu", ["x"], ["y"], alpha=0.1)], [])
        with self.assertRaisesRegex(ValueError, "alpha"):
            SpeechEmbeddingFront.from_onnx(p)

    def test_other_clamp_is_refused(self):
        c = numpy_helper.from_array(np.array([[[[-1.0]]]], np.float32), "c")
        p = self._graph([helper.make_node("Max", ["x", "c"], ["y"])], [c])
        with self.assertRaisesRegex(ValueError, "Max constant"):
            SpeechEmbeddingFront.from_onnx(p)


if __name__ == "__main__":
    unittest.main()
