import csv
import json
import os
import tempfile
import unittest

import numpy as np
import torch
from PIL import Image

from promotion.flow_torch import grey_255, motion_map
from promotion.frame_val import (FrameValidation, card_clamp_motion, card_clamp_radius, check_no_deconvolution,
                                  find_sequences)
from promotion.statistics import blur_weights, grey_unit
from promotion.train import load_checkpoint, train

from .helpers import TINY, make_dataset, write_config


def make_sequences(root, frames=4, size=(48, 64), seed=0):
    """A yardstick-like folder: camera/scene_00000 and local/scene_00000, blur/ and sharp/ 8-bit frames of a texture
    panning 2 px per frame (blurred: a horizontal box blur), and a synthesis.json each."""
    rng = np.random.default_rng(seed)
    h, w = size
    for kind in ('camera', 'local'):
        texture = np.kron(rng.random((h // 4, w // 4 + frames, 3)), np.ones((4, 4, 1)))
        folder = os.path.join(root, kind, 'scene_00000')
        for part in ('blur', 'sharp'):
            os.makedirs(os.path.join(folder, part))
        for i in range(frames):
            sharp = texture[:, 2 * i:2 * i + w][:h]
            blurred = np.mean([texture[:, 2 * i + d:2 * i + d + w][:h] for d in range(3)], axis=0)
            for part, image in (('sharp', sharp), ('blur', blurred)):
                Image.fromarray((image * 255).round().astype(np.uint8)).save(
                    os.path.join(folder, part, f'frame_{i:06d}.png'))
        with open(os.path.join(folder, 'synthesis.json'), 'w') as f:
            json.dump({'frames': frames, 'scene': {}}, f)
    return root


def psnr_8bit(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255 ** 2 / mse)


class Recorder(torch.nn.Module):
    """Returns frame `index` of the window and records the inputs it was given."""

    def __init__(self, index):
        super().__init__()
        self.index, self.calls = index, []
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, frames, motion, weights, scales):
        self.calls.append((frames.clone(), motion.clone(), weights.clone(), scales.clone()))
        return frames[:, self.index]


def read(folder):
    return [np.asarray(Image.open(os.path.join(folder, n))) for n in sorted(os.listdir(folder))]


class FrameValidationTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.root = make_sequences(self.dir.name)

    def tearDown(self):
        self.dir.cleanup()

    def test_a_network_that_returns_its_input_gains_nothing(self):
        result = FrameValidation(self.root, torch.device('cpu')).score(Recorder(2))
        self.assertEqual([r['id'] for r in result['sequences']], ['camera/scene_00000', 'local/scene_00000'])
        for r in result['sequences']:
            blurred = read(os.path.join(self.root, r['id'], 'blur'))
            sharp = read(os.path.join(self.root, r['id'], 'sharp'))
            self.assertAlmostEqual(r['blurred_db'], np.mean([psnr_8bit(b, s) for b, s in zip(blurred, sharp)]), 9)
            self.assertAlmostEqual(r['gain_db'], 0.0, 9)
        self.assertAlmostEqual(result['gain'], 0.0, 9)
        self.assertEqual(set(result) - {'sequences'}, {'gain', 'worst', 'camera', 'local'})

    def test_windows_repeat_the_edge_frames_and_inputs_are_the_whole_frames(self):
        # The network returns the window's first frame: frame k - 2, the first frame repeated at the start; PSNR
        # against the sharp frame k as the yardstick computes it (8-bit, without the clamp here).
        validation = FrameValidation(self.root, torch.device('cpu'), clamp_radius=0)
        model = Recorder(0)
        result = validation.score(model)
        blurred = read(os.path.join(self.root, 'camera', 'scene_00000', 'blur'))
        sharp = read(os.path.join(self.root, 'camera', 'scene_00000', 'sharp'))
        expected = np.mean([psnr_8bit(blurred[max(k - 2, 0)], sharp[k]) for k in range(4)])
        self.assertAlmostEqual(result['sequences'][0]['restored_db'], expected, 6)
        frames, motion, weights, scales = model.calls[0]  # camera sequence, frame 0: window 0, 0, 0, 1, 2
        self.assertEqual(list(frames.shape), [1, 5, 3, 48, 64])
        self.assertEqual(list(motion.shape), [1, 1, 48, 64])
        greys = [grey_unit(blurred[i], 255) for i in (0, 0, 0, 1, 2)]
        np.testing.assert_allclose(weights[0].numpy(), blur_weights(greys), rtol=1e-5)
        inputs = torch.from_numpy(np.stack(blurred)).permute(0, 3, 1, 2).float() / 255
        g = grey_255(inputs)
        expected_map, _ = motion_map(None, g[0:1], g[1:2], finest_level=2)
        self.assertTrue(torch.equal(motion, expected_map))

    def test_the_clamp_binds_as_deblur_does(self):
        # A network that brightens everything: the clamp to the local range takes most of it back.
        class Brighten(Recorder):
            def forward(self, frames, motion, weights, scales):
                return frames[:, 2] + 0.2
        clamped = FrameValidation(self.root, torch.device('cpu'), clamp_radius=3).score(Brighten(2))
        free = FrameValidation(self.root, torch.device('cpu'), clamp_radius=0).score(Brighten(2))
        self.assertLess(free['gain'], clamped['gain'])
        self.assertLess(free['gain'], -3)

    def test_the_clamp_can_follow_the_motion(self):
        # The texture pans 2 px per frame: at scale 100 every moving pixel asks for the largest radius, at scale 0
        # none leaves the fixed one.
        class Brighten(Recorder):
            def forward(self, frames, motion, weights, scales):
                return frames[:, 2] + 0.2
        score = lambda radius, motion=None: FrameValidation(  # noqa: E731
            self.root, torch.device('cpu'), clamp_radius=radius, clamp_motion=motion).score(Brighten(2))['gain']
        self.assertEqual(score(1, (0.0, 5)), score(1))
        self.assertEqual(score(1, (100.0, 5)), score(5))
        self.assertLess(score(5), score(1))

    def test_missing_or_empty_folders_are_named(self):
        with self.assertRaisesRegex(ValueError, 'build-yardstick'):
            find_sequences(os.path.join(self.root, 'nowhere'))
        with tempfile.TemporaryDirectory() as empty:
            with self.assertRaisesRegex(ValueError, 'synthesis.json'):
                find_sequences(empty)

    def test_a_card_gives_its_clamp_radius_as_deblur_runs_it(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, 'two.json'), 'w') as f:
                json.dump({'name': 'two', 'clampRadius': 2}, f)
            with open(os.path.join(d, 'plain.json'), 'w') as f:
                json.dump({'name': 'plain'}, f)
            self.assertEqual(card_clamp_radius(os.path.join(d, 'two.json')), 2)
            self.assertEqual(card_clamp_radius(os.path.join(d, 'two.onnx')), 2)  # the card beside the model
            self.assertEqual(card_clamp_radius(os.path.join(d, 'plain.json')), 3)
            self.assertEqual(card_clamp_radius(os.path.join(d, 'checkpoint.pt')), 3)
            # A card's motion-following clamp, which deblur() follows unless given a radius.
            with open(os.path.join(d, 'moving.json'), 'w') as f:
                json.dump({'name': 'moving', 'clampRadius': 2, 'clampMotion': {'scale': 0.25, 'maxRadius': 8}}, f)
            self.assertEqual(card_clamp_motion(os.path.join(d, 'moving.json')), [0.25, 8])
            self.assertIsNone(card_clamp_motion(os.path.join(d, 'two.json')))
            self.assertIsNone(card_clamp_motion(os.path.join(d, 'checkpoint.pt')))

    def test_a_card_with_the_deconvolution_is_refused_not_scored_without_it(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, 'rl.json'), 'w') as f:
                json.dump({'name': 'rl', 'clampRadius': 2, 'deconvolve': 10}, f)
            with open(os.path.join(d, 'none.json'), 'w') as f:
                json.dump({'name': 'none', 'clampRadius': 2, 'deconvolve': 0}, f)
            with self.assertRaisesRegex(ValueError, 'yardstick'):
                check_no_deconvolution(os.path.join(d, 'rl.json'))
            check_no_deconvolution(os.path.join(d, 'none.json'))
            check_no_deconvolution(os.path.join(d, 'checkpoint.pt'))


class TrainingWithFrameValidationTest(unittest.TestCase):
    def test_the_best_weights_are_kept_with_their_scores(self):
        with tempfile.TemporaryDirectory() as d:
            make_dataset(os.path.join(d, 'data'))
            make_sequences(os.path.join(d, 'val'), size=(32, 48))
            cfg = {
                'name': 'test', 'seed': 0, 'threads': 2, 'device': 'cpu',
                'network': {'type': 'promotion-s', **TINY}, 'loss': {},
                'datasets': {'train': {'roots': ['data'], 'crop': 32}},
                'frame_val': {'root': 'val', 'every': 2},
                'output': 'out',
                'train': {'batch_size': 2, 'iterations': 4, 'lr': 2e-3, 'checkpoint_every': 4, 'log_every': 1},
            }
            path = os.path.join(d, 'config.yml')
            write_config(path, cfg)
            train(path, quiet=True)
            with open(os.path.join(d, 'out', 'frame_val.csv')) as f:
                rows = list(csv.DictReader(f))
            self.assertEqual([int(r['iteration']) for r in rows], [0, 2, 4])
            gains = [float(r['gain']) for r in rows]
            best = max(range(3), key=lambda i: gains[i])
            self.assertEqual([int(r['best']) for r in rows][0], 1)
            state = load_checkpoint(os.path.join(d, 'out', 'best.pt'))
            self.assertEqual(state['iteration'], int(rows[best]['iteration']))
            self.assertAlmostEqual(state['frame_val']['gain'], gains[best], 3)
            cfg['frame_val'] = {'root': 'val', 'every': 0}
            write_config(path, cfg)
            with self.assertRaisesRegex(ValueError, 'frame_val.every'):
                train(path, quiet=True)

    def test_several_validation_sets_count_once_each(self):
        import torch
        from promotion.train import _FrameVal
        from promotion.config import load_config
        from promotion.archs import build_network
        with tempfile.TemporaryDirectory() as d:
            make_dataset(os.path.join(d, 'data'))
            make_sequences(os.path.join(d, 'val'), size=(32, 48))
            make_sequences(os.path.join(d, 'lines'), size=(32, 32), seed=1)
            cfg = {
                'name': 'test', 'seed': 0, 'threads': 2, 'device': 'cpu',
                'network': {'type': 'promotion-s', **TINY}, 'loss': {},
                'datasets': {'train': {'roots': ['data'], 'crop': 32}},
                'frame_val': {'root': ['val', 'lines'], 'every': 2, 'deadband': 1, 'deadband_flat': 12},
                'output': 'out',
                'train': {'batch_size': 2, 'iterations': 2, 'lr': 2e-3, 'checkpoint_every': 2, 'log_every': 1},
            }
            path = os.path.join(d, 'config.yml')
            write_config(path, cfg)
            loaded = load_config(path)
            self.assertEqual(loaded['frame_val']['root'], [os.path.join(d, 'val'), os.path.join(d, 'lines')])
            os.makedirs(loaded['output'], exist_ok=True)
            fv = _FrameVal(loaded, torch.device('cpu'), 0, True)
            model = build_network(loaded['network'])
            result = fv.score(model)
            sets = result['sets']
            self.assertEqual(sorted(sets), ['lines', 'val'])
            self.assertAlmostEqual(result['gain'], (sets['val']['gain'] + sets['lines']['gain']) / 2, 9)
            self.assertEqual(result['worst'], min(sets['val']['worst'], sets['lines']['worst']))
            self.assertEqual([v.deadband for _, v in fv.validations], [1.0, 1.0])
            # Each set scored alone gives its own result.
            alone = FrameValidation(os.path.join(d, 'lines'), torch.device('cpu'), deadband=1.0, deadband_flat=12.0)
            self.assertAlmostEqual(alone.score(model)['gain'], sets['lines']['gain'], 9)
            cfg['frame_val'] = {'root': [], 'every': 2}
            write_config(path, cfg)
            with self.assertRaisesRegex(ValueError, 'a list of them'):
                load_config(path)
            cfg['frame_val'] = {'root': 'val', 'every': 2, 'deadband': 30}
            write_config(path, cfg)
            with self.assertRaisesRegex(ValueError, 'frame_val.deadband'):
                load_config(path)


if __name__ == '__main__':
    unittest.main()
