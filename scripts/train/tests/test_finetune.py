"""Unit tests of the fine-tuning and augmentation helpers of the command model recipe
(earshot_train.asr.model init_from_onnx, earshot_train.asr.render babble and voice_effects).

Run: PYTHONPATH=scripts/train /usr/bin/python3 -m unittest discover -s scripts/train/tests -t scripts/train
"""
import os
import random
import subprocess
import tempfile
import unittest

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
from earshot_train.asr.model import CONTEXT, AsrNet
from earshot_train.asr import render

MFCC_MODEL = os.path.join(HERE, "..", "..", "..", "models", "asr", "mfcc", "asr_fp32.onnx")


class InitFromOnnx(unittest.TestCase):
    def test_export_of_the_loaded_model_has_the_shipped_weights(self):
        import onnx
        from onnx import numpy_helper
        net = AsrNet(channels=192)
        net.init_from_onnx(MFCC_MODEL)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "re.onnx")
            net.eval()
            torch.onnx.export(net, (torch.zeros(1, CONTEXT + 16, 13),), path, opset_version=17,
                              do_constant_folding=True, input_names=["feats"],
                              output_names=["logprobs"])
            a = {i.name: numpy_helper.to_array(i) for i in onnx.load(MFCC_MODEL).graph.initializer}
            b = [numpy_helper.to_array(i) for i in onnx.load(path).graph.initializer]
        shipped = sorted(a.values(), key=lambda w: (w.shape, float(w.ravel()[0])))
        again = sorted(b, key=lambda w: (w.shape, float(w.ravel()[0])))
        self.assertEqual(len(shipped), len(again))
        for w0, w1 in zip(shipped, again):
            np.testing.assert_allclose(w0, w1, rtol=0, atol=1e-6)

    def test_batchnorm_stays_frozen_in_training(self):
        net = AsrNet(channels=192)
        net.init_from_onnx(MFCC_MODEL)
        net.train()
        bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm1d)]
        self.assertTrue(bns and all(not m.training for m in bns))
        before = [m.running_mean.clone() for m in bns]
        x = torch.randn(2, CONTEXT + 40, 13)
        net(x).sum().backward()
        for m, b in zip(bns, before):
            self.assertTrue(torch.equal(m.running_mean, b))
            self.assertIsNone(m.weight.grad)

    def test_wrong_width_is_named(self):
        with self.assertRaisesRegex(ValueError, "--channels"):
            AsrNet(channels=160).init_from_onnx(MFCC_MODEL)


class Augmentation(unittest.TestCase):
    def test_babble_is_unit_rms_and_changes_with_the_seed(self):
        rng = np.random.default_rng(1)
        pool = [rng.standard_normal(8000 + 1000 * i).astype(np.float32) for i in range(5)]
        a = render.babble(20000, np.random.default_rng(2), pool=pool)
        b = render.babble(20000, np.random.default_rng(3), pool=pool)
        self.assertEqual(a.shape, (20000,))
        self.assertAlmostEqual(float(np.sqrt(np.mean(a ** 2))), 1.0, places=3)
        self.assertFalse(np.allclose(a, b))

    def test_voice_effects_run_in_sox_on_8_and_16_khz_audio(self):
        rng = random.Random(4)
        with tempfile.TemporaryDirectory() as d:
            for sr in (8000, 16000):
                src, dst = os.path.join(d, f"a{sr}.wav"), os.path.join(d, f"b{sr}.wav")
                t = np.arange(sr) / sr
                render.write_wav(src, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), sr)
                for _ in range(5):
                    fx = render.voice_effects(rng)
                    subprocess.run(["sox", "-V1", "-G", src, dst] + fx, check=True)
                    y = render.read_wav(dst)
                    self.assertGreater(len(y), 0.6 * render.SR)
                    self.assertGreater(float(np.max(np.abs(y))), 0.01)

    def test_babble_dir_without_wavs_is_named(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaisesRegex(ValueError, d):
                render.load_babble(d)


if __name__ == "__main__":
    unittest.main()
