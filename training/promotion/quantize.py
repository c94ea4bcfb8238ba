"""Int8 quantization of an exported deblurring network for ONNX Runtime on the CPU, in QDQ form: each chosen
convolution gets its weights as int8 per output channel (symmetric), its bias as int32, and its input and output
activations through QuantizeLinear/DequantizeLinear pairs (8-bit, asymmetric, ranges from calibration), which ONNX
Runtime fuses into QLinearConv when it loads the graph with all optimizations (`graphOptimizationLevel: 'all'`, what
the runtime uses). Everything else stays float.

The input must have its convolution weights as initializers. An export computes some of them inside the graph from
the trained parameters (archs/unet_arch.py, `export_graph`); ONNX Runtime folds those when it loads the model, and
writes the folded graph when asked (`optimizedModelFilePath` at `graphOptimizationLevel: 'basic'`). The four steps,
from the repository root after `npm run build` (the Node steps are training/calibrate-int8.mjs: Debian's Python has
no ONNX Runtime):

    node training/calibrate-int8.mjs fold --model models/promotion-c.onnx --out folded.onnx
    (cd training && /usr/bin/python3 -m promotion.quantize augment --model ../folded.onnx --out ../calib.onnx)
    node training/calibrate-int8.mjs calibrate --model models/promotion-c.onnx --augmented calib.onnx \
        --set val --out stats.json
    (cd training && /usr/bin/python3 -m promotion.quantize quantize --model ../folded.onnx --stats ../stats.json \
        --convs pointwise --out ../promotion-c-int8.onnx)

`augment` adds the input and output of every convolution with initializer weights as graph outputs; the node step
runs that graph on the windows the runtime builds from real sequences and writes every output's range per window.
Which convolutions (`--convs`): `pointwise`, the 1x1 convolutions with more than one output channel (a NAFNet-style
block spends most of its multiply-adds there; the LayerNorm channel means, 1x1 to one channel, stay float);
`all`, every Conv with initializer weights except those channel means (`--exclude '^/Conv_[23]$'` keeps the prior
branch's grouped 5x5 convolutions float: ONNX Runtime's int8 kernel for them is 2-5 times slower than the float one).
ConvTranspose stays float.

What it buys promotion-c on two cores (640x480, onnxruntime-node 1.30, AVX512-VNNI): `pointwise` costs 0.001 dB on
the validation set but saves only 1-9% of the network's CPU time: ONNX Runtime runs the 1x1 convolutions (a quarter of
the float time) 1.8 times faster as QLinearConv, and spends about as much on the layout transposes it puts around them
(the float ops between them run in NCHW), the Quantize/DequantizeLinear passes and QLinearMul.
"""
import argparse
import json
import re
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

import onnx
from onnx import TensorProto, helper, numpy_helper

CONV_SETS = ('pointwise', 'all')
RANGE_METHODS = ('minmax', 'mean')
ACTIVATION_TYPES = ('uint8', 'int8')


def _attr(node: onnx.NodeProto, name: str, default):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def conv_nodes(model: onnx.ModelProto, convs: str, exclude: Sequence[str] = ()) -> List[onnx.NodeProto]:
    """The Conv nodes `convs` names (see the module's text) whose weights (and bias) are initializers, without those
    whose name matches one of the `exclude` regular expressions."""
    if convs not in CONV_SETS:
        raise ValueError(f'Expected convs one of {", ".join(CONV_SETS)} but received {convs!r}.')
    inits = {i.name: i for i in model.graph.initializer}
    chosen = []
    for node in model.graph.node:
        if node.op_type != 'Conv' or node.input[1] not in inits:
            continue
        if len(node.input) > 2 and node.input[2] and node.input[2] not in inits:
            continue
        dims = list(inits[node.input[1]].dims)
        if dims[0] == 1:  # a LayerNorm channel mean (or any conv to one channel): stays float
            continue
        if convs == 'pointwise' and (dims[2:] != [1, 1] or _attr(node, 'group', 1) != 1):
            continue
        if any(re.search(p, node.name) for p in exclude):
            continue
        chosen.append(node)
    return chosen


def augment(model: onnx.ModelProto) -> Tuple[onnx.ModelProto, List[str]]:
    """A copy of `model` with the input and output of every candidate convolution (`convs='all'`) as graph outputs,
    and the names of those tensors (some may have been outputs already)."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    have = {o.name for o in out.graph.output}
    names: List[str] = []
    for node in conv_nodes(out, 'all'):
        for name in (node.input[0], node.output[0]):
            if name not in names:
                names.append(name)
            if name not in have:
                have.add(name)
                out.graph.output.append(helper.make_empty_tensor_value_info(name))
    return out, names


def activation_params(lo: float, hi: float, dtype: str) -> Tuple[float, int]:
    """Scale and zero point of an asymmetric 8-bit range that holds [lo, hi] and zero exactly."""
    if dtype not in ACTIVATION_TYPES:
        raise ValueError(f'Expected activations one of {", ".join(ACTIVATION_TYPES)} but received {dtype!r}.')
    lo, hi = min(0.0, float(lo)), max(0.0, float(hi))
    qmin, qmax = (0, 255) if dtype == 'uint8' else (-128, 127)
    scale = (hi - lo) / (qmax - qmin) if hi > lo else 1.0
    zero = int(np.clip(round(qmin - lo / scale), qmin, qmax))
    return float(scale), zero


def weight_params(w: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per output channel (axis 0): the quantized weights and the scales."""
    peak = np.abs(w.reshape(w.shape[0], -1)).max(axis=1).astype(np.float64)
    scale = np.where(peak > 0, peak / 127.0, 1.0)
    q = np.clip(np.round(w / scale.reshape(-1, *([1] * (w.ndim - 1)))), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def tensor_range(stats: Dict[str, dict], name: str, method: str) -> Tuple[float, float]:
    """A tensor's calibrated range: over all windows (`minmax`) or the mean of each window's extremes (`mean`)."""
    if method not in RANGE_METHODS:
        raise ValueError(f'Expected range one of {", ".join(RANGE_METHODS)} but received {method!r}.')
    entry = stats.get(name)
    if entry is None:
        raise KeyError(f'The calibration statistics have no range for tensor {name!r}: calibrate with the graph '
                       f'`augment` writes from this model.')
    mins, maxs = entry['min'], entry['max']
    if method == 'minmax':
        return float(min(mins)), float(max(maxs))
    return float(np.mean(mins)), float(np.mean(maxs))


def quantize(model: onnx.ModelProto, stats: Dict[str, dict], convs: str = 'pointwise', method: str = 'minmax',
             activations: str = 'uint8', exclude: Sequence[str] = ()) -> Tuple[onnx.ModelProto, List[str]]:
    """The QDQ graph (module text) and the names of the convolutions quantized. `stats` maps tensor names to
    {'min': [per window], 'max': [per window]} (what training/calibrate-int8.mjs writes under `tensors`)."""
    chosen = conv_nodes(model, convs, exclude)
    chosen_names = {n.name for n in chosen}
    qtype = TensorProto.UINT8 if activations == 'uint8' else TensorProto.INT8
    inits = {i.name: i for i in model.graph.initializer}
    new_inits: List[onnx.TensorProto] = []
    quantized: Dict[str, Tuple[str, str, str, float]] = {}  # float tensor -> (q tensor, scale, zero point, scale value)
    nodes: List[onnx.NodeProto] = []
    used_weights = set()

    def activation(name: str) -> Tuple[str, str, str, float]:
        if name not in quantized:
            scale, zero = activation_params(*tensor_range(stats, name, method), activations)
            s, z = f'{name}/q_scale', f'{name}/q_zero'
            new_inits.append(numpy_helper.from_array(np.array(scale, np.float32), s))
            new_inits.append(helper.make_tensor(z, qtype, [], [zero]))
            quantized[name] = (f'{name}/q', s, z, scale)
        return quantized[name]

    for node in model.graph.node:
        if node.name not in chosen_names:
            nodes.append(node)
            continue
        x = node.input[0]
        xq, xs, xz, x_scale = activation(x)
        if not any(n.output and n.output[0] == xq for n in nodes):
            nodes.append(helper.make_node('QuantizeLinear', [x, xs, xz], [xq], name=f'{x}/QuantizeLinear'))
        inputs = [f'{node.name}/x_dq']
        nodes.append(helper.make_node('DequantizeLinear', [xq, xs, xz], inputs[:1], name=f'{node.name}/x_DequantizeLinear'))
        w = numpy_helper.to_array(inits[node.input[1]]).astype(np.float32)
        wq, w_scale = weight_params(w)
        base = node.name
        new_inits += [numpy_helper.from_array(wq, f'{base}/w_q'), numpy_helper.from_array(w_scale, f'{base}/w_scale'),
                      numpy_helper.from_array(np.zeros(w.shape[0], np.int8), f'{base}/w_zero')]
        nodes.append(helper.make_node('DequantizeLinear', [f'{base}/w_q', f'{base}/w_scale', f'{base}/w_zero'],
                                      [f'{base}/w_dq'], name=f'{base}/w_DequantizeLinear', axis=0))
        inputs.append(f'{base}/w_dq')
        if len(node.input) > 2 and node.input[2]:
            b = numpy_helper.to_array(inits[node.input[2]]).astype(np.float64)
            b_scale = (x_scale * w_scale.astype(np.float64)).astype(np.float32)
            bq = np.clip(np.round(b / b_scale), -2 ** 31, 2 ** 31 - 1).astype(np.int32)
            new_inits += [numpy_helper.from_array(bq, f'{base}/b_q'), numpy_helper.from_array(b_scale, f'{base}/b_scale'),
                          numpy_helper.from_array(np.zeros(w.shape[0], np.int32), f'{base}/b_zero')]
            nodes.append(helper.make_node('DequantizeLinear', [f'{base}/b_q', f'{base}/b_scale', f'{base}/b_zero'],
                                          [f'{base}/b_dq'], name=f'{base}/b_DequantizeLinear', axis=0))
            inputs.append(f'{base}/b_dq')
            used_weights.add(node.input[2])
        used_weights.add(node.input[1])
        y = node.output[0]
        conv = helper.make_node('Conv', inputs, [f'{y}/float'], name=node.name)
        conv.attribute.extend(node.attribute)
        nodes.append(conv)
        yq, ys, yz, _ = activation(y)
        nodes.append(helper.make_node('QuantizeLinear', [f'{y}/float', ys, yz], [yq], name=f'{y}/QuantizeLinear'))
        nodes.append(helper.make_node('DequantizeLinear', [yq, ys, yz], [y], name=f'{y}/DequantizeLinear'))

    still_used = {i for n in nodes for i in n.input}
    out = onnx.ModelProto()
    out.CopyFrom(model)
    del out.graph.node[:]
    out.graph.node.extend(nodes)
    kept = [i for i in out.graph.initializer if i.name not in used_weights or i.name in still_used]
    del out.graph.initializer[:]
    out.graph.initializer.extend(kept + new_inits)
    return out, [n.name for n in chosen]


def read_stats(path: str) -> Dict[str, dict]:
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, dict) or not isinstance(data.get('tensors'), dict):
        raise ValueError(f'Expected {path} to hold {{"tensors": {{name: {{"min": [...], "max": [...]}}}}}} '
                         f'(training/calibrate-int8.mjs writes it).')
    return data['tensors']


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m promotion.quantize', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='command', required=True)
    a = sub.add_parser('augment', help='the graph to calibrate with: every candidate conv input and output as outputs')
    a.add_argument('--model', required=True, help='the folded float graph (.onnx)')
    a.add_argument('--out', required=True)
    q = sub.add_parser('quantize', help='the QDQ int8 graph')
    q.add_argument('--model', required=True, help='the folded float graph (.onnx)')
    q.add_argument('--stats', required=True, help='the calibration statistics (training/calibrate-int8.mjs --out)')
    q.add_argument('--out', required=True)
    q.add_argument('--convs', choices=CONV_SETS, default='pointwise')
    q.add_argument('--range', dest='method', choices=RANGE_METHODS, default='minmax')
    q.add_argument('--activations', choices=ACTIVATION_TYPES, default='uint8')
    q.add_argument('--exclude', action='append', default=[], help='a regular expression; convs whose node name '
                   'matches stay float (repeatable)')
    args = parser.parse_args(argv)
    model = onnx.load(args.model)
    if args.command == 'augment':
        out, added = augment(model)
        onnx.save(out, args.out)
        print(f'augment: {len(added)} conv inputs and outputs as graph outputs -> {args.out}')
        return 0
    out, names = quantize(model, read_stats(args.stats), args.convs, args.method, args.activations, args.exclude)
    if not names:
        print(f'quantize: no convolution with initializer weights in {args.model}; fold the graph first '
              f'(training/calibrate-int8.mjs writes it)', file=sys.stderr)
        return 2
    onnx.checker.check_model(out)
    onnx.save(out, args.out)
    print(f'quantize: {len(names)} convolutions ({args.convs}, {args.activations}, {args.method}) -> {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
