"""promotion.onnx_opset: the move from opset 16 to 19 converts what changed meaning and refuses what it does not
know (a graph is never relabelled into something that computes otherwise)."""
import os
import tempfile
import unittest

import numpy as np

try:
    import onnx
    from onnx import helper, numpy_helper, TensorProto
except ImportError:  # pragma: no cover - Debian's python3-onnx is installed by .ci/run
    onnx = None

from promotion.onnx_opset import to_opset19


def _save(nodes, folder: str, name: str = 'm.onnx') -> str:
    x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 2, 4, 4])
    y = helper.make_tensor_value_info('y', TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, 'g', [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 16), helper.make_opsetid('promotion', 1)])
    path = os.path.join(folder, name)
    onnx.save(model, path)
    return path


@unittest.skipIf(onnx is None, 'onnx is not installed')
class OpsetTest(unittest.TestCase):
    def test_reduce_mean_axes_become_an_input_and_the_private_domain_goes(self):
        with tempfile.TemporaryDirectory() as folder:
            nodes = [helper.make_node('ReduceMean', ['x'], ['m'], name='mean', axes=[2, 3], keepdims=1),
                     helper.make_node('DeformConv', ['x', 'x', 'x'], ['y'], domain='promotion', kernel_shape=[1, 1])]
            path = _save(nodes, folder)
            to_opset19(path)
            model = onnx.load(path)
            self.assertEqual([(o.domain, o.version) for o in model.opset_import], [('', 19)])
            mean, deform = model.graph.node
            self.assertEqual(list(mean.attribute), [a for a in mean.attribute if a.name != 'axes'])
            self.assertEqual(len(mean.input), 2)
            axes = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}[mean.input[1]]
            np.testing.assert_array_equal(axes, [2, 3])
            self.assertEqual((deform.domain, deform.op_type), ('', 'DeformConv'))
            self.assertFalse(os.path.exists(path + '.tmp'))

    def test_an_operator_not_known_to_keep_its_meaning_is_refused_and_the_file_is_left_alone(self):
        with tempfile.TemporaryDirectory() as folder:
            path = _save([helper.make_node('Split', ['x'], ['y'], axis=1)], folder)
            before = open(path, 'rb').read()
            with self.assertRaisesRegex(ValueError, 'Split'):
                to_opset19(path)
            self.assertEqual(open(path, 'rb').read(), before)

    def test_a_file_already_past_opset_17_is_refused(self):
        with tempfile.TemporaryDirectory() as folder:
            path = _save([helper.make_node('Relu', ['x'], ['y'])], folder)
            to_opset19(path)
            with self.assertRaisesRegex(ValueError, 'already at opset 19'):
                to_opset19(path)


if __name__ == '__main__':
    unittest.main()
