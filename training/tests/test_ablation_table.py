"""The ablation series' table (promotion/ablation_table.py): results from each run's logs, the baseline's mean and
its spread, and what each config changes."""
import json
import os
import tempfile
import unittest

from promotion.ablation_table import main


def _run(root, name, gains, seconds=600.0):
    folder = os.path.join(root, name)
    os.makedirs(folder)
    with open(os.path.join(folder, 'frame_val.csv'), 'w') as f:
        f.write('iteration,gain,camera,local,worst,best,seconds\n')
        for k, g in enumerate(gains):
            f.write(f'{750 * (k + 1)},{g},{g + 0.1},{g - 0.1},{g - 0.3},1,0\n')
    with open(os.path.join(folder, 'train.csv'), 'w') as f:
        f.write(f'iteration,lr,loss,pixel,perceptual,psnr,seconds\n1500,0,0,0,0,0,{seconds}\n')


class AblationTableTest(unittest.TestCase):
    def test_table_from_the_runs_logs(self):
        with tempfile.TemporaryDirectory() as d:
            root, configs, out = (os.path.join(d, n) for n in ('runs', 'configs', 'out'))
            os.makedirs(configs)
            _run(root, 'base', [0.2, 0.4])
            _run(root, 'base-seed2', [0.25, 0.5])
            _run(root, 'no-priors', [0.1, 0.3])
            _run(root, 'no-contrast', [0.1, 0.35])
            _run(root, 'renamed', [0.1, 0.2])
            os.makedirs(os.path.join(root, 'not-started'))
            with open(os.path.join(configs, 'no-contrast.yml'), 'w') as f:
                f.write('# base.yml without the contrast group: its maps |C| are\n# zeros; the rest stays.\n'
                        '# More about it.\n#   cd training && python3 -m promotion.train x.yml\nname: x\n')
            with open(os.path.join(configs, 'no-priors.yml'), 'w') as f:
                f.write('# base.yml without the prior branch.\nname: x\n')
            self.assertEqual(main([root, '--out', out, '--baseline', 'base', '--baseline', 'base-seed2',
                                   '--config-dir', configs]), 0)
            with open(os.path.join(out, 'table.json')) as f:
                result = json.load(f)
            self.assertEqual([r['name'] for r in result['runs']], ['base', 'base-seed2', 'no-contrast', 'no-priors', 'renamed'])
            self.assertAlmostEqual(result['baseline']['gain'], 0.45)
            self.assertAlmostEqual(result['noiseFloor'], 0.1)
            self.assertEqual(result['runs'][2]['what'], 'base.yml without the contrast group: its maps |C| are zeros; the rest stays.')
            self.assertEqual(result['runs'][4]['what'], '(no config)')
            priors = result['runs'][3]
            self.assertAlmostEqual(priors['difference'], -0.15)
            self.assertEqual(priors['what'], 'base.yml without the prior branch.')
            self.assertEqual([c['iteration'] for c in priors['curve']], [750, 1500])
            with open(os.path.join(out, 'table.md')) as f:
                text = f.read()
            self.assertIn('| `no-priors` | base.yml without the prior branch. | 1500 | +0.300 dB |', text)
            self.assertIn('differ by 0.100 dB (the noise floor)', text)
            self.assertIn('its maps \\|C\\| are zeros', text)
            self.assertTrue(os.path.isfile(os.path.join(out, 'no-priors', 'frame_val.csv')))
            self.assertEqual(main([os.path.join(d, 'missing'), '--out', out]), 2)


if __name__ == '__main__':
    unittest.main()
