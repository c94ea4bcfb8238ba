"""The directional motion input (contract version 3): the flow vectors as flow_torch computes them, the network's
switch, growing a directional network from a magnitude-only export, the data loader's flow and its augmentation,
and the export's card."""
import json
import os
import tempfile
import unittest

import numpy as np
import torch

from promotion.archs import build_network
from promotion.data import SequenceDataset
from promotion.flow_torch import dis_flow, grey_255, motion_input, motion_map

from .helpers import inputs, make_dataset

TINY_C = {'type': 'promotion-c', 'num_feat': 8, 'enc_blocks': [1, 1, 1], 'middle_blocks': 1, 'dec_blocks': [1, 1, 1]}


def _greys(h=48, w=64, shift=3, seed=0):
    """Three grey frames [1, H, W] 0..255 of a blocky texture moving `shift` px left per frame (the view pans right)."""
    rng = np.random.default_rng(seed)
    texture = np.kron(rng.random((h // 4, w // 4 + 3 * shift)), np.ones((4, 4))) * 255
    return [torch.from_numpy(texture[:, k * shift:k * shift + w].astype(np.float32)[None]) for k in range(3)]


class MotionInputTest(unittest.TestCase):
    def test_map_and_vectors_from_one_flow_call(self):
        prev, centre, nxt = _greys()
        m, peak, flow = motion_input(prev, centre, nxt, finest_level=1)
        m2, peak2 = motion_map(prev, centre, nxt, finest_level=1)
        self.assertTrue(torch.equal(m, m2) and torch.equal(peak, peak2))
        self.assertEqual(tuple(flow.shape), (1, 4, 48, 64))
        self.assertTrue(torch.equal(flow[:, 0:2], dis_flow(centre, nxt, finest_level=1)))
        self.assertTrue(torch.equal(flow[:, 2:4], dis_flow(centre, prev, finest_level=1)))
        # The content moves 3 px left per frame: the flow to the next frame is (-3, 0), to the previous one (3, 0).
        self.assertAlmostEqual(float(flow[0, 0, 16:32, 16:48].median()), -3.0, delta=0.5)
        self.assertAlmostEqual(float(flow[0, 2, 16:32, 16:48].median()), 3.0, delta=0.5)
        self.assertLess(float(flow[0, 1, 16:32, 16:48].abs().median()), 0.5)

    def test_the_missing_flow_at_a_sequence_end_is_the_negated_other(self):
        prev, centre, nxt = _greys()
        _, _, first = motion_input(None, centre, nxt, finest_level=1)
        self.assertTrue(torch.equal(first[:, 2:4], -first[:, 0:2]))
        _, _, last = motion_input(prev, centre, None, finest_level=1)
        self.assertTrue(torch.equal(last[:, 0:2], -last[:, 2:4]))
        self.assertTrue(torch.equal(last[:, 2:4], dis_flow(centre, prev, finest_level=1)))


class DirectionalNetworkTest(unittest.TestCase):
    def test_starts_as_the_magnitude_only_network_and_needs_its_flow(self):
        torch.manual_seed(0)
        plain = build_network(TINY_C).eval()
        with torch.no_grad():
            plain.exit.weight.normal_(0, 0.05)
        directional = build_network({**TINY_C, 'directional_motion': True}).eval()
        missing = directional.load_state_dict(plain.state_dict(), strict=False).missing_keys
        self.assertEqual(sorted(missing), ['fuse_flow.bias', 'fuse_flow.weight'])
        x = inputs(1, 32, 32)
        flow = torch.randn(1, 4, 32, 32) * 8
        with torch.no_grad():
            self.assertTrue(torch.equal(plain(*x), directional(*x, flow)))
            directional.fuse_flow.weight.normal_(0, 0.1)
            self.assertFalse(torch.equal(plain(*x), directional(*x, flow)))
            # The export graph's form computes the same function with the flow too.
            directional.export_graph = True
            exported = directional(*x, flow)
            directional.export_graph = False
            torch.testing.assert_close(exported, directional(*x, flow), atol=2e-5, rtol=0)
        with self.assertRaisesRegex(ValueError, 'needs flow'):
            directional(*x)
        with self.assertRaisesRegex(ValueError, 'without directional_motion'):
            plain(*x, flow)
        self.assertNotIn('directional_motion', plain.config)  # older cards and checkpoints stay as they were
        self.assertTrue(directional.config['directional_motion'])

    def test_sign_reversed_blur_gives_the_same_direction_features(self):
        from promotion.archs.unet_arch import FLOW_SCALE, flow_features
        flow = torch.randn(2, 4, 8, 8) * 10
        a, b = flow_features(flow), flow_features(-flow)
        torch.testing.assert_close(a[:, [2, 3, 6, 7]], b[:, [2, 3, 6, 7]])
        torch.testing.assert_close(a[:, [0, 1, 4, 5]], -b[:, [0, 1, 4, 5]])
        # The direction maps grow with the length m (in FLOW_SCALE px) as m^2 / (1 + m): about linearly for long
        # motion, so 60 px of motion (or a wrong flow in a flat region) stays within a few units.
        along_x = torch.zeros(1, 4, 1, 1)
        along_x[0, 0] = 4 * FLOW_SCALE
        self.assertAlmostEqual(float(flow_features(along_x)[0, 2]), 16 / 5, places=5)
        self.assertAlmostEqual(float(flow_features(along_x)[0, 3]), 0.0, places=6)

    def test_grows_from_a_magnitude_only_export(self):
        from promotion.export import main as export_main
        from promotion.onnx_weights import load_export_weights
        with tempfile.TemporaryDirectory() as d:
            self.assertEqual(export_main(['--random-init', '--preset', 'promotion-c', '--set', 'num_feat=8',
                                          '--name', 'plain', '--out-dir', d]), 0)
            card = os.path.join(d, 'plain.json')
            spec = {'type': 'promotion-c', 'num_feat': 8}
            plain = build_network(spec).eval()
            load_export_weights(plain, card)
            directional = build_network({**spec, 'directional_motion': True}).eval()
            with self.assertRaisesRegex(ValueError, 'another network'):
                load_export_weights(directional, card)
            self.assertEqual(sorted(load_export_weights(directional, card, grow=True)),
                             ['fuse_flow.bias', 'fuse_flow.weight'])
            x = inputs(1, 32, 32)
            with torch.no_grad():
                self.assertTrue(torch.equal(plain(*x), directional(*x, torch.randn(1, 4, 32, 32))))
            # Growing never drops: a wider network is still another network.
            with self.assertRaisesRegex(ValueError, 'another network'):
                load_export_weights(build_network({**spec, 'num_feat': 16, 'directional_motion': True}), card,
                                    grow=True)


class DataFlowTest(unittest.TestCase):
    def test_flow_follows_crops_flips_and_reversal(self):
        with tempfile.TemporaryDirectory() as d:
            root = make_dataset(os.path.join(d, 'data'), sequences=1, frames=5, size=64)
            with self.assertRaisesRegex(ValueError, 'flow_input'):
                SequenceDataset([root], flow_input=True)
            whole = SequenceDataset([root], crop=None, augment=False, motion_finest_level=1, flow_input=True)
            s = whole[2]
            grey = grey_255(s['frames'][1:4])
            m, _, flow = motion_input(grey[0:1], grey[1:2], grey[2:3], finest_level=1)
            self.assertTrue(torch.equal(s['flow'], flow[0]) and torch.equal(s['motion'], m[0]))
            self.assertNotIn('flow', SequenceDataset([root], crop=None, augment=False, motion_finest_level=1)[2])
            seen = set()
            for seed in range(12):
                plain = SequenceDataset([root], crop=32, augment=False, motion_finest_level=1, flow_input=True,
                                        seed=seed)[2]
                aug = SequenceDataset([root], crop=32, augment=True, motion_finest_level=1, flow_input=True,
                                      seed=seed, cache=True)[2]
                frames, flow = plain['frames'], plain['flow']
                flips = []
                if not torch.equal(aug['gt'], plain['gt']):
                    if torch.equal(aug['gt'], plain['gt'].flip(-1)):
                        flips.append('x')
                    elif torch.equal(aug['gt'], plain['gt'].flip(-2)):
                        flips.append('y')
                    else:
                        self.assertTrue(torch.equal(aug['gt'], plain['gt'].flip(-1).flip(-2)))
                        flips += ['x', 'y']
                if 'x' in flips:
                    frames, flow = frames.flip(-1), flow.flip(-1) * torch.tensor([-1., 1, -1, 1]).view(4, 1, 1)
                if 'y' in flips:
                    frames, flow = frames.flip(-2), flow.flip(-2) * torch.tensor([1., -1, 1, -1]).view(4, 1, 1)
                if not torch.equal(aug['frames'], frames):
                    self.assertTrue(torch.equal(aug['frames'], frames.flip(0)))
                    flow = flow[[2, 3, 0, 1]]
                    flips.append('t')
                self.assertTrue(torch.equal(aug['flow'], flow), f'seed {seed}: {flips}')
                seen.update(flips)
            self.assertEqual(seen, {'x', 'y', 't'})


class ExportContract3Test(unittest.TestCase):
    def test_card_and_parity_of_a_directional_export(self):
        from promotion.export import main as export_main
        with tempfile.TemporaryDirectory() as d:
            args = ['--random-init', '--preset', 'promotion-c', '--set', 'num_feat=8', '--set',
                    'directional_motion=true', '--name', 'dir', '--out-dir', d, '--parity-dir', os.path.join(d, 'p'),
                    '--parity-sizes', '32x32']
            self.assertEqual(export_main(args), 0)
            with open(os.path.join(d, 'dir.json')) as f:
                card = json.load(f)
            self.assertEqual(card['contractVersion'], 3)
            self.assertEqual([t['name'] for t in card['inputs']],
                             ['frames', 'motion', 'blurWeights', 'contrastScale', 'flow'])
            self.assertTrue(card['architecture']['directional_motion'])
            with open(os.path.join(d, 'p', 'parity.json')) as f:
                self.assertIn('flow', json.load(f)['cases'][0]['tensors'])
            self.assertEqual(export_main(args[:-4] + ['--contract', '2']), 2)  # not in two parts


if __name__ == '__main__':
    unittest.main()
