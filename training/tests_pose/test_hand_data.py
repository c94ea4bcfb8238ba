"""Training data with hands: composites (hand_composites.py), their masks through the renders (hand_masks.py), the
loader's handBox and the pose-aware loss's use of it."""
import json
import os
import tempfile
import unittest

import numpy as np
import torch
from PIL import Image

from promotion.data import SequenceDataset
from promotion.data.hand_composites import LeakError, build, hand_cutout
from promotion.data.hand_masks import attach, whole_hand_box
from promotion.losses.pose import HandPoseLoss

from tests.helpers import make_dataset, write_config, write_png
from .test_handpose import hand_crop

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..'))
HANDS = os.path.join(ROOT, 'test', 'fixtures', 'hands')
PALM = os.path.join(HANDS, 'Back_Projection_Theory0.jpg')
LISTED = os.path.join(HANDS, 'Back_Projection_Theory2.jpg')


def _manifest(d):
    path = os.path.join(d, 'eval.json')
    with open(path, 'w') as f:
        json.dump({'photos': [{'path': LISTED}]}, f)
    return path


def _background(d):
    path = os.path.join(d, 'bg', 'texture.png')
    os.makedirs(os.path.dirname(path))
    rng = np.random.default_rng(4)
    Image.fromarray(np.kron(rng.integers(0, 255, (40, 60, 3), dtype=np.uint8), np.ones((8, 8, 1), np.uint8))).save(path)
    return os.path.dirname(path)


class HandCompositesTest(unittest.TestCase):
    def test_cutout_of_an_open_palm(self):
        with Image.open(PALM) as im:
            rgb = np.asarray(im.convert('RGB'))
        alpha, fg = hand_cutout(rgb)
        h, w = alpha.shape
        self.assertEqual(alpha[h // 2, w // 2], 1.0)  # the palm
        self.assertEqual(alpha[5, w - 5], 0.0)        # the wall
        self.assertTrue(0.2 < alpha.mean() < 0.7, alpha.mean())
        self.assertTrue((fg[alpha == 0] == 0).all())
        with self.assertRaisesRegex(ValueError, r'skin and wall do not separate'):
            hand_cutout(np.full((64, 64, 3), 128, np.uint8))

    def test_build_refuses_an_evaluation_photo_and_records_every_still(self):
        with tempfile.TemporaryDirectory() as d:
            backgrounds, manifest = _background(d), _manifest(d)
            with self.assertRaises(LeakError) as caught:
                build([PALM, LISTED], [backgrounds], manifest, os.path.join(d, 'out'), os.path.join(d, 'm'), 2,
                      (320, 240), 1)
            self.assertIn('Back_Projection_Theory2.jpg', str(caught.exception))
            self.assertFalse(os.path.exists(os.path.join(d, 'out')))
            records = build([PALM], [backgrounds], manifest, os.path.join(d, 'out'), os.path.join(d, 'm'), 2,
                            (320, 240), 1, hands_per_still=2, hand_px=(60, 90))
            self.assertEqual([r['file'] for r in records], ['hand_00000.png', 'hand_00001.png'])
            for r in records:
                mask = np.asarray(Image.open(os.path.join(d, 'm', r['file'])).convert('L'))
                self.assertEqual(mask.shape, (240, 320))
                for placed in r['hands']:
                    x, y, w, h = placed['boxPx']
                    self.assertGreater(mask[y:y + h, x:x + w].mean(), 60)  # the hand covers much of its box
                covered = sum(p['boxPx'][2] * p['boxPx'][3] for p in r['hands'])
                self.assertLess((mask > 0).sum(), covered + 1)  # and nothing outside the boxes
            with open(os.path.join(d, 'out', 'composites.json')) as f:
                self.assertEqual(len(json.load(f)['stills']), 2)
            again = build([PALM], [backgrounds], manifest, os.path.join(d, 'again'), os.path.join(d, 'm2'), 2,
                          (320, 240), 1, hands_per_still=2, hand_px=(60, 90))
            self.assertEqual(again, records)  # seeded


class HandMasksTest(unittest.TestCase):
    def test_whole_hand_box_skips_hands_the_crop_cuts(self):
        mask = np.zeros((64, 64), np.float32)
        mask[10:40, 20:45] = 1.0   # whole
        mask[50:64, 0:30] = 1.0    # cut by the bottom edge, and larger
        self.assertEqual(whole_hand_box(mask), [20.0, 10.0, 45.0, 40.0])
        self.assertIsNone(whole_hand_box(mask[20:, :]))

    def test_attach_checks_the_scene_and_the_loader_boxes_the_hand_through_flips(self):
        with tempfile.TemporaryDirectory() as d:
            scenes, masks = make_dataset(os.path.join(d, 'scenes'), sequences=1), os.path.join(d, 'masks')
            spec = {'frames': 6, 'scene': {'photo': 'a.png', 'camera': {'start': {'x': 1}}}}
            with open(os.path.join(scenes, 'seq0', 'synthesis.json'), 'w') as f:
                json.dump({**spec, 'motionMaps': {'kind': 'magnitude'}}, f)
            other = {'frames': 6, 'scene': {'photo': 'a-mask.png', 'camera': {'start': {'x': 2}}}}
            os.makedirs(os.path.join(masks, 'seq0', 'sharp'))
            with open(os.path.join(masks, 'seq0', 'synthesis.json'), 'w') as f:
                json.dump(other, f)
            with self.assertRaisesRegex(ValueError, r'seq0: the mask render draws another scene'):
                attach(scenes, masks)
            with open(os.path.join(masks, 'seq0', 'synthesis.json'), 'w') as f:
                json.dump({**spec, 'scene': {**spec['scene'], 'photo': 'a-mask.png'}}, f)
            blob = np.zeros((48, 48, 3), np.uint8)  # the renders write 16-bit RGB; 8-bit reads the same way
            blob[6:30, 10:34] = 255
            for i in range(6):
                write_png(os.path.join(masks, 'seq0', 'sharp', f'{i:04d}.png'), blob)
            self.assertEqual(attach(scenes, masks), 1)
            plain = SequenceDataset([scenes], crop=None, augment=False)
            self.assertEqual(plain[0]['handBox'].tolist(), [10.0, 6.0, 34.0, 30.0])
            flipped = SequenceDataset([scenes], crop=None, augment=True, seed=0)
            for i in range(len(flipped)):
                x0, y0, x1, y1 = flipped[i]['handBox'].tolist()
                self.assertIn((x0, x1), [(10.0, 34.0), (14.0, 38.0)])   # 48 - 34 = 14
                self.assertIn((y0, y1), [(6.0, 30.0), (18.0, 42.0)])
            no_masks = SequenceDataset([make_dataset(os.path.join(d, 'plain'), sequences=1)], crop=None)
            self.assertEqual(no_masks[0]['handBox'].tolist(), [-1.0, -1.0, -1.0, -1.0])


class PoseLossWithBoxesTest(unittest.TestCase):
    def test_a_known_hand_box_is_used_and_equal_crops_give_zero(self):
        sharp = hand_crop('hand_wave/2', side=160)
        boxes = torch.tensor([[20.0, 10.0, 150.0, 150.0]])
        loss = HandPoseLoss('lite')
        value, parts = loss(sharp.clone(), sharp, boxes)
        self.assertEqual(value.item(), 0.0)
        self.assertEqual(parts['pose_hands'], 1.0)
        none = torch.tensor([[-1.0, -1.0, -1.0, -1.0]])
        self.assertEqual(loss(sharp.clone(), sharp, none)[1]['pose_hands'], 1.0)  # found in the whole crop
        with self.assertRaisesRegex(ValueError, r'Expected hand boxes \[1, 4\] but received \[4\]'):
            loss(sharp, sharp, boxes[0])


if __name__ == '__main__':
    unittest.main()


class TrainWithPoseTest(unittest.TestCase):
    def test_the_pose_columns_are_logged_when_the_term_is_on(self):
        import csv

        from promotion.train import train
        from tests.helpers import TINY
        with tempfile.TemporaryDirectory() as d:
            make_dataset(os.path.join(d, 'data'), sequences=1)
            cfg = {'name': 'pose', 'seed': 0, 'threads': 2, 'device': 'cpu',
                   'network': {'type': 'promotion-s', **TINY},
                   'loss': {'perceptual_weight': 0, 'pose': {'weight': 1.0, 'variant': 'lite'}},
                   'datasets': {'train': {'roots': ['data'], 'crop': 32}}, 'output': 'out',
                   'train': {'batch_size': 2, 'iterations': 2, 'checkpoint_every': 2, 'val_every': 2,
                             'log_every': 1}}
            path = os.path.join(d, 'config.yml')
            write_config(path, cfg)
            train(path, quiet=True)
            with open(os.path.join(d, 'out', 'train.csv')) as f:
                rows = list(csv.DictReader(f))
            self.assertEqual([r['iteration'] for r in rows], ['1', '2'])
            # Noise textures hold no hand: the term is logged, and 0.
            self.assertEqual([(float(r['pose']), float(r['pose_hands'])) for r in rows], [(0.0, 0.0), (0.0, 0.0)])
