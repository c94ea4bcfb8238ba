import csv
import json
import os
import tempfile
import unittest

import numpy as np
import yaml

from promotion.data import SequenceDataset
from promotion.data.png import read_png
from promotion.export import main as export_main
from promotion.statistics import blur_weights, contrast_scale, grey_unit
from promotion.config import load_config
from promotion.data import crop_at
from promotion.train import _EpochDataset, cosine_lr, train, tune_malloc

from .helpers import TINY, make_dataset, write_config, write_png


def _config(d, iterations=20, **train_overrides):
    cfg = {
        'name': 'test', 'seed': 0, 'threads': 2, 'device': 'cpu',
        'network': {'type': 'promotion-s', **TINY},
        'loss': {'flow_weight': True, 'perceptual': 'ms-ssim', 'perceptual_weight': 0.1},
        'datasets': {'train': {'roots': ['data'], 'crop': 32, 'augment': True},
                     'val': {'roots': ['data'], 'sequences': ['seq1']}},
        'output': 'out',
        'train': {'batch_size': 2, 'iterations': iterations, 'lr': 2e-3, 'eta_min': 1e-5, 'checkpoint_every': 10,
                  'val_every': 10, 'log_every': 1, **train_overrides},
    }
    return write_config(os.path.join(d, 'config.yml'), cfg)


def _losses(d):
    with open(os.path.join(d, 'out', 'train.csv')) as f:
        return [(int(r['iteration']), float(r['loss'])) for r in csv.DictReader(f)]


class TrainingTest(unittest.TestCase):
    def test_threads_override(self):
        import torch
        from promotion.train import main
        before = torch.get_num_threads()
        try:
            with tempfile.TemporaryDirectory() as d:
                make_dataset(os.path.join(d, 'data'))
                config = _config(d, iterations=2)  # the config asks for 2 threads
                self.assertEqual(main([config, '--threads', '0']), 2)
                self.assertFalse(os.path.exists(os.path.join(d, 'out', 'train.csv')))
                self.assertEqual(main([config, '--threads', '1']), 0)
                self.assertEqual(torch.get_num_threads(), 1)
                self.assertEqual(len(_losses(d)), 2)
        finally:
            torch.set_num_threads(before)

    def test_twenty_iterations_loss_falls_and_resume_is_exact(self):
        with tempfile.TemporaryDirectory() as d, tempfile.TemporaryDirectory() as d0:
            make_dataset(os.path.join(d, 'data'))
            make_dataset(os.path.join(d0, 'data'))
            result = train(_config(d), quiet=True)
            self.assertEqual(result['iteration'], 20)
            rows = _losses(d)
            self.assertEqual([r[0] for r in rows], list(range(1, 21)))
            # The same run with learning rate 0 sees the same batches (seeded), so the losses pair up: the
            # training run's loss falls below the untrained network's on every one of the last 10 batches.
            train(_config(d0, lr=0.0, eta_min=0.0), quiet=True)
            frozen = _losses(d0)
            self.assertAlmostEqual(rows[0][1], frozen[0][1], places=6)  # iteration 1: same network, same batch
            trained = np.array([r[1] for r in rows[10:]])
            untrained = np.array([r[1] for r in frozen[10:]])
            self.assertTrue((trained < untrained).all(), f'{trained} vs {untrained}')
            self.assertLess(trained.mean(), 0.95 * untrained.mean())
            self.assertTrue(os.path.exists(os.path.join(d, 'out', 'checkpoints', 'iter_00000020.pt')))
            with open(os.path.join(d, 'out', 'val.csv')) as f:
                val = list(csv.DictReader(f))
            self.assertEqual([int(v['iteration']) for v in val], [10, 20])
            # Export from the checkpoint: the card records the training run and its validation.
            ckpt = os.path.join(d, 'out', 'checkpoints', 'iter_00000020.pt')
            self.assertEqual(export_main(['--checkpoint', ckpt, '--name', 'm', '--out-dir', os.path.join(d, 'm')]), 0)
            with open(os.path.join(d, 'm', 'm.json')) as f:
                card = json.load(f)
            self.assertEqual(card['contractVersion'], 1)
            self.assertEqual(card['training']['iterations'], 20)
            self.assertAlmostEqual(card['validation']['psnr'], float(val[-1]['psnr']), places=6)
            self.assertEqual(card['architecture']['num_feat'], TINY['num_feat'])
            # Held-out evaluation of the checkpoint against the blurred input, recorded in the card as `test`.
            from promotion.evaluate import main as evaluate_main
            results = os.path.join(d, 'eval.json')
            self.assertEqual(evaluate_main(['--model', f'tiny={ckpt}', '--set', f'a={os.path.join(d, "data")}',
                                            '--out', results, '--threads', '1']), 0)
            with open(results) as f:
                ev = json.load(f)
            self.assertEqual(ev['frames'], 12)  # make_dataset: 2 sequences x 6 frames
            mean = ev['sets']['a']['mean']
            self.assertAlmostEqual(mean['tiny']['psnrGain'], mean['tiny']['psnr'] - mean['blurred']['psnr'], places=9)
            self.assertEqual(ev['overall'], mean)
            self.assertEqual(export_main(['--checkpoint', ckpt, '--name', 'm2', '--out-dir', os.path.join(d, 'm'),
                                          '--evaluation', results]), 0)
            with open(os.path.join(d, 'm', 'm2.json')) as f:
                self.assertEqual(json.load(f)['test']['overall'], mean)
            self.assertEqual(export_main(['--checkpoint', ckpt, '--name', 'm3', '--out-dir', os.path.join(d, 'm'),
                                          '--evaluation', os.path.join(d, 'missing.json')]), 2)
            # Resume: drop the last checkpoint, rerun; iterations 11..20 are redone from iteration 10's state and
            # give the same losses (batches are a function of seed and iteration).
            os.remove(os.path.join(d, 'out', 'checkpoints', 'iter_00000020.pt'))
            train(_config(d), quiet=True)
            resumed = _losses(d)
            self.assertEqual([r[0] for r in resumed], list(range(1, 21)))
            np.testing.assert_allclose([r[1] for r in resumed[10:]], [r[1] for r in rows[10:]], rtol=1e-4)

    def test_moving_average_of_the_weights(self):
        # train.ema: checkpoints keep the trained weights (to resume) and their average (to use); validation scores
        # the average, the export and the evaluation read it, and resuming continues both exactly.
        import torch
        from promotion.evaluate import load_model
        from promotion.train import load_checkpoint
        with tempfile.TemporaryDirectory() as d:
            make_dataset(os.path.join(d, 'data'))
            train(_config(d, ema=0.9), quiet=True)
            path = os.path.join(d, 'out', 'checkpoints', 'iter_00000020.pt')
            state = load_checkpoint(path)
            self.assertEqual(set(state['ema']), set(state['model']))
            differ = [k for k in state['model'] if not torch.equal(state['model'][k], state['ema'][k])]
            self.assertTrue(differ)
            model, _ = load_model(path)
            self.assertTrue(all(torch.equal(v, state['ema'][k]) for k, v in model.state_dict().items()))
            self.assertEqual(export_main(['--checkpoint', path, '--name', 'avg', '--out-dir', os.path.join(d, 'm')]), 0)
            from promotion.onnx_weights import load_export_weights
            exported = load_model(path)[0]
            load_export_weights(exported, os.path.join(d, 'm', 'avg.json'))
            self.assertTrue(all(torch.equal(v, state['ema'][k]) for k, v in exported.state_dict().items()))
            os.remove(path)
            train(_config(d, ema=0.9), quiet=True)
            again = load_checkpoint(path)
            for k in state['ema']:
                torch.testing.assert_close(again['ema'][k], state['ema'][k], rtol=1e-4, atol=1e-6)
            with self.assertRaisesRegex(ValueError, 'train.ema'):
                train(_config(d, ema=1.0), quiet=True)

    def test_cosine_schedule(self):
        cfg = {'train': {'iterations': 100, 'restarts': 2, 'lr': 1.0, 'eta_min': 0.0}}
        self.assertEqual(cosine_lr(0, cfg), 1.0)
        self.assertAlmostEqual(cosine_lr(25, cfg), 0.5)
        self.assertEqual(cosine_lr(50, cfg), 1.0)

    def test_shipped_configs_load_and_build(self):
        from promotion.archs import build_network
        from promotion.config import load_config
        here = os.path.dirname(__file__)
        for name in ('tiny.yml', 'promotion-s.yml', 'edvr-s.yml'):
            cfg = load_config(os.path.join(here, '..', 'configs', name))
            self.assertEqual(cfg['network']['type'], name.replace('tiny', 'promotion-s')[:-4])
            build_network(cfg['network'])
            self.assertTrue(os.path.isabs(cfg['output']))

    def test_init_fine_tunes_from_another_runs_weights(self):
        import torch
        with tempfile.TemporaryDirectory() as d, tempfile.TemporaryDirectory() as d2:
            make_dataset(os.path.join(d, 'data'))
            make_dataset(os.path.join(d2, 'data'))
            train(_config(d, iterations=3), quiet=True)
            ckpt = os.path.join(d, 'out', 'checkpoints', 'iter_00000003.pt')
            path = _config(d2, iterations=2, lr=0.0, eta_min=0.0)
            with open(path) as f:
                cfg = yaml.safe_load(f)
            cfg['init'] = ckpt
            write_config(path, cfg)
            train(path, quiet=True)
            start = torch.load(ckpt, map_location='cpu')['model']
            tuned = torch.load(os.path.join(d2, 'out', 'checkpoints', 'iter_00000002.pt'), map_location='cpu')
            self.assertEqual(tuned['init'], ckpt)
            for name, value in start.items():  # learning rate 0: the weights are exactly the init's
                self.assertTrue(torch.equal(value, tuned['model'][name]), name)
            cfg['network'] = {**cfg['network'], 'use_priors': False}
            cfg['output'] = 'out2'
            write_config(path, cfg)
            with self.assertRaisesRegex(ValueError, 'init checkpoint'):
                train(path, quiet=True)
            cfg['init'] = os.path.join(d, 'missing.pt')
            write_config(path, cfg)
            with self.assertRaisesRegex(ValueError, 'does not exist'):
                load_config(path)

    def test_init_from_an_exported_model(self):
        """A shipped model is a checkpoint of its weights: init from its card (two parts) or one-graph .onnx."""
        import torch
        with tempfile.TemporaryDirectory() as d, tempfile.TemporaryDirectory() as d2:
            make_dataset(os.path.join(d, 'data'))
            make_dataset(os.path.join(d2, 'data'))
            train(_config(d, iterations=3), quiet=True)
            ckpt = os.path.join(d, 'out', 'checkpoints', 'iter_00000003.pt')
            models = os.path.join(d, 'models')
            self.assertEqual(export_main(['--checkpoint', ckpt, '--name', 'two', '--out-dir', models, '--contract', '2']), 0)
            self.assertEqual(export_main(['--checkpoint', ckpt, '--name', 'one', '--out-dir', models, '--contract', '1']), 0)
            start = torch.load(ckpt, map_location='cpu')['model']
            path = _config(d2, iterations=2, lr=0.0, eta_min=0.0)
            with open(path) as f:
                cfg = yaml.safe_load(f)
            for k, init in enumerate([os.path.join(models, 'two.json'), os.path.join(models, 'one.onnx')]):
                cfg['init'] = init
                cfg['output'] = f'out{k}'
                write_config(path, cfg)
                train(path, quiet=True)
                tuned = torch.load(os.path.join(d2, f'out{k}', 'checkpoints', 'iter_00000002.pt'), map_location='cpu')
                for name, value in start.items():  # learning rate 0: exactly the exported weights
                    self.assertTrue(torch.equal(value, tuned['model'][name]), f'{init}: {name}')
            # promotion.evaluate takes an exported model too.
            from promotion.evaluate import load_model
            loaded, _ = load_model(os.path.join(models, 'two.json'))
            for name, value in start.items():
                self.assertTrue(torch.equal(value, loaded.state_dict()[name]), f'evaluate: {name}')
            # Another network, and a changed file, are refused.
            cfg['network'] = {**cfg['network'], 'use_priors': False}
            cfg['output'] = 'out-other'
            write_config(path, cfg)
            with self.assertRaisesRegex(ValueError, 'holds another network: use_priors True'):
                train(path, quiet=True)
            with open(os.path.join(models, 'two.features.onnx'), 'ab') as f:
                f.write(b'\0')
            from promotion.archs import build_network
            from promotion.onnx_weights import load_export_weights
            with self.assertRaisesRegex(ValueError, 'does not match the SHA-256'):
                load_export_weights(build_network({'type': 'promotion-s', **TINY}), os.path.join(models, 'two.json'))

    def test_distillation_from_a_teacher(self):
        """teacher {model, weight}: the target moves from the sharp frame to the frozen teacher's output. A student
        that is its teacher, at weight 1 and learning rate 0, meets its target: the pixel term falls to Charbonnier's
        floor (sqrt(1e-6)), far under the same run's against the sharp frames; at weight 0.5 it lies between."""
        with tempfile.TemporaryDirectory() as d:
            make_dataset(os.path.join(d, 'data'))
            train(_config(d, iterations=3), quiet=True)
            teacher = os.path.join(d, 'out', 'checkpoints', 'iter_00000003.pt')
            path = _config(d, iterations=2, lr=0.0, eta_min=0.0, checkpoint_every=2, val_every=2)
            with open(path) as f:
                cfg = yaml.safe_load(f)
            pixels = {}
            for weight in (None, 0.5, 1.0):
                cfg.update(init=teacher, output=f'out-{weight}', loss={})
                cfg.pop('teacher', None)
                if weight is not None:
                    cfg['teacher'] = {'model': teacher, 'weight': weight}
                write_config(path, cfg)
                train(path, quiet=True)
                with open(os.path.join(d, f'out-{weight}', 'train.csv')) as f:
                    pixels[weight] = [float(r['pixel']) for r in csv.DictReader(f)]
            for k in range(2):
                self.assertLess(pixels[1.0][k], 1.2e-3, pixels)
                self.assertGreater(pixels[None][k], 5 * pixels[1.0][k], pixels)
                self.assertTrue(pixels[1.0][k] < pixels[0.5][k] < pixels[None][k], pixels)
            for bad in ({'model': teacher}, {'model': teacher, 'weight': 0}, {'model': teacher, 'weight': 1.5},
                        {'model': os.path.join(d, 'missing.pt'), 'weight': 1}, {'model': teacher, 'weight': 1, 'x': 1}):
                cfg['teacher'] = bad
                write_config(path, cfg)
                with self.assertRaisesRegex(ValueError, 'teacher'):
                    train(path, quiet=True)

    def test_distillation_from_stored_teacher_frames(self):
        """teacher {frames, weight}: the target moves towards the frames a folder beside each sequence holds. Frames
        that are the sharp ones leave every step as without a teacher, to the bit; frames that are the blurred input,
        at weight 1, make the input the target, so the pixel term is that of the input against itself's neighbour.
        A missing folder, and a folder name that is not a plain one of its own, are refused, naming the fix."""
        import shutil
        with tempfile.TemporaryDirectory() as d:
            make_dataset(os.path.join(d, 'data'))
            path = _config(d, iterations=2, checkpoint_every=2, val_every=2)
            with open(path) as f:
                cfg = yaml.safe_load(f)
            cfg['loss'] = {}
            pixels = {}
            for source in (None, 'sharp', 'blur'):
                cfg['output'] = f'out-{source}'
                cfg.pop('teacher', None)
                if source is not None:
                    for seq in ('seq0', 'seq1'):
                        shutil.rmtree(os.path.join(d, 'data', seq, 'taught'), ignore_errors=True)
                        shutil.copytree(os.path.join(d, 'data', seq, source), os.path.join(d, 'data', seq, 'taught'))
                    cfg['teacher'] = {'frames': 'taught', 'weight': 1}
                write_config(path, cfg)
                train(path, quiet=True)
                with open(os.path.join(d, f'out-{source}', 'train.csv')) as f:
                    pixels[source] = [float(r['pixel']) for r in csv.DictReader(f)]
            self.assertEqual(pixels['sharp'], pixels[None])
            self.assertNotEqual(pixels['blur'], pixels[None])
            os.remove(os.path.join(d, 'data', 'seq1', 'taught', '0003.png'))
            with self.assertRaisesRegex(ValueError, r"seq1: taught/ lacks \['0003.png'\] that blur/ has \(write the teacher's frames: node training/build-card-targets.mjs"):
                train(path, quiet=True)
            for bad in ({'frames': 'taught'}, {'frames': 'a/b', 'weight': 1}, {'frames': 'sharp', 'weight': 1},
                        {'frames': '', 'weight': 1}, {'frames': 'taught', 'model': path, 'weight': 1}):
                cfg['teacher'] = bad
                write_config(path, cfg)
                with self.assertRaisesRegex(ValueError, 'teacher'):
                    train(path, quiet=True)

    def test_only_the_trainable_parameters_change_from_a_model_at_another_prior_stride(self):
        # configs/prior-stride-fit.yml: init from an exported promotion-c with prior_stride 2 (a function option:
        # onnx_weights.FUNCTION_OPTIONS), train.trainable [prior_encoder.]: the rest stays the export's, exactly.
        import torch
        tiny_c = {'type': 'promotion-c', 'num_feat': 8, 'middle_blocks': 1}
        with tempfile.TemporaryDirectory() as d:
            make_dataset(os.path.join(d, 'data'))
            self.assertEqual(export_main(['--preset', 'promotion-c', '--random-init', '--name', 'c', '--out-dir',
                                          os.path.join(d, 'models'), '--threads', '1',
                                          '--set', 'num_feat=8', '--set', 'middle_blocks=1']), 0)
            from promotion.onnx_weights import load_export_weights
            from promotion.archs import build_network
            start = build_network(tiny_c)
            load_export_weights(start, os.path.join(d, 'models', 'c.json'))
            path = _config(d, iterations=3, lr=1e-2, trainable=['prior_encoder.'])
            with open(path) as f:
                cfg = yaml.safe_load(f)
            cfg['init'] = os.path.join(d, 'models', 'c.json')
            cfg['network'] = {**tiny_c, 'prior_stride': 2}
            write_config(path, cfg)
            train(path, quiet=True)
            tuned = torch.load(os.path.join(d, 'out', 'checkpoints', 'iter_00000003.pt'), map_location='cpu')['model']
            for name, value in start.state_dict().items():
                if name.startswith('prior_encoder.'):
                    continue
                self.assertTrue(torch.equal(value, tuned[name]), name)
            self.assertTrue(any(not torch.equal(v, tuned[k]) for k, v in start.state_dict().items()
                                if k.startswith('prior_encoder.')))
            cfg['train']['trainable'] = ['prior_encoderz.']
            cfg['output'] = 'out2'
            write_config(path, cfg)
            with self.assertRaisesRegex(ValueError, "train.trainable: 'prior_encoderz.' names no parameter"):
                train(path, quiet=True)
            cfg['train']['trainable'] = []
            write_config(path, cfg)
            with self.assertRaisesRegex(ValueError, 'train.trainable'):
                train(path, quiet=True)

    def test_crop_curriculum(self):
        schedule = [[0, 32], [3, 48]]
        self.assertEqual([crop_at(schedule, i) for i in range(5)], [32, 32, 32, 48, 48])
        with tempfile.TemporaryDirectory() as d:
            make_dataset(os.path.join(d, 'data'), sequences=2)
            ds = _EpochDataset(SequenceDataset([os.path.join(d, 'data')], crop=32, cache=True), schedule)
            self.assertEqual(list(ds[(0, 0)]['frames'].shape[-2:]), [32, 32])
            self.assertEqual(list(ds[(4, 0)]['frames'].shape[-2:]), [48, 48])
            self.assertEqual(list(ds[(1, 0)]['gt'].shape[-2:]), [32, 32])
            for bad in ([[1, 32]], [[0, 40]], [[0, 32], [0, 48]], 'big'):
                path = _config(d)
                with open(path) as f:
                    cfg = yaml.safe_load(f)
                cfg['datasets']['train']['crop_schedule'] = bad
                write_config(path, cfg)
                with self.assertRaisesRegex(ValueError, 'crop_schedule'):
                    load_config(path)
            result = train(_config(d, iterations=4), quiet=True)  # runs through a schedule-free config too
            self.assertEqual(result['iteration'], 4)

    def test_tune_malloc_is_accepted_by_glibc(self):
        self.assertTrue(tune_malloc())

    def test_config_errors_name_the_key(self):
        with tempfile.TemporaryDirectory() as d:
            make_dataset(os.path.join(d, 'data'), sequences=1)
            with self.assertRaisesRegex(ValueError, 'train.batch_size'):
                train(_config(d, batch_size=0), quiet=True)
            with self.assertRaisesRegex(ValueError, 'train.clamp_radius'):
                train(_config(d, clamp_radius=-1), quiet=True)

    def test_training_through_the_runtime_clamp(self):
        # clamp_radius: the loss and the validation see the output clamped as deblur() clamps it.
        with tempfile.TemporaryDirectory() as d:
            make_dataset(os.path.join(d, 'data'), sequences=2)
            result = train(_config(d, iterations=2, clamp_radius=3, checkpoint_every=2, val_every=2), quiet=True)
            self.assertEqual(result['iteration'], 2)
            self.assertTrue(np.isfinite(result['validation']['psnr']))

    def test_training_through_a_clamp_that_follows_the_motion(self):
        # clamp_motion: the dataset computes the flow vectors (the network, which does not read them, is not given
        # them) and the loss and the validation see the output clamped at each pixel's radius.
        with tempfile.TemporaryDirectory() as d:
            make_dataset(os.path.join(d, 'data'), sequences=2)
            config = _config(d, iterations=2, clamp_radius=2, clamp_motion=[0.25, 8], checkpoint_every=2,
                             val_every=2)
            with open(config) as f:
                cfg = yaml.safe_load(f)
            cfg['datasets']['train']['motion_finest_level'] = 1
            cfg['datasets']['val']['motion_finest_level'] = 1
            with open(config, 'w') as f:
                yaml.safe_dump(cfg, f)
            result = train(config, quiet=True)
            self.assertEqual(result['iteration'], 2)
            self.assertTrue(np.isfinite(result['validation']['psnr']))
            with self.assertRaisesRegex(ValueError, 'train.clamp_motion'):
                train(_config(d, clamp_radius=0, clamp_motion=[0.25, 8]), quiet=True)
            with self.assertRaisesRegex(ValueError, 'motion_finest_level'):
                train(_config(d, clamp_radius=2, clamp_motion=[0.25, 8]), quiet=True)

    def test_weights_only_checkpoints_and_a_time_budget(self):
        # checkpoint_optimizer false: checkpoints hold the weights alone, and a resume from one starts Adam afresh.
        # max_seconds: past the budget the run checkpoints and stops, whatever `iterations` says.
        from promotion.train import latest_checkpoint, load_checkpoint
        with tempfile.TemporaryDirectory() as d:
            make_dataset(os.path.join(d, 'data'), sequences=2)
            train(_config(d, iterations=4, checkpoint_every=2, checkpoint_optimizer=False), quiet=True)
            state = load_checkpoint(latest_checkpoint(os.path.join(d, 'out')))
            self.assertNotIn('optimizer', state)
            self.assertEqual(state['iteration'], 4)
            self.assertEqual(train(_config(d, iterations=6, checkpoint_every=2, checkpoint_optimizer=False),
                                   quiet=True)['iteration'], 6)
            result = train(_config(d, iterations=100000, checkpoint_every=50000, max_seconds=1e-9), quiet=True)
            self.assertEqual(result['iteration'], 7)  # resumed at 6, one iteration, then over budget
            self.assertEqual(load_checkpoint(latest_checkpoint(os.path.join(d, 'out')))['iteration'], 7)
            with self.assertRaisesRegex(ValueError, 'train.max_seconds'):
                train(_config(d, max_seconds=-1), quiet=True)

    def test_windows_rendered_from_a_photo_pack(self):
        # datasets.train.scenes: batches rendered on the training device (gpu_scenes.py) instead of folders.
        from .test_gpu_scenes import make_pack
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, 'pack'))
            make_pack(os.path.join(d, 'pack'), side=96)
            path = _config(d, iterations=2, checkpoint_every=2)
            with open(path) as f:
                cfg = yaml.safe_load(f)
            cfg['datasets'] = {'train': {'roots': ['pack'], 'scenes': {'size': 32}}}
            write_config(path, cfg)
            self.assertEqual(train(path, quiet=True)['iteration'], 2)
            self.assertEqual([r[0] for r in _losses(d)], [1, 2])
            cfg['datasets']['train']['scenes'] = [32]
            write_config(path, cfg)
            with self.assertRaisesRegex(ValueError, 'datasets.train.scenes'):
                train(path, quiet=True)


class DatasetTest(unittest.TestCase):
    def test_sample_layout_statistics_and_determinism(self):
        with tempfile.TemporaryDirectory() as d:
            root = make_dataset(os.path.join(d, 'data'), sequences=1, frames=4)
            ds = SequenceDataset([root], crop=32, augment=True, seed=3)
            self.assertEqual(len(ds), 4)
            s = ds[0]
            self.assertEqual(list(s['frames'].shape), [5, 3, 32, 32])
            self.assertEqual(list(s['motion'].shape), [1, 32, 32])
            self.assertEqual(list(s['gt'].shape), [3, 32, 32])
            # Window of frame 0 with replicated edges: frames 0, 0, 0, 1, 2 (or reversed); statistics over the
            # whole frames, as statistics.py computes them.
            greys = [grey_unit(read_png(os.path.join(root, 'seq0', 'blur', f'{i:04d}.png'))[0], 255)
                     for i in (0, 0, 0, 1, 2)]
            expected_bw = blur_weights(greys)
            expected_cs = [contrast_scale(g) for g in greys]
            bw, cs = s['blurWeights'].numpy(), s['contrastScale'].numpy()
            if not np.allclose(bw, expected_bw, rtol=1e-6):
                bw, cs = bw[::-1], cs[::-1]
            np.testing.assert_allclose(bw, expected_bw, rtol=1e-6)
            np.testing.assert_allclose(cs, expected_cs, rtol=1e-6)
            again = SequenceDataset([root], crop=32, augment=True, seed=3)[0]
            for k in s:
                self.assertTrue(bool((s[k] == again[k]).all()), k)
            with self.assertRaisesRegex(ValueError, 'multiple of 16'):
                SequenceDataset([root], crop=40)
            with self.assertRaisesRegex(ValueError, 'not a folder'):
                SequenceDataset([os.path.join(d, 'missing')])

    def test_teacher_frames_follow_the_sharp_frame_through_crops_and_flips(self):
        import shutil
        import torch
        with tempfile.TemporaryDirectory() as d:
            root = make_dataset(os.path.join(d, 'data'), size=48)
            for seq in ('seq0', 'seq1'):
                shutil.copytree(os.path.join(root, seq, 'sharp'), os.path.join(root, seq, 'taught'))
            ds = SequenceDataset([root], crop=32, augment=True, seed=3, teacher_frames='taught')
            for k in range(len(ds)):
                sample = ds[k]
                self.assertTrue(torch.equal(sample['teacher'], sample['gt']), k)
            self.assertNotIn('teacher', SequenceDataset([root], crop=32)[0])
            # Another size than the sharp frame's is refused, naming both.
            write_png(os.path.join(root, 'seq0', 'taught', '0002.png'), np.zeros((40, 48, 3), np.uint8))
            with self.assertRaisesRegex(ValueError, 'taught/0002.png is 48x40, its sharp frame 48x48'):
                SequenceDataset([root], crop=32, augment=False, teacher_frames='taught')[2]

    def test_sequences_kept_by_the_photo_they_were_rendered_from(self):
        with tempfile.TemporaryDirectory() as d:
            root = make_dataset(os.path.join(d, 'data'), sequences=3)
            for k, photo in enumerate(['/x/a.jpg', '/y/b.png', '/x/a.jpg']):
                with open(os.path.join(root, f'seq{k}', 'synthesis.json'), 'w') as f:
                    json.dump({'frames': 6, 'motionMaps': {'kind': 'magnitude'}, 'scene': {'photo': photo}}, f)
            kept = SequenceDataset([root], crop=32, photos=['a.jpg'])
            self.assertEqual([os.path.basename(s['folder']) for s in kept.sequences], ['seq0', 'seq2'])
            self.assertEqual(len(SequenceDataset([root], crop=32, photos=['a.jpg', 'b.png']).sequences), 3)
            with self.assertRaisesRegex(ValueError, r"photos: no sequence under .* was rendered from \['c.jpg'\]"):
                SequenceDataset([root], crop=32, photos=['a.jpg', 'c.jpg'])
            for bad in ([], 'a.jpg', [''], [3]):
                with self.assertRaisesRegex(ValueError, 'photos'):
                    SequenceDataset([root], crop=32, photos=bad)

    def test_motion_maps_computed_as_the_runtime_computes_them(self):
        # motion_finest_level: the centre's map from the blurred frames by DIS (flow_torch), over the whole frame,
        # forward flow alone at the first frame; the crop then cuts it like every other input.
        import torch
        from promotion.flow_torch import grey_255, motion_map
        with tempfile.TemporaryDirectory() as d:
            root = make_dataset(os.path.join(d, 'data'), sequences=1, frames=4, size=64)
            ds = SequenceDataset([root], crop=None, augment=False, motion_finest_level=1)
            blur = [read_png(os.path.join(root, 'seq0', 'blur', f'{i:04d}.png')) for i in range(3)]
            grey = grey_255(torch.from_numpy(np.stack([b.astype(np.float32) / m for b, m in blur]).transpose(0, 3, 1, 2)))
            first, _ = motion_map(None, grey[0:1], grey[1:2], finest_level=1)
            middle, _ = motion_map(grey[0:1], grey[1:2], grey[2:3], finest_level=1)
            self.assertTrue(torch.equal(ds[0]['motion'], first[0]))
            self.assertTrue(torch.equal(ds[1]['motion'], middle[0]))
            self.assertGreater(float(middle.max()), 0.5)  # the texture pans 2 px per frame
            cropped = SequenceDataset([root], crop=32, augment=False, motion_finest_level=1, seed=1)[1]['motion']
            self.assertTrue(any(torch.equal(cropped, middle[0][:, y:y + 32, x:x + 32])
                                for y in range(33) for x in range(33)))
            with self.assertRaisesRegex(ValueError, 'motion_finest_level'):
                SequenceDataset([root], motion_finest_level=-1)

    def test_png_reader_16_bit(self):
        with tempfile.TemporaryDirectory() as d:
            grey16 = (np.arange(12, dtype=np.uint16).reshape(3, 4) * 5000)
            write_png(os.path.join(d, 'g.png'), grey16)
            data, smax = read_png(os.path.join(d, 'g.png'))
            self.assertEqual(smax, 65535)
            np.testing.assert_array_equal(data, grey16)



def _png_16bit_rgb_all_filters(samples):
    """A 16-bit RGB PNG whose row y uses filter type y % 5 (None, Sub, Up, Average, Paeth)."""
    import struct
    import zlib

    def paeth(a, b, c):
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        return a if pa <= pb and pa <= pc else (b if pb <= pc else c)

    h, w, _ = samples.shape
    rows = samples.astype('>u2').reshape(h, -1).view(np.uint8).astype(int)
    bpp, out, prev = 6, bytearray(), np.zeros(rows.shape[1], dtype=int)
    for y in range(h):
        f = y % 5
        line = rows[y]
        out.append(f)
        for i in range(len(line)):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            pred = (0, a, b, (a + b) // 2, paeth(a, b, c))[f]
            out.append((line[i] - pred) & 255)
        prev = line

    def chunk(kind, body):
        return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body) & 0xffffffff)

    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 16, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(bytes(out))) + chunk(b'IEND', b''))


class Png16Test(unittest.TestCase):
    def test_rgb16_written_by_sharp(self):
        # tests/data/rgb16-sharp.png: written by sharp exactly as src/stream/image-codec.ts writes 16-bit frames.
        data, smax = read_png(os.path.join(os.path.dirname(__file__), 'data', 'rgb16-sharp.png'))
        y, x, c = np.mgrid[0:7, 0:13, 0:3]
        self.assertEqual(smax, 65535)
        np.testing.assert_array_equal(data, (x * 4099 + y * 7919 + c * 13 + x * y * 611) % 65536)

    def test_rgb16_every_filter_type(self):
        samples = np.random.default_rng(0).integers(0, 65536, (10, 7, 3)).astype(np.uint16)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'f.png')
            with open(path, 'wb') as f:
                f.write(_png_16bit_rgb_all_filters(samples))
            data, smax = read_png(path)
            self.assertEqual(smax, 65535)
            np.testing.assert_array_equal(data, samples)


if __name__ == '__main__':
    unittest.main()
