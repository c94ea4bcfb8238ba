import json
import os
import tempfile
import unittest

import numpy as np
from PIL import Image

from promotion.clamp_ceiling import main, measure

from .helpers import inputs  # noqa: F401  (sets torch threads)
from .test_frame_val import make_sequences, psnr_8bit


def brute_force_ceiling(blurred, sharp, radius):
    """The sharp frame clamped to the blurred frame's (2r + 1)^2 window range, the window cut at the edges."""
    h, w, _ = sharp.shape
    out = np.empty_like(sharp)
    for y in range(h):
        for x in range(w):
            window = blurred[max(y - radius, 0):y + radius + 1, max(x - radius, 0):x + radius + 1].reshape(-1, 3)
            out[y, x] = np.clip(sharp[y, x], window.min(0), window.max(0))
    return psnr_8bit(out, sharp)


class ClampCeilingTest(unittest.TestCase):
    def test_matches_the_definition_and_grows_with_the_radius(self):
        with tempfile.TemporaryDirectory() as d:
            make_sequences(d, frames=2, size=(16, 20))
            result = measure(d, [1, 2, 4])
            self.assertEqual([r['id'] for r in result['sequences']], ['camera/scene_00000', 'local/scene_00000'])
            folder = os.path.join(d, 'camera', 'scene_00000')
            read = lambda part, i: np.asarray(Image.open(os.path.join(folder, part, f'frame_{i:06d}.png')))
            blurred_db = np.mean([psnr_8bit(read('blur', i), read('sharp', i)) for i in range(2)])
            expected = np.mean([brute_force_ceiling(read('blur', i), read('sharp', i), 1) for i in range(2)])
            row = result['sequences'][0]
            self.assertAlmostEqual(row['blurred_db'], blurred_db, 6)
            self.assertAlmostEqual(row['gain_db']['1'], expected - blurred_db, 6)
            for row in result['sequences']:
                gains = [row['gain_db'][r] for r in ('1', '2', '4')]
                self.assertGreater(gains[0], 0)
                self.assertEqual(gains, sorted(gains))
            self.assertAlmostEqual(result['mean_gain_db']['all']['2'],
                                   np.mean([r['gain_db']['2'] for r in result['sequences']]), 9)

    def test_the_command_writes_json_and_refuses_bad_input(self):
        with tempfile.TemporaryDirectory() as d:
            make_sequences(os.path.join(d, 'set'), frames=2, size=(16, 20))
            out = os.path.join(d, 'out', 'ceiling.json')
            self.assertEqual(main([os.path.join(d, 'set'), '--radii', '1,3', '--out', out]), 0)
            with open(out) as f:
                self.assertEqual(json.load(f)['radii'], [1, 3])
            self.assertEqual(main([os.path.join(d, 'set'), '--radii', '0']), 2)
            self.assertEqual(main([os.path.join(d, 'set'), '--radii', 'two']), 2)
            self.assertEqual(main([os.path.join(d, 'nowhere')]), 2)
