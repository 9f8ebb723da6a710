"""Unit tests of the ONNX PTQ passes (scripts/train/earshot_train/quant/ptq.py).

Run: PYTHONPATH=scripts/train /usr/bin/python3 -m unittest discover -s scripts/train/tests -t scripts/train
onnxruntime checks of the real model: tests/asr/int8_test.ts.
"""
import unittest

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from earshot_train.quant.ptq import (
    quantize_conv_static,
    quantize_lstm_dynamic,
    quantize_matmul_dynamic,
    weights_by_bits,
)


def conv_model():
    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(rng.standard_normal((4, 3, 3)).astype(np.float32), "w1")
    b1 = numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "b1")
    w2 = numpy_helper.from_array(rng.standard_normal((2, 4, 1)).astype(np.float32), "w2")
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1"),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Conv", ["r1", "w2"], ["y"], name="conv2")]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                     [1, 3, 10])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 8])],
                          [w1, b1, w2])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def matmul_model(w: np.ndarray):
    """y = x @ w with w [K, N] as an initializer (node "mm")."""
    k, n = w.shape
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, k])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, n])],
                          [numpy_helper.from_array(w, "w")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def lstm_model(W: np.ndarray, R: np.ndarray):
    """One LSTM (node "lstm") over [5, 1, I] inputs, W [1, 4H, I] and R [1, 4H, H]."""
    hidden, inp = R.shape[2], W.shape[2]
    node = helper.make_node("LSTM", ["x", "W", "R"], ["y"], name="lstm", hidden_size=hidden)
    g = helper.make_graph([node], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [5, 1, inp])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(W, "W"), numpy_helper.from_array(R, "R")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def inits(m):
    return {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}


class PtqTest(unittest.TestCase):
    def test_conv_static_qdq(self):
        m = conv_model()
        w1 = inits(m)["w1"]
        quantize_conv_static(m, "conv1", (-3.0, 3.0), (0.0, 6.0))
        quantize_conv_static(m, "conv2", None, (-10.0, 10.0))
        onnx.checker.check_model(m)
        ops = [n.op_type for n in m.graph.node]
        # conv1: input Q/DQ, weight DQ, bias DQ; Relu kept (folded by onnxruntime); output Q/DQ
        # shared as conv2's input; conv2 output Q/DQ.
        self.assertEqual(ops.count("QuantizeLinear"), 3)
        self.assertEqual(ops.count("Conv"), 2)
        i = inits(m)
        wq = next(v for k, v in i.items() if k.startswith("conv1_w_int8"))
        ws = next(v for k, v in i.items() if k.startswith("conv1_w_scale"))
        self.assertEqual(wq.dtype, np.int8)
        self.assertEqual(ws.shape, (4,))
        np.testing.assert_allclose(wq * ws[:, None, None], w1, atol=ws.max() / 2 + 1e-7)
        self.assertLessEqual(int(np.abs(wq).max()), 127)
        bq = next(v for k, v in i.items() if k.startswith("conv1_b_int32"))
        self.assertEqual(bq.dtype, np.int32)
        self.assertNotIn("w1", i)  # float weights are gone from the file
        # 44 weights + one int8 zero point per output channel (4 + 2)
        self.assertEqual(weights_by_bits(m)["int8"], 4 * 3 * 3 + 2 * 4 + 6)

    def test_conv_static_rejects_non_initializer_weight(self):
        m = conv_model()
        m.graph.node[0].input[1] = "x"
        with self.assertRaisesRegex(ValueError, "conv1: Conv weight x is not an initializer"):
            quantize_conv_static(m, "conv1", (-1.0, 1.0), (0.0, 1.0))

    def test_matmul_dynamic(self):
        m = matmul_model(np.arange(12, dtype=np.float32).reshape(3, 4) - 6)
        quantize_matmul_dynamic(m, "mm")
        onnx.checker.check_model(m)
        self.assertEqual([n.op_type for n in m.graph.node],
                         ["DynamicQuantizeLinear", "MatMulInteger", "Cast", "Mul", "Mul"])

    def test_lstm_dynamic_layout(self):
        H, I = 2, 3
        m = lstm_model(np.ones((1, 4 * H, I), np.float32), np.full((1, 4 * H, H), 0.5, np.float32))
        quantize_lstm_dynamic(m, "lstm")
        n = m.graph.node[0]
        self.assertEqual((n.op_type, n.domain), ("DynamicQuantizeLSTM", "com.microsoft"))
        i = inits(m)
        self.assertEqual(i[n.input[1]].shape, (1, I, 4 * H))  # transposed for the kernel
        self.assertEqual(i[n.input[2]].shape, (1, H, 4 * H))
        self.assertEqual(i[n.input[8]].shape, (1, 4 * H))  # one scale per gate row


if __name__ == "__main__":
    unittest.main()
