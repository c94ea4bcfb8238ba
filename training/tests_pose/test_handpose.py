"""The hand-landmark network rebuilt from MediaPipe's .tflite files (promotion/handpose) and the pose-aware loss
(promotion/losses/pose.py). Parity with TFLite itself is test/training/hand-landmark-parity.test.ts; here: the
reader's errors, TFLite's padding convention, the network's frozen contract, and the loss's properties."""
import os
import tempfile
import unittest

import numpy as np
import torch
from PIL import Image

from promotion.handpose.landmark_net import (HandLandmarkNet, LandmarkModelError, _pad_same, _same_pads,
                                             landmark_model_path)
from promotion.handpose.tflite import TfliteFormatError, read_tflite
from promotion.losses import PromotionLoss, build_loss
from promotion.losses.pose import HandPoseLoss, hand_boxes, square_cuts

from tests.helpers import inputs  # noqa: F401  (sets torch threads)

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..'))
HANDS = os.path.join(ROOT, 'node_modules', '@mediapipe', 'hands')
#: palm_detection_lite.tflite inside @mediapipe/hands' packed assets (hands_solution_packed_assets_loader.js).
PALM_LITE_BYTES = (2341291, 4326731)

_NETS = {}


def net(variant='lite'):
    if variant not in _NETS:
        _NETS[variant] = HandLandmarkNet.from_variant(variant)
    return _NETS[variant]


def hand_crop(sequence='camera_shake/1', side=192):
    """A real hand: a square crop of the embedded FPHA sample's first frame, [1, 3, side, side] in [0, 1]."""
    path = os.path.join(ROOT, 'datasets', 'fpha-sample', 'Video_files', 'Subject_1', sequence, 'color',
                        'color_0000.jpeg')
    rgb = np.asarray(Image.open(path).convert('RGB'), dtype=np.float32) / 255
    h, w = rgb.shape[:2]
    y0, x0 = (h - side) // 2, (w - side) // 2
    return torch.from_numpy(np.ascontiguousarray(rgb[y0:y0 + side, x0:x0 + side])).permute(2, 0, 1)[None]


def box_blur(x, length=9):
    pad = length // 2
    return torch.nn.functional.avg_pool2d(torch.nn.functional.pad(x, (pad, pad, 0, 0), mode='replicate'),
                                          (1, length), 1)


class TfliteReaderTest(unittest.TestCase):
    def test_reads_the_landmark_graph(self):
        model = read_tflite(os.path.join(HANDS, 'hand_landmark_lite.tflite'))
        names = {op.name for op in model.operators}
        self.assertEqual(names, {'ADD', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'DEQUANTIZE', 'FULLY_CONNECTED', 'LOGISTIC',
                                 'MAX_POOL_2D', 'MEAN'})
        # Weights are float16, dequantized by the graph: every DEQUANTIZE reads a constant float16 tensor.
        deq = [op for op in model.operators if op.name == 'DEQUANTIZE']
        self.assertEqual(len(deq), 102)
        self.assertTrue(all(model.tensors[op.inputs[0]].type_name == 'FLOAT16' for op in deq))
        self.assertEqual(model.tensors[model.inputs[0]].shape, [1, 224, 224, 3])

    def test_not_a_model_and_truncated(self):
        with tempfile.TemporaryDirectory() as d:
            text = os.path.join(d, 'notes.tflite')
            with open(text, 'w') as f:
                f.write('not a model at all')
            with self.assertRaisesRegex(TfliteFormatError, r'notes.tflite: not a TFLite model \(file identifier'):
                read_tflite(text)
            cut = os.path.join(d, 'cut.tflite')
            with open(os.path.join(HANDS, 'hand_landmark_lite.tflite'), 'rb') as f:
                data = f.read(200_000)
            with open(cut, 'wb') as f:
                f.write(data)
            with self.assertRaisesRegex(TfliteFormatError, r'cut.tflite: truncated'):
                read_tflite(cut)

    def test_missing_and_wrong_models_say_the_fix(self):
        with self.assertRaisesRegex(LandmarkModelError, r'Expected a landmark variant in \[.lite., .full.\] but '
                                                        r'received .heavy.'):
            landmark_model_path('heavy')
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaisesRegex(LandmarkModelError, r'hand_landmark_full.tflite is missing: it comes with '
                                                            r'the npm package @mediapipe/hands; run `npm ci`'):
                landmark_model_path('full', root=d)
            palm = os.path.join(d, 'palm_detection_lite.tflite')
            with open(os.path.join(HANDS, 'hands_solution_packed_assets.data'), 'rb') as f:
                f.seek(PALM_LITE_BYTES[0])
                data = f.read(PALM_LITE_BYTES[1] - PALM_LITE_BYTES[0])
            with open(palm, 'wb') as f:
                f.write(data)
            with self.assertRaisesRegex(LandmarkModelError, r'palm_detection_lite.tflite: input .* is \[1, 192, 192, '
                                                            r'3\] FLOAT32; a hand-landmark model takes \[1, 224, 224, '
                                                            r'3\].*is this the palm detector'):
                HandLandmarkNet.from_file(palm)


class SamePaddingTest(unittest.TestCase):
    def test_tflite_same_padding_puts_the_extra_row_after(self):
        # total = max((ceil(n / s) - 1) s + (k - 1) d + 1 - n, 0): before = total // 2, after = the rest.
        self.assertEqual(_same_pads(224, 3, 2, 1), [0, 1])   # PyTorch's padding=1 would put one on each side
        self.assertEqual(_same_pads(112, 3, 1, 1), [1, 1])
        self.assertEqual(_same_pads(7, 5, 2, 1), [2, 2])
        self.assertEqual(_same_pads(8, 5, 2, 1), [1, 2])
        self.assertEqual(_same_pads(7, 3, 1, 2), [2, 2])
        self.assertEqual(_same_pads(8, 1, 2, 1), [0, 0])
        x = torch.arange(16.0).view(1, 1, 4, 4)
        padded = _pad_same(x, 3, 3, 2, 2)
        self.assertEqual(list(padded.shape), [1, 1, 5, 5])
        self.assertTrue(torch.equal(padded[0, 0, :4, :4], x[0, 0]))
        self.assertEqual(padded[0, 0, 4].abs().sum().item(), 0)
        self.assertEqual(padded[0, 0, :, 4].abs().sum().item(), 0)
        pooled = _pad_same(x, 2, 2, 2, 2, value=-float('inf'))
        self.assertTrue(torch.equal(pooled, x))


class LandmarkNetTest(unittest.TestCase):
    def test_frozen_and_differentiable_in_the_input(self):
        n = net('lite')
        self.assertEqual(list(n.parameters()), [])
        self.assertTrue(all(not b.requires_grad for b in n.buffers()))
        self.assertGreater(len(list(n.buffers())), 100)
        self.assertEqual(n.state_dict(), {})  # checkpoints never carry the .tflite's weights
        self.assertEqual(build_loss({'pose': {'weight': 1}}).state_dict(), {})
        n.train()
        self.assertFalse(n.training)
        x = hand_crop(side=224).requires_grad_(True)
        out = n(x)
        self.assertEqual(list(out.landmarks.shape), [1, 21, 3])
        self.assertGreater(out.presence.item(), 0.5)
        out.landmarks[..., :2].sum().backward()
        self.assertTrue(torch.isfinite(x.grad).all())
        self.assertGreater(x.grad.abs().sum().item(), 0)

    def test_batch_equals_one_at_a_time(self):
        n = net('lite')
        a = hand_crop('camera_shake/1', side=224)
        b = hand_crop('hand_wave/2', side=224)
        both = n(torch.cat([a, b]))
        one = n(b)
        self.assertLess((both.landmarks[1] - one.landmarks[0]).abs().max().item(), 1e-3)

    def test_rejects_a_wrong_input_shape(self):
        with self.assertRaisesRegex(ValueError, r'Expected an image batch \[B, 3, 224, 224\] \(RGB in \[0, 1\]\) but '
                                                r'received \[1, 3, 192, 192\]'):
            net('lite')(torch.zeros(1, 3, 192, 192))


class SquareCutsTest(unittest.TestCase):
    def test_identity_and_rotation(self):
        x = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(3))
        same = square_cuts(x, torch.tensor([[4.0, 4.0]]), torch.tensor([8.0]), size=8)
        self.assertLess((same - x).abs().max().item(), 1e-6)
        # A quarter turn: the cut's up direction is the image's right (sin a, -cos a) = (1, 0).
        turned = square_cuts(x, torch.tensor([[4.0, 4.0]]), torch.tensor([8.0]), torch.tensor([np.pi / 2]), size=8)
        self.assertLess((turned - torch.rot90(x, 1, dims=(2, 3))).abs().max().item(), 1e-5)


class HandBoxesTest(unittest.TestCase):
    def test_landmarks_found_in_a_turned_cut_give_the_same_region(self):
        g = torch.Generator().manual_seed(2)
        xy = torch.rand(1, 21, 2, generator=g) * 60 + 50       # image pixels
        c, s, a = torch.tensor([[80.0, 70.0]]), torch.tensor([150.0]), torch.tensor([0.7])
        upright = ((xy - c[:, None]) / s + 0.5) * 224
        rel = (xy - c[:, None]) / s                              # into the turned cut: R(-a)
        turned = torch.stack([torch.cos(a) * rel[..., 0] + torch.sin(a) * rel[..., 1],
                              -torch.sin(a) * rel[..., 0] + torch.cos(a) * rel[..., 1]], dim=-1)
        turned = (turned + 0.5) * 224
        z = torch.zeros(1, 21, 1)
        one = hand_boxes(torch.cat([upright, z], -1), c, s, 2.0, True)
        two = hand_boxes(torch.cat([turned, z], -1), c, s, 2.0, True, a)
        for u, v in zip(one, two):
            self.assertLess((u - v).abs().max().item(), 1e-4)


class HandPoseLossTest(unittest.TestCase):
    def test_zero_when_restored_equals_sharp_and_positive_on_blur(self):
        loss = HandPoseLoss('lite')
        sharp = torch.cat([hand_crop('camera_shake/1'), hand_crop('hand_wave/2')])
        value, parts = loss(sharp.clone(), sharp)
        self.assertEqual(value.item(), 0.0)
        self.assertEqual(parts['pose_hands'], 1.0)
        blurred, _ = loss(box_blur(sharp), sharp)
        self.assertGreater(blurred.item(), 1e-3)

    def test_gradients_flow_to_the_restoration_and_a_step_down_them_lowers_the_loss(self):
        loss = HandPoseLoss('lite')
        sharp = hand_crop('hand_wave/2', side=160)
        # Kept inside (0, 1), where the loss's clamp passes gradients.
        restored = (0.05 + 0.9 * box_blur(sharp)).requires_grad_(True)
        value, parts = loss(restored, sharp)
        self.assertEqual(parts['pose_hands'], 1.0)
        value.backward()
        grad = restored.grad
        self.assertTrue(torch.isfinite(grad).all())
        self.assertGreater(grad.abs().sum().item(), 0)
        self.assertEqual(list(loss.net.parameters()), [])
        # The first-order change along -grad for a small step is -step |grad|^2: the loss must fall by about that.
        step = 1e-3 / grad.abs().max().item()
        with torch.no_grad():
            lower, _ = loss(restored - step * grad, sharp)
        predicted = step * grad.pow(2).sum().item()
        self.assertLess(lower.item(), value.item() - 0.5 * predicted)
        self.assertGreater(lower.item(), value.item() - 1.5 * predicted)

    def test_no_hand_adds_nothing(self):
        noise = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
        restored = noise.flip(3).requires_grad_(True)
        value, parts = HandPoseLoss('lite', min_presence=0.99)(restored, noise)
        self.assertEqual(parts['pose_hands'], 0.0)
        self.assertEqual(value.item(), 0.0)
        value.backward()

    def test_a_sample_without_a_hand_leaves_the_others_term_unchanged(self):
        loss = HandPoseLoss('lite', min_presence=0.5)
        sharp = hand_crop('hand_wave/2', side=160)
        flat = torch.full_like(sharp, 0.5)
        alone, _ = loss(box_blur(sharp), sharp)
        mixed, parts = loss(torch.cat([box_blur(sharp), flat.flip(3)]), torch.cat([sharp, flat]))
        self.assertEqual(parts['pose_hands'], 0.5)
        self.assertAlmostEqual(mixed.item(), alone.item(), delta=1e-5)  # batched convolutions round differently

    def test_options_are_checked(self):
        with self.assertRaisesRegex(ValueError, r"Expected loss.pose.variant in \['lite', 'full'\] but received 'big'"):
            HandPoseLoss('big')
        with self.assertRaisesRegex(ValueError, r'Expected a number in \[1, 4\] for loss.pose.box_scale'):
            HandPoseLoss('lite', box_scale=0.5)
        with self.assertRaisesRegex(ValueError, r'Expected an integer in 0..5 for loss.pose.track_steps but received 9'):
            HandPoseLoss('lite', track_steps=9)


class PoseInPromotionLossTest(unittest.TestCase):
    def test_off_by_default_and_added_with_its_weight(self):
        self.assertIsNone(build_loss({}).pose)
        self.assertIsNone(build_loss({'pose': {'weight': 0}}).pose)
        with self.assertRaisesRegex(ValueError, r"Unknown loss.pose option\(s\) \['wieght'\]"):
            build_loss({'pose': {'wieght': 1}})
        with self.assertRaisesRegex(ValueError, r'Expected a number >= 0 for loss.pose.weight but received -1'):
            build_loss({'pose': {'weight': -1}})
        sharp = hand_crop('hand_wave/2', side=160)
        pred = box_blur(sharp)
        motion = torch.zeros(1, 1, 160, 160)
        plain = PromotionLoss()
        posed = build_loss({'pose': {'weight': 0.5, 'variant': 'lite'}})
        self.assertIsInstance(posed, PromotionLoss)
        total0, parts0 = plain(pred, sharp, motion)
        total1, parts1 = posed(pred, sharp, motion)
        self.assertNotIn('pose', parts0)
        self.assertGreater(parts1['pose'], 0)
        self.assertAlmostEqual(total1.item(), total0.item() + 0.5 * parts1['pose'], places=5)


if __name__ == '__main__':
    unittest.main()
