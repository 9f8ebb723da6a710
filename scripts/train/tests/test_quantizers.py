"""Quantizer tests: the worked examples of docs/quantization.md and hand-computed cases."""
import math
import unittest

import torch

from earshot_train.quant.quantizers import (
    blockwise_dequantize,
    blockwise_symmetric,
    linear_dequantize,
    linear_params,
    linear_params_from_tensor,
    linear_quantize,
    log_dequantize,
    log_index,
    log_params,
    log_quantize,
    pow2_params,
    symmetric_params,
)


class LinearWorkedExample(unittest.TestCase):
    """n = 4, range [-7, 7], x = 3.2 -> q = 11, x' = 3.2667 (not the q = 7 of a popular write-up)."""

    def setUp(self):
        self.p = linear_params(-7.0, 7.0, 4)

    def test_step(self):
        self.assertAlmostEqual(float(self.p.scale), 14 / 15, places=6)
        self.assertAlmostEqual(float(self.p.scale), 0.9333, places=4)

    def test_code_and_value(self):
        q = linear_quantize(3.2, self.p)
        self.assertEqual(float(q), 11.0)
        self.assertNotEqual(float(q), 7.0)
        x = linear_dequantize(q, self.p)
        self.assertAlmostEqual(float(x), -7 + 11 * 14 / 15, places=5)
        self.assertAlmostEqual(float(x), 3.2667, places=4)
        self.assertAlmostEqual(abs(float(x) - 3.2), 0.067, places=3)

    def test_raw_ratio(self):
        self.assertAlmostEqual((3.2 + 7) / float(self.p.scale), 10.93, places=2)

    def test_ends_and_clipping(self):
        q = linear_quantize(torch.tensor([-7.0, 7.0, -100.0, 100.0]), self.p)
        self.assertEqual(q.tolist(), [0.0, 15.0, 0.0, 15.0])


class LinearHandComputed(unittest.TestCase):
    def test_asymmetric_8bit_integer_zero_point(self):
        # [-1, 3]: scale = 4/255, zero point = round(1 / (4/255)) = round(63.75) = 64.
        p = linear_params(-1.0, 3.0, 8, integer_zero_point=True)
        self.assertAlmostEqual(float(p.scale), 4 / 255, places=7)
        self.assertEqual(float(p.zero_point), 64.0)
        # 0.0 is exact with an integer zero point.
        self.assertEqual(float(linear_dequantize(linear_quantize(0.0, p), p)), 0.0)
        # 1.0 / (4/255) = 63.75 -> 64, + 64 = 128; back: 64 * 4/255 = 1.00392.
        self.assertEqual(float(linear_quantize(1.0, p)), 128.0)
        self.assertAlmostEqual(float(linear_dequantize(128.0, p)), 256 / 255, places=5)

    def test_integer_zero_point_range_includes_zero(self):
        # [2, 5] (all positive) widens to [0, 5]: zero point 0, scale 5/15.
        p = linear_params(2.0, 5.0, 4, integer_zero_point=True)
        self.assertEqual(float(p.zero_point), 0.0)
        self.assertAlmostEqual(float(p.scale), 1 / 3, places=6)

    def test_symmetric_narrow_range(self):
        # max|x| = 2.8, n = 4: scale = 2.8 / 7 = 0.4; codes -7..7.
        x = torch.tensor([-2.8, -1.0, 0.0, 0.5, 2.8])
        p = symmetric_params(x, 4)
        self.assertAlmostEqual(float(p.scale), 0.4, places=6)
        self.assertEqual((p.qmin, p.qmax), (-7, 7))
        q = linear_quantize(x, p)
        # -1.0/0.4 = -2.5 -> -2 (half to even), 0.5/0.4 = 1.25 -> 1
        self.assertEqual(q.tolist(), [-7.0, -2.0, 0.0, 1.0, 7.0])
        self.assertTrue(torch.allclose(linear_dequantize(q, p),
                                       torch.tensor([-2.8, -0.8, 0.0, 0.4, 2.8])))
        self.assertEqual(float(linear_quantize(10.0, p)), 7.0)
        self.assertEqual(float(linear_quantize(-10.0, p)), -7.0)

    def test_symmetric_8bit(self):
        p = symmetric_params(torch.tensor([1.27, -0.5]), 8)
        self.assertAlmostEqual(float(p.scale), 0.01, places=7)
        self.assertEqual(float(linear_quantize(-0.5, p)), -50.0)
        self.assertEqual((p.qmin, p.qmax), (-127, 127))

    def test_per_channel(self):
        w = torch.tensor([[1.0, -0.6], [0.0, 14.0]])
        p = symmetric_params(w, 4, axis=0)
        self.assertEqual(tuple(p.scale.shape), (2, 1))
        self.assertTrue(torch.allclose(p.scale.reshape(-1), torch.tensor([1 / 7, 2.0])))
        q = linear_quantize(w, p)
        self.assertEqual(q.tolist(), [[7.0, -4.0], [0.0, 7.0]])  # -0.6 * 7 = -4.2 -> -4

    def test_per_channel_asymmetric(self):
        x = torch.tensor([[0.0, 15.0], [-1.1, 1.9]])
        p = linear_params_from_tensor(x, 4, axis=0)
        self.assertTrue(torch.allclose(p.scale.reshape(-1), torch.tensor([1.0, 0.2])))
        self.assertEqual(p.zero_point.reshape(-1).tolist(), [0.0, 6.0])  # 1.1 / 0.2 = 5.5 -> 6

    def test_blockwise(self):
        w = torch.tensor([[1.0, -7.0, 0.5, 0.25, 3.0, 1.0]])
        q, s = blockwise_symmetric(w, 4, 4)  # blocks [1,-7,.5,.25] and [3,1,pad,pad]
        self.assertTrue(torch.allclose(s, torch.tensor([[1.0, 3 / 7]])))
        self.assertEqual(q.tolist(), [[1.0, -7.0, 0.0, 0.0, 7.0, 2.0]])
        self.assertTrue(torch.allclose(blockwise_dequantize(q, s, 4),
                                       torch.tensor([[1.0, -7.0, 0.0, 0.0, 3.0, 6 / 7]])))

    def test_bad_input(self):
        with self.assertRaisesRegex(ValueError, "x_max must be >= x_min"):
            linear_params(1.0, -1.0, 8)
        with self.assertRaisesRegex(ValueError, "bits"):
            linear_params(0.0, 1.0, 1)
        with self.assertRaisesRegex(ValueError, "2-D"):
            blockwise_symmetric(torch.zeros(2, 2, 2), 4, 16)


class LogWorkedExample(unittest.TestCase):
    """n = 4, magnitudes [0.1, 7], x = 3.2 -> D_log = 0.6069, index 5.710 -> q = 6, x' = 3.815."""

    def setUp(self):
        self.p = log_params(0.1, 7.0, 4)

    def test_step(self):
        self.assertAlmostEqual(self.p.d_log, (math.log(7) - math.log(0.1)) / 7, places=9)
        self.assertAlmostEqual(self.p.d_log, 0.6069, places=4)

    def test_code_and_value(self):
        self.assertAlmostEqual(float(log_index(3.2, self.p)), 5.710, places=3)
        q = log_quantize(3.2, self.p)
        self.assertEqual(float(q), 6.0)
        x = log_dequantize(q, self.p)
        self.assertAlmostEqual(float(x), math.exp(math.log(0.1) + 6 * self.p.d_log), places=5)
        self.assertAlmostEqual(float(x), 3.815, places=3)

    def test_sign_kept(self):
        self.assertEqual(float(log_quantize(-3.2, self.p)), -6.0)
        self.assertAlmostEqual(float(log_dequantize(-6.0, self.p)), -3.815, places=3)

    def test_zero_code(self):
        q = log_quantize(torch.tensor([0.0, 0.05, -0.0999, 0.1, 7.0, 100.0, -100.0]), self.p)
        self.assertEqual(q.tolist(), [0.0, 0.0, 0.0, 1.0, 7.0, 7.0, -7.0])
        self.assertEqual(float(log_dequantize(0.0, self.p)), 0.0)

    def test_relative_precision(self):
        # Small values keep more relative precision than under the linear quantizer of the
        # same range; large values less.
        lin = linear_params(-7.0, 7.0, 4)

        def rel_err_lin(v):
            return abs(float(linear_dequantize(linear_quantize(v, lin), lin)) - v) / v

        def rel_err_log(v):
            return abs(float(log_dequantize(log_quantize(v, self.p), self.p)) - v) / v

        self.assertLess(rel_err_log(0.3), rel_err_lin(0.3))
        self.assertGreater(rel_err_log(3.2), rel_err_lin(3.2))

    def test_bad_range(self):
        with self.assertRaisesRegex(ValueError, "0 < a < b"):
            log_params(0.0, 1.0, 4)
        with self.assertRaisesRegex(ValueError, "0 < a < b"):
            log_params(2.0, 1.0, 4)


class PowerOfTwo(unittest.TestCase):
    def test_levels_are_powers_of_two(self):
        p = pow2_params(3.0, 4)  # round(log2 3) = 2 -> b = 4, a = 4 / 2^7 = 1/32
        self.assertEqual((p.a, p.b), (1 / 32, 4.0))
        self.assertAlmostEqual(p.d_log, math.log(2), places=12)
        for k in range(1, 8):
            v = float(log_dequantize(float(k), p))
            self.assertAlmostEqual(math.log2(v), round(math.log2(v)), places=5)
        # 3.0 is between 2 and 4: log2 3 = 1.585 -> rounds (on the log scale) to 2 -> 4.0
        self.assertEqual(float(log_dequantize(log_quantize(3.0, p), p)), 4.0)
        self.assertEqual(float(log_dequantize(log_quantize(-0.3, p), p)), -0.25)


if __name__ == "__main__":
    unittest.main()
