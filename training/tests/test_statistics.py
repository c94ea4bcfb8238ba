import json
import os
import unittest

import numpy as np
import torch

from promotion.archs.priors import contrast_map, grey
from promotion.statistics import blur_weights, blur_weights_from_variances, contrast_scale, grey_unit, \
    laplacian_variance

VECTOR = os.path.join(os.path.dirname(__file__), 'data', 'statistics-vector.json')


class StatisticsVectorTest(unittest.TestCase):
    """The shared test vector: test/deblur/statistics.test.ts checks the TypeScript side against the same file."""

    def test_vector(self):
        with open(VECTOR) as f:
            cases = json.load(f)['cases']
        self.assertGreaterEqual(len(cases), 3)
        for case in cases:
            with self.subTest(case=case['name']):
                smax = 255 if case['sampleType'] == 'uint8' else 65535
                greys = [grey_unit(np.asarray(f).reshape(case['height'], case['width'], 3), smax)
                         for f in case['frames']]
                np.testing.assert_allclose(blur_weights(greys), case['blurWeights'], rtol=1e-9, atol=1e-15)
                np.testing.assert_allclose([contrast_scale(g) for g in greys], case['contrastScale'],
                                           rtol=1e-9, atol=1e-15)
                self.assertAlmostEqual(float(np.sum(case['blurWeights'])), 5.0, places=9)

    def test_closed_forms(self):
        # A single bright pixel in a 5x5 black frame: Eq. 1 at that pixel is (4 * 1^2) / 4 = 1.
        g = np.zeros((5, 5))
        g[2, 2] = 1
        self.assertEqual(contrast_scale(g), 1.0)
        # Its Laplacian over the 3x3 interior: -4 at the centre, 1 at its 4 neighbours, 0 at the 4 corners.
        lap = np.array([0, 1, 0, 1, -4, 1, 0, 1, 0], dtype=np.float64)
        self.assertAlmostEqual(laplacian_variance(g), lap.var(), places=12)
        np.testing.assert_allclose(blur_weights_from_variances([1, 1, 1, 1, 1]), [1] * 5)
        np.testing.assert_allclose(blur_weights_from_variances([1, 2, 4, 2, 1]),
                                   5 * np.array([1, .5, .25, .5, 1]) / 3.25)
        with self.assertRaisesRegex(ValueError, '3x3'):
            contrast_scale(np.zeros((2, 5)))

    def test_network_contrast_map_matches_whole_frame_scale(self):
        rng = np.random.default_rng(0)
        rgb = rng.random((9, 11, 3))
        g_np = grey_unit(rgb, 1.0)
        g_t = grey(torch.from_numpy(rgb.transpose(2, 0, 1).copy()))
        self.assertAlmostEqual(contrast_map(g_t[None]).max().item(), contrast_scale(g_np), places=12)


if __name__ == '__main__':
    unittest.main()
