"""Unit tests of unsigned_weights (scripts/train/earshot_train/quant/portable.py): int8 weights
stored as uint8 + 128 keep every weight minus zero point, for each integer op the toolkit writes.

onnxruntime checks of the shipped models: tests/models/portable_weights_test.ts.
"""
import doctest
import os
import tempfile
import unittest

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from earshot_train.quant import portable
from earshot_train.quant.onnx_export import GraphBuilder, qlinear_conv
from earshot_train.quant.portable import main, unsigned_weights
from earshot_train.quant.ptq import (
    quantize_conv_static,
    quantize_lstm_dynamic,
    quantize_matmul_dynamic,
)
from tests.test_ptq import conv_model, inits, lstm_model, matmul_model


def centred(m, op, wi, zi):
    """(weight - zero point) of every `op` node's weight input, as int arrays."""
    i = inits(m)
    out = []
    for n in m.graph.node:
        if n.op_type == op and n.input[wi] in i:
            w = i[n.input[wi]].astype(np.int32)
            z = i[n.input[zi]] if zi < len(n.input) and n.input[zi] else np.zeros(1)
            zs = np.unique(z)  # the writers' zero points are one value (0, or 128 after)
            assert len(zs) == 1, zs
            out.append((i[n.input[wi]].dtype, w - int(zs[0])))
    return out


class UnsignedWeightsTest(unittest.TestCase):
    def test_qdq_conv_weights_keep_their_codes(self):
        m = conv_model()
        quantize_conv_static(m, "conv1", (-3.0, 3.0), (0.0, 6.0))
        quantize_conv_static(m, "conv2", None, (-10.0, 10.0))
        before = centred(m, "DequantizeLinear", 0, 2)
        self.assertEqual(unsigned_weights(m), 2)
        onnx.checker.check_model(m)
        after = centred(m, "DequantizeLinear", 0, 2)
        self.assertEqual(len(before), len(after))
        for (dt0, a), (dt1, b) in zip(before, after):
            np.testing.assert_array_equal(a, b)
            if dt0 == np.int8:
                self.assertEqual(dt1, np.uint8)
            else:  # activations' and biases' DQ inputs are not weights: untouched
                self.assertEqual(dt0, dt1)
        types = {t.data_type for t in m.graph.initializer}
        self.assertNotIn(TensorProto.INT8, types)

    def test_qlinear_conv(self):
        g = GraphBuilder()
        w = np.random.default_rng(2).standard_normal((3, 2, 3)).astype(np.float32)
        y = qlinear_conv(g, "x", 0.1, 128, w, np.zeros(3, np.float32), 0.2, 0)
        m = g.model([helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 2, 8])],
                    [helper.make_tensor_value_info(y, TensorProto.UINT8, [1, 3, 6])], opset=17)
        before = centred(m, "QLinearConv", 3, 5)
        self.assertEqual(unsigned_weights(m), 1)
        after = centred(m, "QLinearConv", 3, 5)
        np.testing.assert_array_equal(before[0][1], after[0][1])
        self.assertEqual(after[0][0], np.uint8)
        zp = inits(m)[next(n for n in m.graph.node if n.op_type == "QLinearConv").input[5]]
        self.assertEqual(zp.dtype, np.uint8)
        self.assertTrue((zp == 128).all())

    def test_matmul_integer_and_lstm(self):
        rng = np.random.default_rng(1)
        m = matmul_model(rng.standard_normal((6, 4)).astype(np.float32))
        quantize_matmul_dynamic(m, "mm")
        before = centred(m, "MatMulInteger", 1, 3)
        self.assertEqual(unsigned_weights(m), 1)
        onnx.checker.check_model(m)
        after = centred(m, "MatMulInteger", 1, 3)
        np.testing.assert_array_equal(before[0][1], after[0][1])

        rng = np.random.default_rng(3)
        hid, inp = 2, 3
        m = lstm_model(rng.standard_normal((1, 4 * hid, inp)).astype(np.float32),
                       rng.standard_normal((1, 4 * hid, hid)).astype(np.float32))
        quantize_lstm_dynamic(m, "lstm")
        before = [centred(m, "DynamicQuantizeLSTM", wi, zi) for wi, zi in ((1, 9), (2, 11))]
        self.assertEqual(unsigned_weights(m), 2)
        after = [centred(m, "DynamicQuantizeLSTM", wi, zi) for wi, zi in ((1, 9), (2, 11))]
        for b, a in zip(before, after):
            np.testing.assert_array_equal(b[0][1], a[0][1])
            self.assertEqual(a[0][0], np.uint8)

    def test_left_alone_nonzero_zero_point_float_and_twice(self):
        w = numpy_helper.from_array(np.array([1, 2], np.int8), "w")
        z = numpy_helper.from_array(np.array(3, np.int8), "z")
        s = numpy_helper.from_array(np.array(1.0, np.float32), "s")
        g = helper.make_graph([helper.make_node("DequantizeLinear", ["w", "s", "z"], ["y"])], "g",
                              [], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
                              [w, s, z])
        m = helper.make_model(g)
        self.assertEqual(unsigned_weights(m), 0)
        self.assertEqual(m.graph.initializer[0].data_type, TensorProto.INT8)
        m = conv_model()
        self.assertEqual(unsigned_weights(m), 0)  # a float model has no integer weights
        quantize_conv_static(m, "conv1", (-3.0, 3.0), (0.0, 6.0))
        self.assertEqual(unsigned_weights(m), 1)
        self.assertEqual(unsigned_weights(m), 0)  # converting again changes nothing

    def test_cli_converts_a_file_and_names_a_bad_one(self):
        with tempfile.TemporaryDirectory() as d:
            m = conv_model()
            quantize_conv_static(m, "conv1", (-3.0, 3.0), (0.0, 6.0))
            src, dst = os.path.join(d, "a.onnx"), os.path.join(d, "b.onnx")
            onnx.save(m, src)
            self.assertEqual(main([src, dst]), 0)
            types = {t.data_type for t in onnx.load(dst).graph.initializer}
            self.assertNotIn(TensorProto.INT8, types)
            bad = os.path.join(d, "bad.onnx")
            with open(bad, "w", encoding="utf-8") as f:
                f.write("not a model")
            self.assertEqual(main([bad]), 2)
            with open(bad, encoding="utf-8") as f:
                self.assertEqual(f.read(), "not a model")  # nothing lost

    def test_docstring_example(self):
        self.assertEqual(doctest.testmod(portable).failed, 0)


if __name__ == "__main__":
    unittest.main()
