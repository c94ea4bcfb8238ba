"""promotion.quantize: on a tiny random graph of a NAFNet-style block's convolutions, the QDQ graph is valid ONNX,
quantizes the convolutions asked for (and not the LayerNorm channel mean), and computes what the float graph computes
to within the 8-bit steps (evaluated node by node here: Debian's onnx has no reference evaluator)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch
from torch.nn import functional as F

try:
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError:  # pragma: no cover - Debian's python3-onnx is installed by .ci/run
    onnx = None

if onnx is not None:
    from promotion import quantize as q

C = 8


def _tiny_model(seed: int = 0):
    """x [1, C, 12, 12] -> 1x1 conv (bias) -> depthwise 3x3 -> gate (Mul with the other half) -> 1x1 conv; beside it
    a channel mean (1x1 to one channel, 1/C weights) subtracted, as the export's LayerNorm does."""
    rng = np.random.default_rng(seed)
    init = [
        numpy_helper.from_array(rng.normal(0, 0.5, (C, C, 1, 1)).astype(np.float32), 'w1'),
        numpy_helper.from_array(rng.normal(0, 0.1, C).astype(np.float32), 'b1'),
        numpy_helper.from_array(rng.normal(0, 0.5, (C, C, 1, 1)).astype(np.float32), 'w1b'),
        numpy_helper.from_array(rng.normal(0, 0.3, (C, 1, 3, 3)).astype(np.float32), 'wdw'),
        numpy_helper.from_array(rng.normal(0, 0.5, (C, C, 1, 1)).astype(np.float32), 'w2'),
        numpy_helper.from_array(rng.normal(0, 0.1, C).astype(np.float32), 'b2'),
        numpy_helper.from_array(np.full((1, C, 1, 1), 1.0 / C, np.float32), 'mean'),
    ]
    nodes = [
        helper.make_node('Conv', ['x', 'mean'], ['mu'], name='/norm/Conv'),
        helper.make_node('Sub', ['x', 'mu'], ['d'], name='/norm/Sub'),
        helper.make_node('Conv', ['d', 'w1', 'b1'], ['a'], name='/block/Conv_2'),
        helper.make_node('Conv', ['d', 'w1b'], ['b'], name='/block/Conv_4'),
        helper.make_node('Conv', ['a', 'wdw'], ['a3'], name='/block/Conv_3', group=C, pads=[1, 1, 1, 1]),
        helper.make_node('Mul', ['a3', 'b'], ['g'], name='/block/Mul'),
        helper.make_node('Conv', ['g', 'w2', 'b2'], ['y'], name='/block/conv3/Conv'),
    ]
    x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, C, 12, 12])
    y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, C, 12, 12])
    graph = helper.make_graph(nodes, 'tiny', [x], [y], init)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid('', 16)])


def _run(model, feeds):
    """Evaluates the few operator types these graphs hold, node by node; every tensor by name."""
    env = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    env.update(feeds)
    for n in model.graph.node:
        a = {x.name: helper.get_attribute_value(x) for x in n.attribute}
        v = [env[i] for i in n.input]
        if n.op_type == 'Conv':
            b = torch.from_numpy(v[2].astype(np.float32)) if len(v) > 2 else None
            pads = a.get('pads', [0, 0, 0, 0])
            out = F.conv2d(torch.from_numpy(v[0].astype(np.float32)), torch.from_numpy(v[1].astype(np.float32)), b,
                           padding=(pads[0], pads[1]), groups=a.get('group', 1)).numpy()
        elif n.op_type in ('Mul', 'Sub'):
            out = v[0] * v[1] if n.op_type == 'Mul' else v[0] - v[1]
        elif n.op_type in ('QuantizeLinear', 'DequantizeLinear'):
            axis = a.get('axis', 1)
            shape = [1] * v[0].ndim
            if v[1].ndim == 1:
                shape[axis] = -1
            s, z = v[1].reshape(shape).astype(np.float64), v[2].reshape(shape).astype(np.float64)
            if n.op_type == 'DequantizeLinear':
                out = ((v[0].astype(np.float64) - z) * s).astype(np.float32)
            else:
                info = np.iinfo(v[2].dtype)
                out = np.clip(np.rint(v[0] / s) + z, info.min, info.max).astype(v[2].dtype)
        else:  # pragma: no cover - the tiny graphs hold no other type
            raise NotImplementedError(n.op_type)
        env[n.output[0]] = out
    return env


def _stats(model, windows):
    """Calibration statistics as training/calibrate-int8.mjs writes them, from the float graph on `windows`."""
    aug, names = q.augment(model)
    tensors = {n: {'min': [], 'max': []} for n in names}
    for x in windows:
        env = _run(aug, {'x': x})
        for n in names:
            tensors[n]['min'].append(float(env[n].min()))
            tensors[n]['max'].append(float(env[n].max()))
    return tensors


@unittest.skipIf(onnx is None, 'onnx is not installed')
class QuantizeTest(unittest.TestCase):
    def setUp(self):
        self.model = _tiny_model()
        rng = np.random.default_rng(1)
        self.windows = [rng.normal(0, 1, (1, C, 12, 12)).astype(np.float32) for _ in range(3)]
        self.stats = _stats(self.model, self.windows)

    def quantized_convs(self, model):
        """Names of the Conv nodes whose weight comes from a DequantizeLinear of int8."""
        made = {n.output[0]: n for n in model.graph.node}
        inits = {i.name: i for i in model.graph.initializer}
        names = []
        for n in model.graph.node:
            src = made.get(n.input[1]) if n.op_type == 'Conv' else None
            if src is not None and src.op_type == 'DequantizeLinear' and inits[src.input[0]].data_type == TensorProto.INT8:
                names.append(n.name)
        return names

    def test_augment_adds_every_candidate_conv_input_and_output(self):
        aug, names = q.augment(self.model)
        # 'x' feeds only the channel mean, which stays float; 'y' was an output already
        self.assertEqual(names, ['d', 'a', 'b', 'a3', 'g', 'y'])
        self.assertEqual([o.name for o in aug.graph.output], ['y', 'd', 'a', 'b', 'a3', 'g'])

    def test_pointwise_quantizes_the_1x1_convs_but_not_the_channel_mean(self):
        out, names = q.quantize(self.model, self.stats, 'pointwise')
        onnx.checker.check_model(out)
        self.assertEqual(sorted(names), ['/block/Conv_2', '/block/Conv_4', '/block/conv3/Conv'])
        self.assertEqual(sorted(self.quantized_convs(out)), sorted(names))
        types = [n.op_type for n in out.graph.node]
        self.assertEqual(types.count('QuantizeLinear'), 2 + 3)  # d once (two convs read it), g, and each conv's output
        inits = {i.name: i for i in out.graph.initializer}
        self.assertEqual(inits['/block/Conv_2/b_q'].data_type, TensorProto.INT32)
        self.assertEqual(list(inits['/block/Conv_2/w_scale'].dims), [C])  # per output channel
        self.assertNotIn('w1', inits)  # the float weights are gone

    def test_all_adds_the_depthwise_conv_and_exclude_keeps_a_conv_float(self):
        out, names = q.quantize(self.model, self.stats, 'all')
        onnx.checker.check_model(out)
        self.assertIn('/block/Conv_3', names)
        self.assertNotIn('/norm/Conv', names)
        out, names = q.quantize(self.model, self.stats, 'all', exclude=[r'Conv_3$'])
        self.assertNotIn('/block/Conv_3', names)
        self.assertNotIn('/block/Conv_3', self.quantized_convs(out))

    def test_the_quantized_graph_computes_the_float_function_within_the_8_bit_steps(self):
        for convs, activations in (('pointwise', 'uint8'), ('all', 'uint8'), ('all', 'int8')):
            out, _ = q.quantize(self.model, self.stats, convs, activations=activations)
            for x in self.windows:
                want = _run(self.model, {'x': x})['y']
                got = _run(out, {'x': x})['y']
                step = (max(self.stats['g']['max']) - min(self.stats['g']['min'])) / 255
                err = np.abs(got - want).max()
                self.assertLess(err, 40 * step, f'{convs} {activations}: {err}')
                self.assertGreater(err, 0, 'nothing was quantized')
                self.assertLess(np.abs(got - want).mean(), 0.02 * np.abs(want).mean() + 2 * step)

    def test_activation_params_hold_zero_and_the_range(self):
        scale, zero = q.activation_params(-1.0, 3.0, 'uint8')
        self.assertAlmostEqual(scale, 4 / 255)
        self.assertEqual(zero, 64)
        scale, zero = q.activation_params(0.5, 2.0, 'int8')  # zero is always representable
        self.assertEqual(zero, -128)
        with self.assertRaisesRegex(ValueError, "Expected activations one of uint8, int8 but received 'int4'."):
            q.activation_params(0, 1, 'int4')

    def test_missing_statistics_say_what_to_do(self):
        with self.assertRaisesRegex(KeyError, "no range for tensor 'd'"):
            q.quantize(self.model, {}, 'pointwise')

    def test_cli_writes_a_checked_model(self):
        with tempfile.TemporaryDirectory() as tmp:
            model, stats, out = (os.path.join(tmp, n) for n in ('m.onnx', 's.json', 'q.onnx'))
            onnx.save(self.model, model)
            with open(stats, 'w') as f:
                json.dump({'tensors': self.stats}, f)
            here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            r = subprocess.run([sys.executable, '-m', 'promotion.quantize', 'quantize', '--model', model, '--stats', stats,
                                '--convs', 'all', '--out', out], cwd=here, capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn('quantize: 4 convolutions (all, uint8, minmax)', r.stdout)
            onnx.checker.check_model(onnx.load(out))


if __name__ == '__main__':
    unittest.main()
