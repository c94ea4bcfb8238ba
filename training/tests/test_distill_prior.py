import csv
import json
import os
import tempfile
import unittest

import torch

from promotion.archs import build_network
from promotion.distill_prior import main
from promotion.export import main as export_main
from promotion.onnx_weights import load_export_weights
from promotion.train import load_checkpoint

from .helpers import make_dataset

TINY_C = {'type': 'promotion-c', 'num_feat': 8, 'middle_blocks': 1}


class DistillPriorTest(unittest.TestCase):
    def test_the_branch_at_stride_two_learns_the_exported_branch_and_nothing_else_changes(self):
        with tempfile.TemporaryDirectory() as d:
            make_dataset(os.path.join(d, 'data'), size=64)
            models = os.path.join(d, 'models')
            self.assertEqual(export_main(['--preset', 'promotion-c', '--random-init', '--name', 'c', '--out-dir', models,
                                          '--set', 'num_feat=8', '--set', 'middle_blocks=1', '--threads', '1']), 0)
            card = os.path.join(models, 'c.json')
            out = os.path.join(d, 'out')
            self.assertEqual(main([card, '--stride', '2', '--roots', os.path.join(d, 'data'), '--out', out,
                                   '--iterations', '60', '--batch-size', '4', '--crop', '32', '--lr', '1e-2',
                                   '--threads', '1']), 0)
            with open(os.path.join(out, 'distill.csv')) as f:
                errors = [float(r['relative_error']) for r in csv.DictReader(f)]
            self.assertLess(errors[-1], errors[0])
            state = load_checkpoint(os.path.join(out, 'distilled.pt'))
            self.assertEqual(state['network']['prior_stride'], 2)
            self.assertEqual(state['network']['num_feat'], 8)
            source = build_network({k: v for k, v in state['network'].items() if k != 'prior_stride'})
            load_export_weights(source, card)
            changed = {k for k, v in source.state_dict().items() if not torch.equal(v, state['model'][k])}
            self.assertTrue(changed)
            self.assertTrue(all(k.startswith('prior_encoder.') for k in changed), changed)
            # the exporter takes it
            self.assertEqual(export_main(['--checkpoint', os.path.join(out, 'distilled.pt'), '--name', 'd',
                                          '--out-dir', models, '--threads', '1']), 0)
            with open(os.path.join(models, 'd.json')) as f, open(card) as g:
                exported, original = json.load(f), json.load(g)
            self.assertEqual(exported['architecture']['prior_stride'], 2)
            self.assertEqual(exported['training']['source']['sha256'], original['sha256'])
            # a branch already at the stride asked for, and a missing card, are refused by name
            self.assertEqual(main([os.path.join(models, 'd.json'), '--stride', '2', '--roots', os.path.join(d, 'data'),
                                   '--out', out, '--iterations', '1']), 2)
            self.assertEqual(main([os.path.join(models, 'none.json'), '--roots', os.path.join(d, 'data'),
                                   '--out', out, '--iterations', '1']), 2)
