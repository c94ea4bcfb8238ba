"""MediaPipe's hand-landmark network (hand_landmark_lite.tflite / hand_landmark_full.tflite) rebuilt in PyTorch
from the .tflite file itself, frozen.

The file is read with tflite.py and each operator becomes a torch operation, executed in the file's order over a
map of tensor index -> value, so that the network is the file's and nothing else. Weights are buffers, not
parameters: an optimizer never sees them and they never require gradients; gradients flow to the input image.
The buffers are not persistent: a state_dict (a checkpoint of a module holding this network) never carries
Google's weights, which are read from node_modules each time.

Conventions kept from TFLite (its reference kernels, tensorflow/lite/kernels/padding.h and internal/reference/):
- Layout: TFLite is NHWC; activations here are NCHW. Convolution kernels [out, kh, kw, in] become [out, in, kh, kw];
  depthwise kernels [1, kh, kw, in x multiplier] become [in x multiplier, 1, kh, kw] with groups = in (output
  channel c x multiplier + m in both). A reduction's NHWC axes are mapped to NCHW; a 4-D tensor is flattened in
  NHWC order before a fully connected layer.
- SAME padding: total = max((ceil(in / stride) - 1) x stride + (k - 1) x dilation + 1 - in, 0), total // 2 before
  and the rest after (so stride 2 on an even size pads one more at the bottom and right than at the top and left,
  unlike PyTorch's symmetric `padding`). Max pooling pads with -inf (padded cells never win).
- Fused activations: NONE, RELU, RELU_N1_TO_1, RELU6, TANH.
- DEQUANTIZE of a constant float16 tensor is folded at load time into float32 (exact: every float16 is a float32);
  int8/uint8 quantized tensors are refused (UnsupportedOperatorError), since their kernels round in ways a float
  network does not reproduce.

Operators mapped: ADD, CONV_2D, DEPTHWISE_CONV_2D, DEQUANTIZE, FULLY_CONNECTED, LOGISTIC, MAX_POOL_2D,
AVERAGE_POOL_2D (SAME divides by the cells inside the image, as TFLite), MEAN, RESHAPE (to 2-D), RELU, RELU6,
TANH. Any other raises UnsupportedOperatorError naming it.

The landmark model's contract (both variants, MediaPipe 0.4.1675469240's files): input `input_1` [1, 224, 224, 3],
RGB in [0, 1]; outputs `Identity` [1, 63] (21 landmarks x, y, z; x and y in pixels of the 224 x 224 input, z on
about the same scale, relative to the wrist), `Identity_1` [1, 1] hand presence (after a logistic), `Identity_2`
[1, 1] handedness (after a logistic), `Identity_3` [1, 63] world landmarks (metres, origin near the hand's centre).
"""
import math
import os
from typing import Callable, Dict, List, NamedTuple, Optional

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .tflite import TfliteModel, read_tflite

#: Input side of the landmark network, pixels.
INPUT_SIZE = 224
#: Landmarks per hand.
NUM_LANDMARKS = 21
#: The two variants @mediapipe/hands ships, by name.
VARIANTS = ('lite', 'full')
#: Where the .tflite files are, relative to the repository root (npm ci installs them).
HANDS_PACKAGE_DIR = os.path.join('node_modules', '@mediapipe', 'hands')

_REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..'))


class LandmarkModelError(ValueError):
    """A landmark model file is missing or is not MediaPipe's hand-landmark network; the message says the fix."""


class UnsupportedOperatorError(LandmarkModelError):
    """The .tflite file uses an operator (or a form of one) that has no faithful torch mapping here."""


class LandmarkOutput(NamedTuple):
    #: [B, 21, 3]: x, y in pixels of the 224 x 224 input, z on about the same scale (TFLite's `Identity`).
    landmarks: torch.Tensor
    #: [B]: hand presence in [0, 1] (`Identity_1`).
    presence: torch.Tensor
    #: [B]: handedness in [0, 1] (`Identity_2`).
    handedness: torch.Tensor
    #: [B, 21, 3]: world landmarks in metres (`Identity_3`).
    world: torch.Tensor


def landmark_model_path(variant: str, root: Optional[str] = None) -> str:
    """The path of hand_landmark_<variant>.tflite in @mediapipe/hands under `root` (default: this repository).
    Raises LandmarkModelError naming the file and the fix when it is missing."""
    if variant not in VARIANTS:
        raise LandmarkModelError(f'Expected a landmark variant in {list(VARIANTS)} but received {variant!r}')
    path = os.path.join(root or _REPO_ROOT, HANDS_PACKAGE_DIR, f'hand_landmark_{variant}.tflite')
    if not os.path.isfile(path):
        raise LandmarkModelError(f'{path} is missing: it comes with the npm package @mediapipe/hands; run `npm ci` '
                                 f'at the repository root (or pass the .tflite path)')
    return path


def _same_pads(size: int, kernel: int, stride: int, dilation: int) -> List[int]:
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return [total // 2, total - total // 2]


def _pad_same(x: torch.Tensor, kh: int, kw: int, sh: int, sw: int, dh: int = 1, dw: int = 1,
              value: float = 0.0) -> torch.Tensor:
    top, bottom = _same_pads(x.shape[2], kh, sh, dh)
    left, right = _same_pads(x.shape[3], kw, sw, dw)
    if top == bottom == left == right == 0:
        return x
    return F.pad(x, [left, right, top, bottom], value=value)


_ACTIVATIONS: Dict[int, Callable[[torch.Tensor], torch.Tensor]] = {
    0: lambda x: x,
    1: F.relu,
    2: lambda x: x.clamp(-1.0, 1.0),
    3: lambda x: x.clamp(0.0, 6.0),
    4: torch.tanh,
}

_NHWC_TO_NCHW_AXIS = {0: 0, 1: 2, 2: 3, 3: 1, -1: 1, -2: 3, -3: 2, -4: 0}


class HandLandmarkNet(nn.Module):
    """The network of one .tflite file, frozen. `forward(image)`: image [B, 3, 224, 224] RGB in [0, 1] ->
    LandmarkOutput. Use `from_file` or `from_variant`."""

    def __init__(self, model: TfliteModel) -> None:
        super().__init__()
        self.source = model.path
        self._steps: List[Callable[[Dict[int, torch.Tensor]], None]] = []
        self._consts: Dict[int, str] = {}
        self._input = self._check_contract(model)
        for op in model.operators:
            self._steps.append(self._map(model, op))
        outputs = {model.tensors[i].name: i for i in model.outputs}
        self._outputs = [outputs[n] for n in ('Identity', 'Identity_1', 'Identity_2', 'Identity_3')]
        self.eval()
        self.requires_grad_(False)

    @classmethod
    def from_file(cls, path: str) -> 'HandLandmarkNet':
        if not os.path.isfile(path):
            raise LandmarkModelError(f'{path} is missing: pass hand_landmark_lite.tflite or hand_landmark_full.tflite '
                                     f'of @mediapipe/hands (npm ci installs them under {HANDS_PACKAGE_DIR})')
        return cls(read_tflite(path))

    @classmethod
    def from_variant(cls, variant: str, root: Optional[str] = None) -> 'HandLandmarkNet':
        return cls.from_file(landmark_model_path(variant, root))

    def train(self, mode: bool = True) -> 'HandLandmarkNet':
        """Stays in evaluation mode (the network has no layer that differs, but a frozen network should say so)."""
        return super().train(False)

    # -- building ---------------------------------------------------------------------------------------------

    def _check_contract(self, model: TfliteModel) -> int:
        path = model.path
        if len(model.inputs) != 1:
            raise LandmarkModelError(f'{path}: {len(model.inputs)} inputs; a hand-landmark model has one '
                                     f'(is this the palm detector or another model?)')
        inp = model.tensors[model.inputs[0]]
        if inp.shape != [1, INPUT_SIZE, INPUT_SIZE, 3] or inp.type_name != 'FLOAT32':
            raise LandmarkModelError(f'{path}: input {inp.name!r} is {inp.shape} {inp.type_name}; a hand-landmark '
                                     f'model takes [1, {INPUT_SIZE}, {INPUT_SIZE}, 3] FLOAT32 (is this the palm '
                                     f'detector? use hand_landmark_lite.tflite or hand_landmark_full.tflite)')
        names = {model.tensors[i].name: model.tensors[i].shape for i in model.outputs}
        expected = {'Identity': [1, 63], 'Identity_1': [1, 1], 'Identity_2': [1, 1], 'Identity_3': [1, 63]}
        if names != expected:
            raise LandmarkModelError(f'{path}: outputs {names}, expected {expected} (MediaPipe hand landmarks)')
        return model.inputs[0]

    def _const(self, model: TfliteModel, index: int) -> str:
        """Registers constant tensor `index` (float16 / float32 / int32 data) as a buffer; returns its name."""
        if index in self._consts:
            return self._consts[index]
        t = model.tensors[index]
        if t.data is None:
            raise UnsupportedOperatorError(f'{model.path}: tensor {t.name!r} is used as a constant but has no data')
        if t.quantized:
            raise UnsupportedOperatorError(f'{model.path}: tensor {t.name!r} is quantized ({t.type_name}); only '
                                           f'float16/float32 weights are mapped')
        name = f't{index}'
        value = t.data.astype(np.float32) if t.type_name in ('FLOAT16', 'FLOAT32') else t.data.astype(np.int64)
        self.register_buffer(name, torch.from_numpy(value), persistent=False)
        self._consts[index] = name
        return name

    def _weight(self, model: TfliteModel, index: int, producers: Dict[int, int]) -> str:
        """A weight or bias input: a constant, or the output of a DEQUANTIZE of a float16 constant (folded)."""
        if model.tensors[index].data is not None:
            return self._const(model, index)
        src = producers.get(index)
        if src is not None and model.operators[src].name == 'DEQUANTIZE':
            name = self._const(model, model.operators[src].inputs[0])
            self._consts[index] = name
            return name
        raise UnsupportedOperatorError(f'{model.path}: tensor {model.tensors[index].name!r} is a weight computed at '
                                       f'run time; only constants (or dequantized constants) are mapped')

    def _map(self, model: TfliteModel, op) -> Callable[[Dict[int, torch.Tensor]], None]:
        producers = getattr(self, '_producers', None)
        if producers is None:
            producers = {o: op2.index for op2 in model.operators for o in op2.outputs}
            self._producers = producers
        where = f'{model.path}: operator {op.index} ({op.name})'
        out = op.outputs[0]
        name = op.name

        def act_of(field_index: int) -> Callable[[torch.Tensor], torch.Tensor]:
            code = op.option(field_index, 'b')
            if code not in _ACTIVATIONS:
                raise UnsupportedOperatorError(f'{where}: fused activation {code} (SIGN_BIT or unknown)')
            return _ACTIVATIONS[code]

        if name == 'DEQUANTIZE':
            src = model.tensors[op.inputs[0]]
            if src.type_name != 'FLOAT16' or src.data is None:
                raise UnsupportedOperatorError(f'{where}: dequantizes {src.type_name} '
                                               f'{"activations" if src.data is None else "constants"}; only float16 '
                                               f'constants are folded')
            self._weight(model, out, producers)
            return lambda env: None
        if name in ('CONV_2D', 'DEPTHWISE_CONV_2D'):
            depthwise = name == 'DEPTHWISE_CONV_2D'
            # Conv2DOptions: padding 0, stride_w 1, stride_h 2, activation 3, dilation_w 4, dilation_h 5.
            # DepthwiseConv2DOptions: padding 0, stride_w 1, stride_h 2, depth_multiplier 3, activation 4,
            # dilation_w 5, dilation_h 6.
            padding = op.option(0, 'b')
            sw, sh = op.option(1, 'i', 1), op.option(2, 'i', 1)
            act = act_of(4 if depthwise else 3)
            dw, dh = (op.option(5, 'i', 1), op.option(6, 'i', 1)) if depthwise else (op.option(4, 'i', 1),
                                                                                      op.option(5, 'i', 1))
            w_name = self._weight(model, op.inputs[1], producers)
            b_name = self._weight(model, op.inputs[2], producers) if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
            w = getattr(self, w_name)
            if depthwise:
                # [1, kh, kw, C x m] -> [C x m, 1, kh, kw]
                w = w.permute(3, 0, 1, 2).contiguous()
                groups = model.tensors[op.inputs[0]].shape[3]
            else:
                # [out, kh, kw, in] -> [out, in, kh, kw]
                w = w.permute(0, 3, 1, 2).contiguous()
                groups = 1
            w_key = f'{w_name}_{"dw" if depthwise else "conv"}'
            if not hasattr(self, w_key):
                self.register_buffer(w_key, w, persistent=False)
            kh, kw = w.shape[2], w.shape[3]
            src = op.inputs[0]

            def conv(env, src=src, w_key=w_key, b_name=b_name, groups=groups):
                x = env[src]
                if padding == 0:
                    x = _pad_same(x, kh, kw, sh, sw, dh, dw)
                bias = getattr(self, b_name) if b_name else None
                env[out] = act(F.conv2d(x, getattr(self, w_key), bias, (sh, sw), 0, (dh, dw), groups))
            return conv
        if name in ('MAX_POOL_2D', 'AVERAGE_POOL_2D'):
            # Pool2DOptions: padding 0, stride_w 1, stride_h 2, filter_width 3, filter_height 4, activation 5.
            padding = op.option(0, 'b')
            sw, sh = op.option(1, 'i', 1), op.option(2, 'i', 1)
            fw, fh = op.option(3, 'i', 1), op.option(4, 'i', 1)
            act = act_of(5)
            src = op.inputs[0]
            is_max = name == 'MAX_POOL_2D'

            def pool(env, src=src):
                x = env[src]
                if is_max:
                    if padding == 0:
                        x = _pad_same(x, fh, fw, sh, sw, value=-math.inf)
                    env[out] = act(F.max_pool2d(x, (fh, fw), (sh, sw)))
                    return
                if padding == 0:
                    ones = torch.ones_like(x[:, :1])
                    summed = F.avg_pool2d(_pad_same(x, fh, fw, sh, sw), (fh, fw), (sh, sw), divisor_override=1)
                    count = F.avg_pool2d(_pad_same(ones, fh, fw, sh, sw), (fh, fw), (sh, sw), divisor_override=1)
                    env[out] = act(summed / count)
                else:
                    env[out] = act(F.avg_pool2d(x, (fh, fw), (sh, sw)))
            return pool
        if name == 'ADD':
            act = act_of(0)
            a, b = op.inputs[0], op.inputs[1]
            for i in (a, b):
                if model.tensors[i].data is not None or i in self._consts:
                    raise UnsupportedOperatorError(f'{where}: adds a constant tensor; only activations are mapped')

            def add(env, a=a, b=b):
                env[out] = act(env[a] + env[b])
            return add
        if name == 'MEAN':
            # ReducerOptions: keep_dims 0.
            axes_t = model.tensors[op.inputs[1]]
            if axes_t.data is None:
                raise UnsupportedOperatorError(f'{where}: reduction axes computed at run time')
            keep = bool(op.option(0, 'b'))
            rank = len(model.tensors[op.inputs[0]].shape)
            if rank != 4:
                raise UnsupportedOperatorError(f'{where}: MEAN of a rank-{rank} tensor; only rank 4 is mapped')
            axes = sorted(_NHWC_TO_NCHW_AXIS[int(a)] for a in axes_t.data.reshape(-1))
            src = op.inputs[0]

            def mean(env, src=src):
                y = env[src].mean(dim=axes, keepdim=keep)
                env[out] = y
            if not keep and axes != [2, 3]:
                raise UnsupportedOperatorError(f'{where}: MEAN over NHWC axes {axes_t.data.tolist()} without '
                                               f'keep_dims; only the spatial mean is mapped')
            return mean
        if name == 'FULLY_CONNECTED':
            # FullyConnectedOptions: activation 0, weights_format 1 (DEFAULT only), keep_num_dims 2.
            if op.option(1, 'b') != 0:
                raise UnsupportedOperatorError(f'{where}: shuffled weights format')
            act = act_of(0)
            w_name = self._weight(model, op.inputs[1], producers)
            b_name = self._weight(model, op.inputs[2], producers) if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
            src = op.inputs[0]

            def fc(env, src=src, w_name=w_name, b_name=b_name):
                x = env[src]
                if x.dim() == 4:
                    x = x.permute(0, 2, 3, 1)
                x = x.reshape(x.shape[0], -1)
                env[out] = act(F.linear(x, getattr(self, w_name), getattr(self, b_name) if b_name else None))
            return fc
        if name in ('LOGISTIC', 'RELU', 'RELU6', 'TANH'):
            fn = {'LOGISTIC': torch.sigmoid, 'RELU': F.relu, 'RELU6': lambda x: x.clamp(0.0, 6.0),
                  'TANH': torch.tanh}[name]
            src = op.inputs[0]

            def unary(env, src=src):
                env[out] = fn(env[src])
            return unary
        if name == 'RESHAPE':
            shape = model.tensors[out].shape
            if len(shape) != 2:
                raise UnsupportedOperatorError(f'{where}: reshape to {shape}; only a flattening to 2-D is mapped')
            src = op.inputs[0]

            def reshape(env, src=src):
                x = env[src]
                if x.dim() == 4:
                    x = x.permute(0, 2, 3, 1)
                env[out] = x.reshape(x.shape[0], shape[1])
            return reshape
        raise UnsupportedOperatorError(f'{where} has no torch mapping here (mapped: ADD, AVERAGE_POOL_2D, CONV_2D, '
                                       f'DEPTHWISE_CONV_2D, DEQUANTIZE of float16 constants, FULLY_CONNECTED, '
                                       f'LOGISTIC, MAX_POOL_2D, MEAN, RELU, RELU6, RESHAPE, TANH)')

    # -- running ------------------------------------------------------------------------------------------------

    def forward(self, image: torch.Tensor) -> LandmarkOutput:
        if image.dim() != 4 or image.shape[1] != 3 or image.shape[2] != INPUT_SIZE or image.shape[3] != INPUT_SIZE:
            raise ValueError(f'Expected an image batch [B, 3, {INPUT_SIZE}, {INPUT_SIZE}] (RGB in [0, 1]) but received '
                             f'{list(image.shape)}')
        env: Dict[int, torch.Tensor] = {self._input: image}
        for step in self._steps:
            step(env)
        lm, presence, handedness, world = (env[i] for i in self._outputs)
        b = image.shape[0]
        return LandmarkOutput(lm.reshape(b, NUM_LANDMARKS, 3), presence.reshape(b), handedness.reshape(b),
                              world.reshape(b, NUM_LANDMARKS, 3))
