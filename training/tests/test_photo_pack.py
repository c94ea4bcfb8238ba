import json
import os
import shutil
import tempfile
import unittest

import numpy as np
from PIL import Image

from promotion.data.photo_pack import main as pack_main

REPO = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..'))


class PhotoPackTest(unittest.TestCase):
    def test_crops_at_each_detail_level_and_its_record(self):
        with tempfile.TemporaryDirectory() as d:
            photos = os.path.join(d, 'photos')
            os.makedirs(photos)
            rng = np.random.default_rng(0)
            flat = np.full((300, 400, 3), 90, np.uint8)
            flat[:, 200:] = (rng.random((300, 200, 3)) * 255).astype(np.uint8)  # texture on the right half only
            Image.fromarray(flat).save(os.path.join(photos, 'half.png'))
            out = os.path.join(d, 'pack')
            manifest = os.path.join(d, 'manifest.json')
            with open(manifest, 'w') as f:
                json.dump({'photos': [{'sha256': '0' * 64}]}, f)  # a photo that is not there
            self.assertEqual(pack_main([photos, out, '--side', '128', '--detail', '1,0.5,0.3', '--manifest', manifest]), 0)
            with open(os.path.join(out, 'pack.json')) as f:
                info = json.load(f)
            # 0.3 x 300 = 90 px < 128: that level is left out.
            self.assertEqual([c['detail'] for c in info['crops']], [1, 0.5])
            first = info['crops'][0]
            self.assertGreaterEqual(first['box'][0], 200 - 128 // 2)  # the textured half wins
            self.assertEqual(Image.open(os.path.join(out, first['file'])).size, (128, 128))

    def test_an_evaluation_photo_never_gets_into_a_pack(self):
        with tempfile.TemporaryDirectory() as d:
            photos = os.path.join(d, 'photos')
            os.makedirs(photos)
            shutil.copy(os.path.join(REPO, 'test', 'fixtures', 'hands', 'Back_Projection_Theory2.jpg'), photos)
            out = os.path.join(d, 'pack')
            code = pack_main([photos, out, '--side', '64', '--manifest', os.path.join(REPO, 'datasets', 'eval-photos.json')])
            self.assertEqual(code, 2)
            self.assertFalse(os.path.exists(os.path.join(out, 'pack.json')))

    def test_bad_options_are_refused(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertEqual(pack_main([os.path.join(d, 'none'), os.path.join(d, 'out')]), 2)
            os.makedirs(os.path.join(d, 'p'))
            self.assertEqual(pack_main([os.path.join(d, 'p'), os.path.join(d, 'out'), '--detail', '0,2']), 2)


if __name__ == '__main__':
    unittest.main()
