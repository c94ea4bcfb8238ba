"""Reference PSNR and SSIM with scikit-image for test/metrics/ssim-skimage.test.ts.

Reads <dir>/cases.json: a list of { name, a, b, dtype ('uint8' | 'uint16' | 'float32'), width, height, channel
('rgb' | 'y'), cropBorder, peak }, where a and b are raw interleaved RGB files (native byte order). Crops, converts to
BT.601 luma the way BasicSR's rgb2ycbcr(y_only=True) does when channel is 'y', and prints
{ name: { ssim, psnr } } as JSON. Everything is float64, so scikit-image computes in float64.
"""
import json
import os
import sys

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def load(folder, name, dtype, height, width):
    return np.fromfile(os.path.join(folder, name), dtype=dtype).reshape(height, width, 3).astype(np.float64)


def luma(rgb, peak):
    # BasicSR: Y = 16 + 65.481 R + 128.553 G + 24.966 B on [0, 1] RGB, then / 255; here in units of peak.
    return (np.dot(rgb / peak, [65.481, 128.553, 24.966]) + 16.0) / 255.0 * peak


def main(folder):
    with open(os.path.join(folder, 'cases.json'), encoding='utf8') as f:
        cases = json.load(f)
    out = {}
    for case in cases:
        a = load(folder, case['a'], case['dtype'], case['height'], case['width'])
        b = load(folder, case['b'], case['dtype'], case['height'], case['width'])
        c = case['cropBorder']
        if c > 0:
            a = a[c:-c, c:-c]
            b = b[c:-c, c:-c]
        peak = float(case['peak'])
        channel_axis = -1
        if case['channel'] == 'y':
            a, b = luma(a, peak), luma(b, peak)
            channel_axis = None
        ssim = structural_similarity(a, b, data_range=peak, channel_axis=channel_axis, gaussian_weights=True, sigma=1.5,
                                     use_sample_covariance=False)
        psnr = peak_signal_noise_ratio(a, b, data_range=peak)
        out[case['name']] = {'ssim': float(ssim), 'psnr': float(psnr)}
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main(sys.argv[1])
