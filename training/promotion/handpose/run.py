"""Runs the PyTorch hand-landmark network on raw tensors, for parity checks against a TFLite runtime:

    python3 -m promotion.handpose.run --model lite --input images.f32 --output landmarks.f32

--model: `lite`, `full` (the files of @mediapipe/hands in node_modules) or a .tflite path.
--input: little-endian float32, N images of 224 x 224 x 3 (NHWC, RGB in [0, 1], TFLite's input layout).
--output: little-endian float32, N rows of 128 values: the TFLite outputs in name order, Identity (63: 21 x, y, z in
input pixels), Identity_1 (presence), Identity_2 (handedness), Identity_3 (63: world landmarks, metres).
Exit status 2 with `error: ...` on a bad model or input.
"""
import argparse
import os
import sys
from typing import List, Optional

import numpy as np
import torch

from .landmark_net import INPUT_SIZE, VARIANTS, HandLandmarkNet, LandmarkModelError

VALUES_PER_IMAGE = INPUT_SIZE * INPUT_SIZE * 3
OUTPUTS_PER_IMAGE = 63 + 1 + 1 + 63


def load_network(model: str) -> HandLandmarkNet:
    return HandLandmarkNet.from_variant(model) if model in VARIANTS else HandLandmarkNet.from_file(model)


def run(model: str, input_path: str, output_path: str, batch: int = 4) -> int:
    net = load_network(model)
    raw = np.fromfile(input_path, dtype='<f4')
    if raw.size == 0 or raw.size % VALUES_PER_IMAGE:
        raise ValueError(f'{input_path}: {raw.size} float32 values, not a whole number of {INPUT_SIZE} x {INPUT_SIZE} '
                         f'x 3 images')
    images = torch.from_numpy(raw.reshape(-1, INPUT_SIZE, INPUT_SIZE, 3)).permute(0, 3, 1, 2)
    rows = []
    with torch.no_grad():
        for start in range(0, images.shape[0], batch):
            out = net(images[start:start + batch].contiguous())
            b = out.landmarks.shape[0]
            rows.append(torch.cat([out.landmarks.reshape(b, -1), out.presence[:, None], out.handedness[:, None],
                                   out.world.reshape(b, -1)], dim=1))
    result = torch.cat(rows).numpy().astype('<f4')
    tmp = output_path + '.tmp'
    result.tofile(tmp)
    os.replace(tmp, output_path)
    return result.shape[0]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m promotion.handpose.run', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model', required=True, help='lite, full or a .tflite path')
    parser.add_argument('--input', required=True)
    parser.add_argument('--output', required=True)
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        n = run(args.model, args.input, args.output)
    except (LandmarkModelError, ValueError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    print(f'{n} images -> {args.output}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
