"""Fake quantization, straight-through gradients, calibration, mixed-precision config and the
sensitivity table."""
import json
import os
import tempfile
import unittest

import torch
from torch import nn

from earshot_train.quant import (
    ActivationQuant,
    LayerSpec,
    MinMaxObserver,
    PercentileObserver,
    QConv,
    QDense,
    QuantConfig,
    apply_config,
    choose_bits,
    fake_quant_linear,
    fake_quant_log,
    format_table,
    freeze_all,
    linear_params,
    log_params,
    sensitivity_table,
    symmetric_params,
)
from earshot_train.quant.fake_quant import fake_quant_blockwise, weight_fake_quant


class StraightThrough(unittest.TestCase):
    def test_linear_forward_is_quantized(self):
        p = linear_params(-7.0, 7.0, 4)
        y = fake_quant_linear(torch.tensor([3.2]), p)
        self.assertAlmostEqual(float(y), 3.2667, places=4)

    def test_linear_gradient_inside_passes_outside_zero(self):
        p = linear_params(-7.0, 7.0, 4)
        x = torch.tensor([-8.0, -7.0, -2.3, 0.0, 3.2, 7.0, 7.5, 100.0], requires_grad=True)
        y = fake_quant_linear(x, p)
        y.backward(torch.arange(1.0, 9.0))
        # gradient unchanged inside [-7, 7] (ends included), zero where clipped
        self.assertEqual(x.grad.tolist(), [0.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 0.0])

    def test_symmetric_gradient(self):
        p = symmetric_params(torch.tensor(1.4), 4)  # scale 0.2, range [-1.4, 1.4]
        x = torch.tensor([-1.5, -1.4, 0.33, 1.41], requires_grad=True)
        fake_quant_linear(x, p).sum().backward()
        self.assertEqual(x.grad.tolist(), [0.0, 1.0, 1.0, 0.0])

    def test_log_forward_and_gradient(self):
        p = log_params(0.1, 7.0, 4)
        x = torch.tensor([3.2, -3.2, 0.01, 8.0, -9.0], requires_grad=True)
        y = fake_quant_log(x, p)
        self.assertTrue(torch.allclose(y[:3], torch.tensor([3.8150, -3.8150, 0.0]), atol=1e-3))
        self.assertAlmostEqual(float(y[3]), 7.0, places=4)
        y.sum().backward()
        # inside |x| <= b the gradient passes (also below a); beyond b it is zero
        self.assertEqual(x.grad.tolist(), [1.0, 1.0, 1.0, 0.0, 0.0])

    def test_blockwise_gradient_passes(self):
        w = torch.randn(4, 32, requires_grad=True)
        y = fake_quant_blockwise(w, 4, 16)
        self.assertLessEqual(len(torch.unique(y.detach()[0, :16])), 15)
        y.sum().backward()
        self.assertTrue(torch.equal(w.grad, torch.ones_like(w)))

    def test_trains_through_fake_quant(self):
        # A 4-bit weight still learns a target through the STE.
        torch.manual_seed(0)
        layer = QDense(8, 1)
        apply_config(layer, QuantConfig(default=LayerSpec(bits=4, granularity="tensor")))
        x = torch.randn(256, 8)
        target = x @ torch.linspace(-1, 1, 8).unsqueeze(1)
        opt = torch.optim.Adam(layer.parameters(), lr=0.05)
        first = None
        for _ in range(200):
            loss = ((layer(x) - target) ** 2).mean()
            first = first if first is not None else float(loss)
            opt.zero_grad()
            loss.backward()
            opt.step()
        self.assertLess(float(loss), first * 0.1)


class Calibration(unittest.TestCase):
    def test_minmax_running(self):
        o = MinMaxObserver()
        o.observe(torch.tensor([0.0, 2.0]))
        o.observe(torch.tensor([-1.0, 1.0]))
        self.assertEqual(o.range(), (-1.0, 2.0))

    def test_minmax_ema(self):
        o = MinMaxObserver(momentum=0.5)
        o.observe(torch.tensor([0.0, 2.0]))
        o.observe(torch.tensor([-1.0, 4.0]))
        self.assertEqual(o.range(), (-0.5, 3.0))

    def test_percentile_clips_outlier(self):
        o = PercentileObserver(percentile=99.0)
        x = torch.cat([torch.linspace(0, 1, 10001), torch.tensor([1000.0])])
        o.observe(x)
        lo, hi = o.range()
        self.assertLess(hi, 1.01)
        self.assertAlmostEqual(lo, 0.01, places=2)

    def test_no_data_is_an_error(self):
        with self.assertRaisesRegex(RuntimeError, "no data"):
            MinMaxObserver().range()
        with self.assertRaisesRegex(RuntimeError, "no calibration data"):
            ActivationQuant().freeze()

    def test_activation_states(self):
        aq = ActivationQuant(bits=8, nonnegative=True)
        aq.train()
        x = torch.tensor([0.0, 0.5, 2.55])
        self.assertTrue(torch.equal(aq(x), x))  # observe: pass-through
        self.assertAlmostEqual(float(aq.range_max), 2.55, places=6)
        aq.state = "quant"
        aq(torch.tensor([5.1]))  # still observing while training
        self.assertAlmostEqual(float(aq.range_max), 5.1, places=6)
        aq.freeze()
        y = aq(torch.tensor([100.0, 1.0, -3.0]))  # frozen: range stays [0, 5.1], step 0.02
        self.assertAlmostEqual(float(aq.range_max), 5.1, places=6)
        self.assertTrue(torch.allclose(y, torch.tensor([5.1, 1.0, 0.0]), atol=1e-6))
        p = aq.params()
        self.assertEqual(float(p.zero_point), 0.0)
        self.assertAlmostEqual(float(p.scale), 0.02, places=7)


class MixedPrecision(unittest.TestCase):
    def make(self):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = QConv(1, 4, (1, 3))
                self.pw = QConv(4, 32, 1)
                self.fc = QDense(32, 2)

            def forward(self, x):
                h = self.pw(torch.relu(self.conv1(x)))
                return self.fc(h.mean(dim=(2, 3)))

        torch.manual_seed(1)
        return Net()

    def test_config_assigns_widths(self):
        cfg = QuantConfig.from_dict({
            "default": {"bits": 8},
            "layers": {"pw": {"bits": 4, "granularity": "block", "block": 16},
                       "f*": {"bits": 4, "scheme": "log", "granularity": "tensor"}},
            "activation_bits": 8,
        })
        net = self.make()
        report = apply_config(net, cfg)
        self.assertEqual(report, ["conv1: 8 linear_sym channel", "pw: 4 linear_sym block",
                                  "fc: 4 log tensor"])
        # The 4-bit blockwise weight of pw has at most 15 levels per block.
        wq = net.pw.qweight().detach().reshape(32, 4)
        self.assertLessEqual(len(torch.unique(wq[0])), 4)
        self.assertLessEqual(len(torch.unique(net.fc.qweight().detach().abs())), 8)

    def test_config_file_and_errors(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "q.json")
            with open(path, "w") as f:
                json.dump({"layers": {"pw": {"bits": 3}}}, f)
            self.assertEqual(QuantConfig.load(path).spec_for("pw").bits, 3)
            with open(path, "w") as f:
                f.write("{nope")
            with self.assertRaisesRegex(ValueError, "q.json"):
                QuantConfig.load(path)
        with self.assertRaisesRegex(ValueError, r"layers.pw: bits"):
            QuantConfig.from_dict({"layers": {"pw": {"bits": 1}}})
        with self.assertRaisesRegex(ValueError, "unknown field"):
            QuantConfig.from_dict({"layers": {"pw": {"bitz": 4}}})
        with self.assertRaisesRegex(ValueError, "block must be a power of two"):
            QuantConfig.from_dict({"default": {"granularity": "block", "block": 24}})
        with self.assertRaisesRegex(ValueError, "scheme"):
            QuantConfig.from_dict({"default": {"scheme": "ternary"}})

    def test_weight_schemes(self):
        w = torch.tensor([[0.9, -0.3, 0.05, 0.0]])
        self.assertTrue(torch.equal(weight_fake_quant(w, "float", 4, "tensor"), w))
        pw2 = weight_fake_quant(w, "pow2", 4, "tensor")
        self.assertTrue(torch.allclose(pw2, torch.tensor([[1.0, -0.25, 0.0625, 0.0]])))

    def test_sensitivity_table(self):
        net = self.make()
        x = torch.randn(16, 1, 1, 8)
        ref = net(x).detach()

        def evaluate(m):  # higher is better: negative error to the float output
            return -float(((m(x) - ref) ** 2).mean())

        table = sensitivity_table(net, evaluate, bits=(8, 2))
        self.assertEqual(set(table), {"conv1", "pw", "fc"})
        for row in table.values():
            self.assertGreaterEqual(row[2], row[8])  # 2-bit hurts at least as much as 8-bit
            self.assertGreaterEqual(row[8], 0.0)
        choice = choose_bits(table, max_drop=1e-3)
        self.assertTrue(all(b in (8, 2) for b in choice.values()))
        self.assertIn("| conv1 |", format_table(table))
        # specs are restored
        self.assertFalse(net.pw.quant_enabled)

    def test_freeze_all(self):
        net = nn.Sequential(ActivationQuant(), ActivationQuant())
        net(torch.randn(4))
        freeze_all(net)
        self.assertTrue(all(m.state == "frozen" for m in net))


if __name__ == "__main__":
    unittest.main()
