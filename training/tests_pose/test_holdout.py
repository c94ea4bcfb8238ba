"""promotion/data/holdout.py: evaluation photos never reach training."""
import hashlib
import io
import json
import os
import tempfile
import unittest

import numpy as np
from PIL import Image

from promotion.data.holdout import best_ncc, find_leaks, load_manifest, main

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..'))
HANDS = os.path.join(ROOT, 'test', 'fixtures', 'hands')
PALM = os.path.join(HANDS, 'Back_Projection_Theory2.jpg')      # the FPHA sample's open palm
OTHER_PALM = os.path.join(HANDS, 'Back_Projection_Theory0.jpg')  # another photo of an open palm


def _manifest(d, entries):
    path = os.path.join(d, 'eval-photos.json')
    with open(path, 'w') as f:
        json.dump({'photos': entries}, f)
    return path


def _screenshot(d):
    """The palm photo shown in a window: a title bar above it, scaled by 0.9, saved again as JPEG."""
    with Image.open(PALM) as im:
        photo = im.convert('RGB')
    w, h = photo.size
    shot = Image.new('RGB', (w, h + 30), (200, 200, 200))
    shot.paste(photo, (0, 30))
    shot = shot.resize((round(w * 0.9), round((h + 30) * 0.9)), Image.BILINEAR)
    buffer = io.BytesIO()
    shot.save(buffer, 'JPEG', quality=80)
    path = os.path.join(d, 'screenshot.jpg')
    with open(path, 'wb') as f:
        f.write(buffer.getvalue())
    return path


class BestNccTest(unittest.TestCase):
    def test_finds_a_template_where_it_was_cut(self):
        rng = np.random.default_rng(0)
        image = rng.random((40, 50))
        self.assertAlmostEqual(best_ncc(image, image[10:25, 20:41]), 1.0, places=9)
        self.assertLess(best_ncc(image, rng.random((15, 21))), 0.6)
        self.assertEqual(best_ncc(image, np.full((5, 5), 0.3)), 0.0)


class HoldoutTest(unittest.TestCase):
    def test_the_same_file_the_same_picture_and_a_different_photo(self):
        with tempfile.TemporaryDirectory() as d:
            with open(PALM, 'rb') as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            manifest = load_manifest(_manifest(d, [{'sha256': digest}, {'path': os.path.relpath(PALM, ROOT)}]))
            shot = _screenshot(d)
            leaks = find_leaks([PALM, shot, OTHER_PALM], manifest)
            self.assertEqual([(os.path.basename(x.photo), x.reason.split(' (')[0]) for x in leaks],
                             [('Back_Projection_Theory2.jpg', 'the same file'),
                              ('screenshot.jpg', 'the same picture')])

    def test_cli_exit_codes_and_messages(self):
        with tempfile.TemporaryDirectory() as d:
            path = _manifest(d, [{'path': PALM}])
            self.assertEqual(main(['--manifest', path, OTHER_PALM]), 0)
            self.assertEqual(main(['--manifest', path, OTHER_PALM, _screenshot(d)]), 3)
            self.assertEqual(main(['--manifest', os.path.join(d, 'none.json'), OTHER_PALM]), 2)
            with self.assertRaisesRegex(ValueError, r'photos\[0\] needs a path or a sha256'):
                load_manifest(_manifest(d, [{'credit': 'x'}]))
            with self.assertRaisesRegex(ValueError, r'does not exist: pass the manifest of the evaluation photos'):
                load_manifest(os.path.join(d, 'none.json'))


if __name__ == '__main__':
    unittest.main()
