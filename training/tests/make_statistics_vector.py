"""Writes tests/data/statistics-vector.json: small seeded windows of frames and their blurWeights / contrastScale
computed by promotion/statistics.py (float64). Committed; test_statistics.py and
test/deblur/statistics.test.ts check both implementations against it. Rerun only when the definition changes:
    /usr/bin/python3 tests/make_statistics_vector.py   (cwd training/)"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
from promotion.statistics import blur_weights, contrast_scale, grey_unit  # noqa: E402


def window(rng, width, height, sample_max, flat_index=None):
    frames = []
    base = rng.integers(0, sample_max + 1, (height, width, 3)).astype(np.float64)
    for i in range(5):
        # Progressively box-blurred copies, so the Laplacian variance differs frame to frame.
        f = base.copy()
        for _ in range((3, 1, 0, 2, 4)[i]):
            f = (f + np.roll(f, 1, axis=1) + np.roll(f, -1, axis=1)) / 3
        if i == flat_index:
            f[:] = sample_max // 3
        frames.append(np.clip(np.round(f), 0, sample_max).astype(np.int64))
    return frames


def main():
    rng = np.random.default_rng(20261125)
    cases = []
    for name, (w, h, smax, flat) in {'rgb8-7x6': (7, 6, 255, None), 'rgb16-5x4': (5, 4, 65535, None),
                                      'rgb8-flat-frame': (6, 5, 255, 4)}.items():
        frames = window(rng, w, h, smax, flat)
        greys = [grey_unit(f.reshape(h, w, 3), smax) for f in frames]
        cases.append({
            'name': name, 'width': w, 'height': h, 'sampleType': 'uint8' if smax == 255 else 'uint16',
            'frames': [f.reshape(-1).tolist() for f in frames],
            'blurWeights': blur_weights(greys).tolist(),
            'contrastScale': [contrast_scale(g) for g in greys],
        })
    out = os.path.join(os.path.dirname(__file__), 'data', 'statistics-vector.json')
    with open(out, 'w') as f:
        json.dump({'description': 'Frames are interleaved RGB, row-major; see promotion/statistics.py and '
                                  'src/deblur/statistics.ts.', 'cases': cases}, f)
        f.write('\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
