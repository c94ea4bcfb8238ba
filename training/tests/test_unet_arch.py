import os
import tempfile
import unittest

import numpy as np
import torch
from torch.nn import functional as F

from promotion.archs import PRESETS, PromotionUNet, build_network, count_parameters
from promotion.archs.priors import PriorEncoder
from promotion.archs.unet_arch import local_mean
from promotion.data import SequenceDataset, texture_score

from .helpers import inputs, make_dataset

#: promotion-c made small enough for CPU tests.
TINY_C = dict(num_feat=8, enc_blocks=[1, 1, 1], middle_blocks=1, dec_blocks=[1, 1, 1])


def perturbed(net):
    """The exit conv and the blocks' residual scales start at zero; give them values so every path counts."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.startswith('exit.') or name.endswith(('.beta', '.gamma')):
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
    return net


class PromotionUNetTest(unittest.TestCase):
    def test_output_shape_at_two_sizes_and_identity_at_init(self):
        torch.manual_seed(0)
        net = PromotionUNet(**TINY_C).eval()
        for h, w in ((32, 32), (48, 64)):
            x = inputs(2, h, w)
            with torch.no_grad():
                out = net(*x)
            self.assertEqual(list(out.shape), [2, 3, h, w])
            # The last conv starts at zero: an untrained network returns the centre frame.
            self.assertTrue(torch.equal(out, x[0][:, 2]))

    def test_preset_is_registered_and_checks_its_options(self):
        net = build_network({'type': 'promotion-c'})
        self.assertIsInstance(net, PromotionUNet)
        self.assertEqual(net.config['num_feat'], PRESETS['promotion-c']['num_feat'])
        self.assertLess(count_parameters(net), 2.5e6)  # a model small enough to commit and run on two cores
        with self.assertRaisesRegex(ValueError, "Unknown network option\\(s\\) \\['num_extract_block'\\]"):
            build_network({'type': 'promotion-c', 'num_extract_block': 2})
        with self.assertRaisesRegex(ValueError, 'three block counts'):
            PromotionUNet(enc_blocks=[1, 1])
        with self.assertRaisesRegex(ValueError, 'odd integer'):
            PromotionUNet(attention_window=8)

    def test_each_switch_changes_the_output(self):
        x = inputs(1, 32, 32)
        torch.manual_seed(0)
        base = perturbed(PromotionUNet(**TINY_C)).eval()
        with torch.no_grad():
            ref = base(*x)
        n = count_parameters(base)
        for switch in ('use_priors', 'use_contrast', 'use_structure', 'use_motion', 'use_blur_vector',
                       'use_channel_attention'):
            with self.subTest(switch=switch):
                torch.manual_seed(0)
                net = perturbed(PromotionUNet(**TINY_C, **{switch: False})).eval()
                self.assertFalse(net.config[switch])
                if switch in ('use_priors', 'use_channel_attention'):
                    self.assertLess(count_parameters(net), n)  # a module is removed
                else:
                    net.load_state_dict(base.state_dict())  # the same weights, one input path cut
                with torch.no_grad():
                    out = net(*x)
                self.assertTrue(torch.isfinite(out).all())
                self.assertGreater(float((out - ref).abs().max()), 1e-6)

    def test_blur_vector_weights_the_frames(self):
        torch.manual_seed(0)
        net = perturbed(PromotionUNet(**TINY_C)).eval()
        frames, motion, _bw, cs = inputs(1, 32, 32)
        with torch.no_grad():
            a = net(frames, motion, torch.ones(1, 5), cs)
            b = net(frames, motion, torch.tensor([[2.0, 1.0, 1.0, 1.0, 0.0]]), cs)
        self.assertGreater(float((a - b).abs().max()), 1e-6)

    def test_local_mean_is_the_windowed_mean(self):
        g = torch.Generator().manual_seed(0)
        x = torch.rand(1, 2, 7, 9, generator=g)
        got = local_mean(x, 5)
        for y in range(7):
            for xx in range(9):
                window = x[:, :, max(0, y - 2):y + 3, max(0, xx - 2):xx + 3]
                torch.testing.assert_close(got[:, :, y, xx], window.mean(dim=(2, 3)))
        self.assertTrue(torch.equal(local_mean(x, 1), x))

    def test_channel_attention_is_local(self):
        # A change far away (beyond the block's windows and convolutions) leaves a pixel of a block's output alone;
        # global pooling would move every pixel.
        from promotion.archs.unet_arch import NAFBlock
        torch.manual_seed(0)
        block = NAFBlock(4, True, 3).eval()
        with torch.no_grad():
            block.beta.fill_(1.0)
            block.gamma.fill_(1.0)
            x = torch.rand(1, 4, 16, 32)
            y = x.clone()
            y[:, :, :, 24:] += 1.0
            a, b = block(x), block(y)
        self.assertTrue(torch.equal(a[:, :, :, :20], b[:, :, :, :20]))
        self.assertFalse(torch.equal(a[:, :, :, 24:], b[:, :, :, 24:]))


class PriorStrideTest(unittest.TestCase):
    def test_stride_two_keeps_the_weights_and_the_output_size_and_reads_pooled_maps(self):
        torch.manual_seed(0)
        full, half = PriorEncoder(8), PriorEncoder(8, stride=2)
        half.load_state_dict(full.state_dict())  # the same weights fit both
        priors = torch.rand(2, 3, 5, 32, 48)
        with torch.no_grad():
            a, b = full(priors), half(priors)
            self.assertEqual(tuple(b.shape), (2, 8, 8, 12))
            self.assertEqual(a.shape, b.shape)
            self.assertFalse(torch.allclose(a, b))
            # stride 2 is the paper's branch on 2x2-averaged maps with its second pool left out
            x = half.pool(half.conv1(F.avg_pool3d(priors, (1, 2, 2))))
            torch.testing.assert_close(b, half.conv3(half.conv2(x).squeeze(2)))
        with self.assertRaisesRegex(ValueError, 'stride'):
            PriorEncoder(8, stride=4)

    def test_the_network_records_a_stride_other_than_the_papers(self):
        self.assertNotIn('prior_stride', PromotionUNet(**TINY_C).config)
        net = PromotionUNet(**TINY_C, prior_stride=2)
        self.assertEqual(net.config['prior_stride'], 2)
        self.assertEqual(PromotionUNet(**net.config).prior_encoder.stride, 2)
        with self.assertRaisesRegex(ValueError, 'prior_stride'):
            PromotionUNet(**TINY_C, prior_stride=3)


class ExportGraphTest(unittest.TestCase):
    def test_the_export_graph_computes_the_same_function(self):
        # The exported form (stride-2 entry conv, 2D prior convs, split gates, folded LayerNorm affine, transposed-conv
        # upsampling) must give what the training form gives, with every parameter away from its initial value (a
        # LayerNorm weight of 1 and bias of 0 would hide a wrong fold), batch 2 with different blur vectors.
        torch.manual_seed(0)
        for switches in ({}, {'prior_stride': 2},
                         {'use_blur_vector': False, 'use_priors': False, 'use_channel_attention': False}):
            net = PromotionUNet(**TINY_C, **switches).eval()
            with torch.no_grad():
                for p in net.parameters():
                    p.add_(torch.randn_like(p) * 0.1)
            x = inputs(2, 48, 64)
            with torch.no_grad():
                want = net(*x)
                net.export_graph = True
                got = net(*x)
                net.export_graph = False
                again = net(*x)
            self.assertGreater((want - x[0][:, 2]).abs().max().item(), 1e-2)  # the network does something
            torch.testing.assert_close(got, want, rtol=0, atol=2e-5)
            self.assertTrue(torch.equal(again, want))


class InvertedBlockTest(unittest.TestCase):
    def test_gate_free_blocks_start_as_the_identity_and_export_the_same_function(self):
        from promotion.archs.unet_arch import InvertedBlock
        self.assertNotIn('block', PromotionUNet(**TINY_C).config)
        net = PromotionUNet(**TINY_C, block='inverted', use_channel_attention=False, prior_stride=2).eval()
        self.assertEqual(net.config['block'], 'inverted')
        blocks = [m for m in net.modules() if isinstance(m, InvertedBlock)]
        self.assertEqual(len(blocks), sum(TINY_C.get('enc_blocks', [1, 1, 2])) + TINY_C.get('middle_blocks', 4)
                         + sum(TINY_C.get('dec_blocks', [1, 1, 1])))
        self.assertTrue(all(b.sca is None for b in blocks))
        x = torch.rand(2, 8, 16, 16)
        with torch.no_grad():
            self.assertTrue(torch.equal(blocks[0](x), x))  # the zero projection: the identity
            for p in net.parameters():
                p.add_(torch.randn_like(p) * 0.1)
            y = inputs(2, 48, 64)
            want = net(*y)
            net.export_graph = True
            got = net(*y)
            net.export_graph = False
        self.assertGreater((want - y[0][:, 2]).abs().max().item(), 1e-2)
        torch.testing.assert_close(got, want, rtol=0, atol=2e-5)
        with_attention = PromotionUNet(**TINY_C, block='inverted')
        self.assertTrue(all(m.sca is not None for m in with_attention.modules() if isinstance(m, InvertedBlock)))
        self.assertEqual(PromotionUNet(**net.config).config, net.config)
        with self.assertRaisesRegex(ValueError, 'block'):
            PromotionUNet(**TINY_C, block='resnet')


class PooledPriorsTest(unittest.TestCase):
    def test_the_network_from_its_pooled_prior_maps_is_the_same_function(self):
        # Contract version 4: forward_pooled_priors given pooled_prior_maps of the same inputs is forward(), and the
        # export of it gives every weight back (training resumes from such exports too).
        import json
        from promotion.archs.priors import pooled_prior_maps
        from promotion.export import contract_version, export_onnx, model_card
        from promotion.onnx_weights import load_export_weights
        torch.manual_seed(1)
        net = PromotionUNet(**TINY_C, prior_stride=2).eval()
        with torch.no_grad():
            for p in net.parameters():
                p.add_(torch.randn_like(p) * 0.1)
        frames, motion, blur_weights, contrast_scale = inputs(2, 48, 64)
        with torch.no_grad():
            want = net(frames, motion, blur_weights, contrast_scale)
            pooled = pooled_prior_maps(frames, motion, contrast_scale)
            self.assertEqual(tuple(pooled.shape), (2, 15, 24, 32))
            got = net.forward_pooled_priors(frames, motion, blur_weights, pooled)
            other = net.forward_pooled_priors(frames, motion, blur_weights, pooled.flip(1))
        torch.testing.assert_close(got, want, rtol=0, atol=2e-5)
        self.assertGreater((other - want).abs().max().item(), 1e-3)  # the maps are read
        self.assertEqual(contract_version(net, 4), 4)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'c.onnx')
            export_onnx(net, path, contract=4)
            card = model_card('c', 'promotion-c', net, path, None, contract=4)
            self.assertEqual(card['contractVersion'], 4)
            self.assertEqual([i['name'] for i in card['inputs']], ['frames', 'motion', 'blurWeights', 'priors'])
            with open(os.path.join(d, 'c.json'), 'w') as f:
                json.dump(card, f)
            back = PromotionUNet(**TINY_C, prior_stride=2)
            load_export_weights(back, os.path.join(d, 'c.json'))
        for (name, a), b in zip(net.state_dict().items(), back.state_dict().values()):
            self.assertTrue(torch.equal(a, b), name)
        for other_net in (PromotionUNet(**TINY_C), PromotionUNet(**TINY_C, prior_stride=2, use_motion=False),
                          PromotionUNet(**TINY_C, prior_stride=2, directional_motion=True)):
            with self.assertRaisesRegex(ValueError, 'contract version'):
                contract_version(other_net, 4)
            if not other_net.directional_motion:
                with self.assertRaisesRegex(ValueError, 'stride 2'):
                    other_net.forward_pooled_priors(frames, motion, blur_weights, pooled)


class ExportWeightsTest(unittest.TestCase):
    def test_an_export_gives_every_weight_back(self):
        # Training resumes from shipped models (onnx_weights.py): every parameter must keep its state-dict name in
        # the ONNX file, the LayerNorm weights too (constant folding would rename them).
        import json
        from promotion.export import export_onnx, model_card
        from promotion.onnx_weights import load_export_weights
        torch.manual_seed(0)
        net = PromotionUNet(**TINY_C).eval()
        with torch.no_grad():
            for p in net.parameters():  # distinct values: the exporter merges equal initializers
                p.add_(torch.randn_like(p) * 0.01)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'c.onnx')
            export_onnx(net, path)
            with open(os.path.join(d, 'c.json'), 'w') as f:
                json.dump(model_card('c', 'promotion-c', net, path, None), f)
            back = PromotionUNet(**TINY_C)
            load_export_weights(back, os.path.join(d, 'c.json'))
        for (name, a), b in zip(net.state_dict().items(), back.state_dict().values()):
            self.assertTrue(torch.equal(a, b), name)


    def test_export_records_the_motion_flow_level_and_the_tile(self):
        import json
        from promotion.export import main
        with tempfile.TemporaryDirectory() as d:
            code = main(['--preset', 'promotion-c', '--random-init', '--set', 'num_feat=8', '--set', 'middle_blocks=1',
                         '--name', 'c', '--out-dir', d, '--motion-finest-level', '1', '--threads', '1'])
            self.assertEqual(code, 0)
            with open(os.path.join(d, 'c.json')) as f:
                card = json.load(f)
        self.assertEqual(card['motionMap']['flow'], {'finestLevel': 1})
        self.assertEqual(card['tileSize'], PromotionUNet.TILE_SIZE)
        self.assertEqual(card['contractVersion'], 1)

    def test_from_card_reexports_the_weights_in_a_changed_network(self):
        # --from-card --set prior_stride=2: the source's weights, every one, in the network at stride 2, its motion
        # input and training record kept, the change noted; an option that changes a shape is refused.
        import json
        from promotion.export import main
        from promotion.onnx_weights import load_export_weights
        tiny = ['--set', 'num_feat=8', '--set', 'middle_blocks=1']
        with tempfile.TemporaryDirectory() as d:
            self.assertEqual(main(['--preset', 'promotion-c', '--random-init', *tiny, '--name', 'a', '--out-dir', d,
                                   '--motion-finest-level', '2', '--threads', '1']), 0)
            source = os.path.join(d, 'a.json')
            self.assertEqual(main(['--from-card', source, '--set', 'prior_stride=2', '--name', 'b', '--out-dir', d,
                                   '--threads', '1']), 0)
            with open(source) as f:
                a = json.load(f)
            with open(os.path.join(d, 'b.json')) as f:
                b = json.load(f)
            self.assertEqual(b['architecture'], {**a['architecture'], 'prior_stride': 2})
            self.assertEqual(b['motionMap'], a['motionMap'])
            self.assertEqual(b['training']['reexported']['changed'], {'prior_stride': 2})
            self.assertEqual(b['training']['reexported']['sha256'], a['sha256'])
            config = dict(num_feat=8, middle_blocks=1)
            first, second = PromotionUNet(**config), PromotionUNet(**config, prior_stride=2)
            load_export_weights(first, source)
            load_export_weights(second, os.path.join(d, 'b.json'))
            for (name, x), y in zip(first.state_dict().items(), second.state_dict().values()):
                self.assertTrue(torch.equal(x, y), name)
            with self.assertRaises(ValueError):  # without the change named, the cards hold different networks
                load_export_weights(PromotionUNet(**config), os.path.join(d, 'b.json'))
            self.assertEqual(main(['--from-card', source, '--set', 'num_feat=16', '--name', 'c', '--out-dir', d,
                                   '--threads', '1']), 2)
            self.assertFalse(os.path.exists(os.path.join(d, 'c.json')))
            self.assertEqual(main(['--from-card', source, '--random-init', '--name', 'c', '--out-dir', d]), 2)


class DatasetOptionsTest(unittest.TestCase):
    def test_texture_frame_step_and_noise(self):
        with tempfile.TemporaryDirectory() as d:
            root = make_dataset(os.path.join(d, 'data'), sequences=1, frames=6)
            flat = np.zeros((8, 8, 3))
            self.assertEqual(texture_score(flat), 0.0)
            ramp = np.tile(np.linspace(0, 1, 9)[None, :, None], (9, 1, 3))
            self.assertAlmostEqual(texture_score(ramp), (1 / 8) / 2, places=6)
            self.assertEqual([c for _, c in SequenceDataset([root], frame_step=3).samples], [1, 4])
            clean = SequenceDataset([root], crop=32, seed=3)[0]
            noisy = SequenceDataset([root], crop=32, seed=3, noise=[0.01, 0.01])[0]
            for key in ('gt', 'motion'):
                self.assertTrue(torch.equal(clean[key], noisy[key]), key)
            diff = (noisy['frames'] - clean['frames']).std().item()
            self.assertAlmostEqual(diff, 0.01, delta=0.002)
            # The statistics are those of the degraded frames, as at run time: the contrast maps the network computes
            # from its frames stay within [0, 1] once divided by contrastScale (with the clean frames' scale, noise
            # on a flat frame made them huge and blew the prior branch up).
            from promotion.archs.priors import contrast_map, grey
            from promotion.statistics import blur_weights, contrast_scale
            whole = SequenceDataset([root], crop=None, augment=False, seed=3, noise=[0.01, 0.01], jpeg=[1.0, 50, 50])
            for i in (0, 3):
                s = whole[i]
                greys = [f.permute(1, 2, 0).double().numpy() for f in s['frames']]
                greys = [g[..., 0] * 0.299 + g[..., 1] * 0.587 + g[..., 2] * 0.114 for g in greys]
                np.testing.assert_allclose(s['contrastScale'].numpy(), [contrast_scale(g) for g in greys], rtol=1e-5)
                np.testing.assert_allclose(s['blurWeights'].numpy(), blur_weights(greys), rtol=1e-5)
                if i == 0:  # the window of frame 0 repeats it: [0, 0, 0, 1, 2]
                    self.assertTrue(torch.equal(s['frames'][0], s['frames'][1]))
                c = contrast_map(grey(s['frames'])) / s['contrastScale'].view(5, 1, 1)
                self.assertLessEqual(float(c.max()), 1 + 1e-5)
            # The make_dataset texture is 4 px blocks everywhere except the still band: any threshold is met at the
            # first try, so texture=[4, 0] draws the same crop as no texture option.
            self.assertTrue(torch.equal(SequenceDataset([root], crop=32, seed=3, texture=[4, 0.0])[0]['gt'],
                                        clean['gt']))
            jpeg = SequenceDataset([root], crop=32, seed=3, jpeg=[1.0, 30, 30])[0]
            self.assertTrue(torch.equal(clean['gt'], jpeg['gt']))
            moved = (jpeg['frames'] - clean['frames']).abs()
            self.assertGreater(moved.mean().item(), 0.003)  # quality 30 changes the frames visibly
            self.assertLess(moved.mean().item(), 0.1)
            self.assertTrue(torch.equal(SequenceDataset([root], crop=32, seed=3, jpeg=[0.0, 30, 30])[0]['frames'],
                                        clean['frames']))
            for bad, message in (({'texture': [0, 0.1]}, 'texture'), ({'noise': [0.2, 0.1]}, 'noise'),
                                 ({'jpeg': [0.5, 90, 80]}, 'jpeg'),
                                 ({'frame_step': 0}, 'frame_step')):
                with self.assertRaisesRegex(ValueError, message):
                    SequenceDataset([root], **bad)


if __name__ == '__main__':
    unittest.main()
