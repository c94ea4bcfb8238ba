"""Moves an exported ONNX file from opset 16 to opset 19, for the native `DeformConv` node (archs/dcn.py).

torch 1.13 exports at most opset 17 and onnx 1.12 (Debian's) knows nothing newer, so this is done by hand, and
only for graphs whose every operator is known to mean the same at opset 19 as at opset 16:
- `promotion::DeformConv` nodes move to the default domain (DeformConv exists from opset 19);
- Reduce* nodes take `axes` as an input from opset 18 (an attribute before): the attribute becomes an initializer;
- every other operator must be in SAME_FROM_16_TO_19 (versions 17 to 19 only added types, optional attributes or
  inputs with defaults that keep the old meaning); anything else raises, naming the operator, rather than
  relabelling a graph whose meaning could change.
Subgraphs (If branches) are converted too. The result is checked by running it (the export parity test), not by
onnx.checker, which does not know opset 19 in onnx 1.12.
"""
from typing import List

import numpy as np

TARGET_OPSET = 19
PRIVATE_DOMAIN = 'promotion'

# Operators whose meaning at opset 19 equals their meaning at opsets 13-16 (onnx/docs/Changelog.md).
SAME_FROM_16_TO_19 = frozenset({
    'Abs', 'Add', 'AveragePool', 'Cast', 'Clip', 'Concat', 'Constant', 'ConstantOfShape', 'Conv', 'DepthToSpace',
    'Div', 'Equal', 'Expand', 'Flatten', 'Gather', 'GlobalAveragePool', 'GridSample', 'Identity', 'If', 'LeakyRelu',
    'MaxPool', 'Mul', 'Pad', 'Pow', 'Range', 'Reciprocal', 'ReduceSum', 'Relu', 'Reshape', 'Resize', 'Shape',
    'Sigmoid', 'Slice', 'SpaceToDepth', 'Squeeze', 'Sub', 'Transpose', 'Unsqueeze', 'Where',
})
# Reduce operators whose `axes` attribute became an input at opset 18 (ReduceSum did so at opset 13).
AXES_TO_INPUT = frozenset({'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2',
                           'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'})


def _convert_graph(graph, initializers: List) -> None:  # type: ignore[no-untyped-def]
    from onnx import numpy_helper
    for node in graph.node:
        if node.domain == PRIVATE_DOMAIN:
            if node.op_type != 'DeformConv':
                raise ValueError(f'Unexpected operator {PRIVATE_DOMAIN}::{node.op_type} in the exported graph')
            node.domain = ''
        elif node.domain not in ('', 'ai.onnx'):
            raise ValueError(f'Cannot move operator {node.domain}::{node.op_type} to opset {TARGET_OPSET}')
        elif node.op_type in AXES_TO_INPUT:
            axes = [a for a in node.attribute if a.name == 'axes']
            if axes:
                name = f'{node.name or node.output[0]}_axes'
                initializers.append(numpy_helper.from_array(np.array(list(axes[0].ints), dtype=np.int64), name))
                node.input.append(name)
                node.attribute.remove(axes[0])
        elif node.op_type not in SAME_FROM_16_TO_19:
            raise ValueError(f'Operator {node.op_type} ({node.name}) is not known to mean the same at opset '
                             f'{TARGET_OPSET}; add it to SAME_FROM_16_TO_19 after checking onnx/docs/Changelog.md')
        for attribute in node.attribute:
            if attribute.HasField('g'):
                _convert_graph(attribute.g, initializers)
            for sub in attribute.graphs:
                _convert_graph(sub, initializers)


def to_opset19(path: str) -> None:
    """Rewrites the ONNX file at `path` in place (through a temporary file) at opset 19."""
    import os
    import onnx
    model = onnx.load(path)
    versions = {o.domain: o.version for o in model.opset_import}
    if versions.get('', versions.get('ai.onnx', 0)) > 17:
        raise ValueError(f'{path} is already at opset {versions.get("")}')
    extra: List = []
    _convert_graph(model.graph, extra)
    model.graph.initializer.extend(extra)
    keep = [o for o in model.opset_import if o.domain not in ('', 'ai.onnx', PRIVATE_DOMAIN)]
    del model.opset_import[:]
    model.opset_import.extend(keep)
    model.opset_import.append(onnx.helper.make_opsetid('', TARGET_OPSET))
    model.ir_version = max(model.ir_version, 9)  # opset 19 goes with IR version 9
    tmp = f'{path}.tmp'
    onnx.save(model, tmp)
    os.replace(tmp, path)
