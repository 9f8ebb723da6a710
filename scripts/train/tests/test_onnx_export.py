"""ONNX writers: nibble packing, MatMulNBits weight layout, int8 QLinearConv initializers."""
import unittest

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from earshot_train.quant.onnx_export import (
    GraphBuilder,
    matmul_nbits,
    matmul_nbits_weights,
    pack_nibbles,
    qlinear_conv,
    quantize_weight_int8_per_channel,
    weight_bits_report,
)


class Nibbles(unittest.TestCase):
    def test_low_nibble_first(self):
        self.assertEqual(pack_nibbles(np.array([1, 2, 15, 0])).tolist(), [0x21, 0x0F])

    def test_odd_length_is_an_error(self):
        with self.assertRaisesRegex(ValueError, "even"):
            pack_nibbles(np.array([1, 2, 3]))


class MatMulNBitsLayout(unittest.TestCase):
    def test_hand_computed_block(self):
        # One output row, K = 16, one block: max |w| = 7 -> scale 1, codes = w, stored w + 8.
        w = np.arange(-7, 9, dtype=np.float32).reshape(1, 16)
        w[0, 15] = 0.0
        packed, scales, deq = matmul_nbits_weights(w, 16)
        self.assertEqual(packed.shape, (1, 1, 8))
        self.assertEqual(scales.tolist(), [[1.0]])
        stored = np.stack([packed[0, 0] & 0xF, packed[0, 0] >> 4], axis=1).reshape(-1)
        self.assertEqual(stored.tolist(), [int(v) + 8 for v in w[0]])
        np.testing.assert_allclose(deq, w)

    def test_padding_and_scales(self):
        rng = np.random.default_rng(0)
        w = rng.standard_normal((3, 40)).astype(np.float32)  # K = 40 -> 3 blocks of 16
        packed, scales, deq = matmul_nbits_weights(w, 16)
        self.assertEqual(packed.shape, (3, 3, 8))
        self.assertEqual(scales.shape, (3, 3))
        np.testing.assert_allclose(scales[:, 0], np.abs(w[:, :16]).max(axis=1) / 7, rtol=1e-6)
        self.assertLessEqual(float(np.abs(deq - w).max()), float(scales.max()) / 2 + 1e-6)

    def test_graph_stores_uint8_nibbles(self):
        g = GraphBuilder()
        y = matmul_nbits(g, "x", np.ones((4, 32), np.float32), 16)
        g.nodes.append(helper.make_node("Identity", [y], ["y"]))
        m = g.model([helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 32])],
                    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
                    ms_opset=True)
        node = m.graph.node[0]
        self.assertEqual((node.op_type, node.domain), ("MatMulNBits", "com.microsoft"))
        attrs = {a.name: a.i for a in node.attribute}
        self.assertEqual((attrs["K"], attrs["N"], attrs["bits"], attrs["block_size"]),
                         (32, 4, 4, 16))
        self.assertEqual(weight_bits_report(m), {"UINT8": 4 * 2 * 8, "FLOAT": 4 * 2 * 4})

    def test_bias_is_the_sixth_input(self):
        g = GraphBuilder()
        b = np.array([0.5, -1.0, 2.0, 0.0], np.float32)
        y = matmul_nbits(g, "x", np.ones((4, 32), np.float32), 16, bias=b)
        node = g.nodes[0]
        self.assertEqual(len(node.input), 6)
        self.assertEqual(list(node.input[3:5]), ["", ""])  # no zero points, no g_idx
        init = {t.name: t for t in g.inits}
        np.testing.assert_array_equal(numpy_helper.to_array(init[node.input[5]]), b)
        self.assertEqual(y, node.output[0])
        with self.assertRaisesRegex(ValueError, "bias shape"):
            matmul_nbits(g, "x", np.ones((4, 32), np.float32), 16, bias=np.zeros(3, np.float32))


class QLinearConvInit(unittest.TestCase):
    def test_int8_per_channel_and_int32_bias(self):
        w = np.array([[[[1.27, -0.5]]], [[[0.1, 0.2]]]], np.float32)  # [2, 1, 1, 2]
        q, s = quantize_weight_int8_per_channel(w)
        np.testing.assert_allclose(s, [0.01, 0.2 / 127], rtol=1e-6)
        self.assertEqual(q[0, 0, 0].tolist(), [127, -50])
        g = GraphBuilder()
        qlinear_conv(g, "x", 0.5, 3, w, np.array([1.0, -0.25], np.float32), 0.1, 0,
                     kernel_shape=[1, 2])
        bias = [t for t in g.inits if t.name.startswith("b_q")][0]
        # bias / (x_scale * w_scale): 1 / 0.005 = 200, -0.25 / (0.5 * 0.2 / 127) = -317.5 -> -318
        self.assertEqual(list(bias.int32_data) or np.frombuffer(bias.raw_data, np.int32).tolist(),
                         [200, -318])


if __name__ == "__main__":
    unittest.main()
