import unittest

import torch

from promotion.archs import PRESETS, Promotion, build_network, count_parameters

from .helpers import TINY, inputs


class ArchitectureTest(unittest.TestCase):
    def test_output_shape_at_two_sizes(self):
        torch.manual_seed(0)
        net = Promotion(**TINY).eval()
        for h, w in ((32, 32), (48, 64)):
            with torch.no_grad():
                out = net(*inputs(2, h, w))
            self.assertEqual(list(out.shape), [2, 3, h, w])

    def test_lean_io_has_no_full_resolution_convolution(self):
        torch.manual_seed(0)
        net = Promotion(**TINY, lean_io=True).eval()
        for h, w in ((32, 32), (48, 64)):
            with torch.no_grad():
                out = net(*inputs(2, h, w))
            self.assertEqual(list(out.shape), [2, 3, h, w])
        names = {n for n, _ in net.named_parameters()}
        for absent in ('predeblur.stride_conv_hr1.weight', 'upconv2.weight', 'conv_hr.weight'):
            self.assertNotIn(absent, names)
        self.assertEqual(list(net.predeblur.conv_first.weight.shape[1:2]), [48])  # 4x4 space-to-depth of RGB
        self.assertTrue(PRESETS['promotion-s']['lean_io'] and PRESETS['edvr-s']['lean_io'])
        self.assertNotIn('lean_io', PRESETS['promotion-l'])  # the paper-size model keeps EDVR's layout

    def test_presets_and_table6_overhead(self):
        counts = {name: count_parameters(build_network({'type': name})) for name in PRESETS}
        print('\n  parameters: ' + ', '.join(f'{k} {v / 1e6:.4f}M' for k, v in sorted(counts.items())))
        # EDVR-L as published: 23.60M; PROMOTION's additions: about 0.12M (Table 6: 23.72M).
        self.assertAlmostEqual(counts['edvr-l'] / 1e6, 23.60, delta=0.005)
        overhead = counts['promotion-l'] - counts['edvr-l']
        self.assertAlmostEqual(overhead / 1e6, 0.12, delta=0.005)
        self.assertLess(counts['promotion-s'], 1.5e6)
        self.assertGreater(counts['promotion-s'], counts['edvr-s'])

    def test_each_ablation_switch(self):
        base = Promotion(**TINY)
        n = count_parameters(base)
        x = inputs(1, 32, 32)
        for switch in ('use_priors', 'use_contrast', 'use_structure', 'use_motion', 'use_blur_vector',
                       'use_channel_attention'):
            with self.subTest(switch=switch):
                torch.manual_seed(0)
                net = Promotion(**TINY, **{switch: False}).eval()
                self.assertFalse(net.config[switch])
                with torch.no_grad():
                    out = net(*x)
                self.assertEqual(list(out.shape), [1, 3, 32, 32])
                self.assertTrue(torch.isfinite(out).all())
                m = count_parameters(net)
                if switch in ('use_priors', 'use_channel_attention'):
                    self.assertLess(m, n)  # a module is removed
                else:
                    self.assertEqual(m, n)  # shapes stay; a group is fed zeros or the vector is not applied

    def test_two_parts_compose_to_forward(self):
        """extract_features per frame, stacked per window, then restore, is forward exactly; a frame's features do
        not depend on the other frames of its window (what contract version 2's reuse rests on)."""
        for kw in (dict(TINY), dict(TINY, lean_io=True, use_priors=False, use_blur_vector=False)):
            with self.subTest(**kw):
                torch.manual_seed(0)
                net = Promotion(**kw).eval()
                frames, motion, bw, cs = inputs(2, 48, 64)
                with torch.no_grad():
                    full = net(frames, motion, bw, cs)
                    per_frame = [net.extract_features(frames[:, t]) for t in range(5)]
                    stacked = [torch.stack([levels[k] for levels in per_frame], dim=1) for k in range(3)]
                    self.assertEqual([list(f.shape) for f in stacked],
                                     [[2, 5, 16, 12, 16], [2, 5, 16, 6, 8], [2, 5, 16, 3, 4]])
                    composed = net.restore(*stacked, frames, motion, bw, cs)
                    # The same frame 0 in another window (other neighbours) has the same features.
                    other = torch.cat((frames[:, :1], torch.rand_like(frames[:, 1:])), dim=1)
                    alone = net.extract_features(other.reshape(10, 3, 48, 64))[0].view(2, 5, 16, 12, 16)[:, 0]
                self.assertEqual((composed - full).abs().max().item(), 0.0)
                self.assertTrue(torch.equal(alone, per_frame[0][0]))
        with self.assertRaisesRegex(ValueError, r'Expected featL2 \[B, 5, C, H/8, W/8\]'):
            net.restore(stacked[0], stacked[1][..., :4], stacked[2], frames, motion, bw, cs)

    def test_invalid_options_and_inputs_raise_value_error(self):
        with self.assertRaisesRegex(ValueError, 'deformable_groups'):
            Promotion(num_feat=20, deformable_groups=8)
        with self.assertRaisesRegex(ValueError, 'Unknown network option'):
            build_network({'type': 'promotion-s', 'nf': 3})
        with self.assertRaisesRegex(ValueError, 'Unknown architecture'):
            build_network({'type': 'edvr-xl'})
        net = Promotion(**TINY)
        f, m, b, c = inputs(1, 32, 32)
        with self.assertRaisesRegex(ValueError, 'multiples of 16'):
            net(f[..., :24], m[..., :24], b, c)
        with self.assertRaisesRegex(ValueError, 'blurWeights'):
            net(f, m, b[:, :4], c)


class PriorWiringTest(unittest.TestCase):
    """The output changes when motion / blurWeights / contrastScale change, and does not when the matching
    ablation is on."""

    def _delta(self, switch_off, which):
        torch.manual_seed(1)
        net = Promotion(**TINY, **({switch_off: False} if switch_off else {})).eval()
        f, m, b, c = inputs(1, 32, 32, seed=5)
        changed = {'motion': (f, torch.rand_like(m), b, c),
                   'blurWeights': (f, m, torch.tensor([[2.0, 1.0, 0.5, 1.0, 0.5]]), c),
                   'contrastScale': (f, m, b, c * 3)}[which]
        with torch.no_grad():
            return (net(f, m, b, c) - net(*changed)).abs().max().item()

    def test_inputs_are_wired(self):
        for which in ('motion', 'blurWeights', 'contrastScale'):
            with self.subTest(which=which):
                self.assertGreater(self._delta(None, which), 1e-6)

    def test_ablations_cut_the_wires(self):
        for switch, which in (('use_motion', 'motion'), ('use_priors', 'motion'), ('use_blur_vector', 'blurWeights'),
                              ('use_contrast', 'contrastScale'), ('use_priors', 'contrastScale')):
            with self.subTest(switch=switch, which=which):
                self.assertEqual(self._delta(switch, which), 0.0)


if __name__ == '__main__':
    unittest.main()
