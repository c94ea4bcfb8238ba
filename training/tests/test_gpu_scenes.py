import json
import os
import tempfile
import unittest

import numpy as np
import torch
from PIL import Image

from promotion import statistics
from promotion.data import gpu_scenes
from promotion.data.gpu_scenes import SceneBatches, draw_scenes, load_pack, render


def make_pack(folder, crops=2, side=112, seed=0):
    """A pack of smooth random textures (what photo_pack.py writes: JPEG crops and pack.json)."""
    rng = np.random.default_rng(seed)
    entries = []
    for i in range(crops):
        coarse = rng.random((side // 8, side // 8, 3))
        image = np.asarray(Image.fromarray((coarse * 255).astype(np.uint8)).resize((side, side), Image.BICUBIC))
        name = f'crop{i}_d1.jpg'
        Image.fromarray(image).save(os.path.join(folder, name), quality=95, subsampling=0)
        entries.append({'file': name, 'photo': f'photo{i}.jpg', 'sha256': '0' * 64, 'detail': 1, 'box': [0, 0, side, side]})
    with open(os.path.join(folder, 'pack.json'), 'w') as f:
        json.dump({'side': side, 'crops': entries}, f)


def still(batch, side, **over):
    """Scene parameters of a camera looking at the crop's centre without moving, no foreground."""
    p = {k: torch.zeros(batch) for k in ('vx', 'vy', 'sway_amp', 'shake_amp', 'angular', 'fg_vx', 'fg_vy')}
    p.update(cx0=torch.full((batch,), (side - 1) / 2), cy0=torch.full((batch,), (side - 1) / 2),
             sway_period=torch.ones(batch), sway_phase=torch.zeros(batch), shake_freq=torch.ones(batch) * 0.1,
             shake_px=torch.zeros(batch), shake_py=torch.zeros(batch), zoom_rate=torch.ones(batch),
             has_fg=torch.zeros(batch), photo_index=torch.zeros(batch, dtype=torch.long))
    p.update(over)
    return p


class RenderTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        make_pack(self.dir.name)
        self.pack = load_pack(self.dir.name, torch.device('cpu'))

    def tearDown(self):
        self.dir.cleanup()

    def test_pack_loads_in_linear_light(self):
        self.assertEqual(list(self.pack.shape), [2, 3, 112, 112])
        image = np.asarray(Image.open(os.path.join(self.dir.name, 'crop0_d1.jpg')), dtype=np.float32) / 255
        self.assertTrue(torch.allclose(self.pack[0], torch.from_numpy(image.transpose(2, 0, 1)) ** 2.2, atol=1e-6))

    def test_not_a_pack_names_the_fix(self):
        with tempfile.TemporaryDirectory() as empty:
            with self.assertRaisesRegex(ValueError, 'photo_pack'):
                load_pack(empty, torch.device('cpu'))

    def test_a_still_camera_renders_the_crop_itself_at_every_time(self):
        p = still(1, 112)
        views = render(self.pack, p, torch.tensor([[0.0, -0.4, 0.7]]), 32)
        want = self.pack[0, :, 40:72, 40:72]  # centre 55.5 in a 112 crop: pixels 40..71
        for k in range(3):
            self.assertLess(float((views[0, k] - want).abs().max()), 1e-5)

    def test_a_pan_moves_the_view_by_its_velocity(self):
        p = still(1, 112, vx=torch.tensor([3.0]))
        views = render(self.pack, p, torch.tensor([[0.0, 1.0]]), 32)
        # At t = 1 the view looks 3 px further right: its pixel x is pixel x + 3 of the view at t = 0.
        self.assertLess(float((views[0, 1, :, :, :-3] - views[0, 0, :, :, 3:]).abs().max()), 1e-5)

    def test_a_foreground_covers_the_centre_at_the_centre_frame_only(self):
        n = lambda v: torch.tensor([float(v)])  # noqa: E731
        p = still(1, 112, has_fg=n(1), fg_vx=n(30), fg_diameter=n(12), fg_aspect=n(1), fg_tilt=n(0),
                  fg_sway_amp=n(0), fg_sway_period=n(10), fg_sway_phase=n(0), fg_angular=n(0), fg_scale=n(1),
                  fg_ox=n(0), fg_oy=n(0), fg_index=torch.tensor([1]))
        views = render(self.pack, p, torch.tensor([[0.0, 1.0]]), 32)
        background = self.pack[0, :, 40:72, 40:72]
        centre = (slice(None), slice(14, 18), slice(14, 18))
        self.assertGreater(float((views[0, 0][centre] - background[centre]).abs().max()), 0.01)  # the layer is there
        self.assertLess(float((views[0, 1][centre] - background[centre]).abs().max()), 1e-5)  # 30 px on: gone

    def test_the_training_renderer_follows_a_spec_camera_as_spec_scene_does(self):
        # Both follow exact.ts: the batched training renderer with a scene's camera parameters gives the frames
        # SpecScene renders from the same spec (photo = the pack's first crop, not resized).
        from promotion.data.gpu_scenes import SpecScene
        camera = {'start': {'x': 50.0, 'y': 61.0}, 'velocity': {'x': 3.5, 'y': -2.0},
                  'sway': {'amplitudePx': 1.5, 'periodFrames': 11.0, 'phase': 0.4}, 'angularVelocity': 0.02,
                  'zoomRate': 1.012, 'shake': {'amplitudePx': 0.8, 'frequency': 0.2, 'phaseX': 1.0, 'phaseY': 2.0}}
        spec = {'photo': os.path.join(self.dir.name, 'crop0_d1.jpg'), 'width': 32, 'height': 32, 'photoScale': 4,
                'camera': camera}
        times = torch.tensor([0.0, -1.3, 0.6])
        want = SpecScene(spec, torch.device('cpu')).render(times)
        t = lambda v: torch.tensor([float(v)])  # noqa: E731
        p = still(1, 112, cx0=t(50), cy0=t(61), vx=t(3.5), vy=t(-2), sway_amp=t(1.5), sway_period=t(11),
                  sway_phase=t(0.4), angular=t(0.02), zoom_rate=t(1.012), shake_amp=t(0.8), shake_freq=t(0.2),
                  shake_px=t(1), shake_py=t(2))
        got = render(self.pack, p, times[None], 32)[0]
        self.assertLess(float((got - want).abs().max()), 1e-4)

    def test_draws_keep_the_path_inside_the_crop_and_follow_the_shares(self):
        opts = {**gpu_scenes.DEFAULTS, 'size': 256}
        raw = draw_scenes(np.random.default_rng(0), 2000, opts, crops=5, side=640)
        speed = np.hypot(raw['vx'], raw['vy'])
        self.assertLessEqual(speed.max(), 40 + 1e-9)
        self.assertTrue(((raw['n'] >= 1) & (raw['n'] <= 64)).all())
        self.assertAlmostEqual(float((raw['n'] <= 4).mean()), 0.15, delta=0.03)  # sharp frames under motion
        self.assertAlmostEqual(float(raw['has_fg'].mean()), 0.55, delta=0.04)
        # Every view corner at every time of the window stays inside the crop.
        p = {k: torch.as_tensor(v, dtype=torch.float32) for k, v in raw.items()}
        t = torch.linspace(-2.5, 2.5, 41).expand(2000, 41)
        cx, cy, angle, zoom = gpu_scenes._camera(p, t)
        reach = 0.5 * np.sqrt(2) * 256 / zoom
        self.assertTrue(bool(((cx - reach >= 0) & (cx + reach <= 639) & (cy - reach >= 0) & (cy + reach <= 639)).all()))


class StatisticsTwinTest(unittest.TestCase):
    def test_match_the_numpy_statistics(self):
        rng = np.random.default_rng(3)
        frames = rng.random((5, 20, 24))
        g = torch.from_numpy(frames)
        variances = statistics.torch_laplacian_variance(g)
        for k in range(5):
            self.assertAlmostEqual(float(variances[k]), statistics.laplacian_variance(frames[k]), places=12)
            self.assertAlmostEqual(float(statistics.torch_contrast_scale(g)[k]), statistics.contrast_scale(frames[k]), places=12)
        np.testing.assert_allclose(statistics.torch_blur_weights(variances).numpy(),
                                   statistics.blur_weights_from_variances(variances.numpy()), rtol=1e-12)
        rgb = rng.random((7, 8, 3))
        np.testing.assert_allclose(statistics.torch_grey_unit(torch.from_numpy(rgb.transpose(2, 0, 1))).numpy(),
                                   statistics.grey_unit(rgb, 1.0), rtol=1e-12)


class SceneBatchesTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        make_pack(self.dir.name, side=96)

    def tearDown(self):
        self.dir.cleanup()

    def test_batches_are_what_training_takes_and_a_function_of_the_iteration(self):
        batches = SceneBatches(self.dir.name, 3, seed=5, start=0, stop=2, device=torch.device('cpu'),
                               options={'size': 32, 'jpeg': [0.5, 60, 95]})
        a, b = list(batches)
        self.assertEqual(list(a['frames'].shape), [3, 5, 3, 32, 32])
        self.assertEqual(list(a['motion'].shape), [3, 1, 32, 32])
        self.assertEqual(list(a['gt'].shape), [3, 3, 32, 32])
        self.assertEqual(list(a['blurWeights'].shape), [3, 5])
        self.assertTrue(torch.allclose(a['blurWeights'].sum(1), torch.full((3,), 5.0), atol=1e-5))
        self.assertTrue(bool((a['motion'] >= 0).all()) and bool((a['motion'] <= 1).all()))
        # Input frames are 8-bit, as video is.
        self.assertTrue(torch.equal(a['frames'], torch.round(a['frames'] * 255) / 255))
        again = batches.batch_at(0)
        for key in a:
            self.assertTrue(torch.equal(a[key], again[key]), key)
        self.assertFalse(torch.equal(a['gt'], b['gt']))

    def test_a_crop_keeps_the_whole_frames_statistics_and_motion(self):
        # scenes.crop: the same scenes as without it (the crop is drawn last), cut after the statistics and the
        # motion map were computed over the whole frame, as deblur() computes them.
        with tempfile.TemporaryDirectory() as folder:
            make_pack(folder, side=136)
            whole = SceneBatches(folder, 2, seed=5, start=0, stop=1, device=torch.device('cpu'),
                                 options={'size': 64}).batch_at(0)
            crop = SceneBatches(folder, 2, seed=5, start=0, stop=1, device=torch.device('cpu'),
                                options={'size': 64, 'crop': 32}).batch_at(0)
        self.assertEqual(list(crop['frames'].shape), [2, 5, 3, 32, 32])
        self.assertTrue(torch.equal(crop['blurWeights'], whole['blurWeights']))
        self.assertTrue(torch.equal(crop['contrastScale'], whole['contrastScale']))
        for b in range(2):
            found = [(y, x) for y in range(33) for x in range(33)
                     if torch.equal(whole['gt'][b, :, y:y + 32, x:x + 32], crop['gt'][b])]
            self.assertTrue(found, 'the crop is a window of the whole frame')
            y, x = found[0]
            self.assertTrue(torch.equal(whole['frames'][b, ..., y:y + 32, x:x + 32], crop['frames'][b]))
            self.assertTrue(torch.equal(whole['motion'][b, :, y:y + 32, x:x + 32], crop['motion'][b]))
        with self.assertRaisesRegex(ValueError, 'scenes.crop'):
            SceneBatches(self.dir.name, 2, 0, 0, 1, torch.device('cpu'), {'size': 32, 'crop': 24})

    def test_unknown_options_and_a_pack_too_small_are_refused(self):
        with self.assertRaisesRegex(ValueError, 'Unknown scenes options'):
            SceneBatches(self.dir.name, 2, 0, 0, 1, torch.device('cpu'), {'sise': 32})
        with self.assertRaisesRegex(ValueError, '--side at least'):
            SceneBatches(self.dir.name, 2, 0, 0, 1, torch.device('cpu'), {'size': 64})


if __name__ == '__main__':
    unittest.main()
