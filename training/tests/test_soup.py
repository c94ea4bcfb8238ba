import os
import tempfile
import unittest

import torch

from promotion.archs import build_network
from promotion.soup import main as soup_main, soup

from .helpers import TINY


class SoupTest(unittest.TestCase):
    def test_interpolates_every_parameter_and_refuses_other_networks(self):
        torch.manual_seed(0)
        a, b = build_network({'type': 'promotion-s', **TINY}), build_network({'type': 'promotion-s', **TINY})
        mixed = soup(a, b, 0.25)
        for k, v in a.state_dict().items():
            if v.is_floating_point():
                self.assertTrue(torch.allclose(mixed[k], 0.75 * v + 0.25 * b.state_dict()[k]))
        self.assertTrue(all(torch.equal(soup(a, b, 0.0)[k], v) for k, v in a.state_dict().items()))
        other = build_network({'type': 'promotion-s', **{**TINY, 'num_reconstruct_block': 1}})
        with self.assertRaisesRegex(ValueError, 'not the same network'):
            soup(a, other, 0.5)

    def test_command_line_writes_a_checkpoint_and_never_overwrites(self):
        torch.manual_seed(1)
        net = {'type': 'promotion-s', **TINY}
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for name in ('a', 'b'):
                path = os.path.join(d, f'{name}.pt')
                torch.save({'iteration': 1, 'model': build_network(net).state_dict(), 'network': net}, path)
                paths.append(path)
            out = os.path.join(d, 'soup.pt')
            self.assertEqual(soup_main([*paths, '--weight', '0.5', '--out', out]), 0)
            self.assertEqual(torch.load(out, weights_only=False)['network'], net)
            self.assertEqual(soup_main([*paths, '--weight', '0.5', '--out', out]), 2)  # exists
            self.assertEqual(soup_main([*paths, '--weight', '1.5', '--out', os.path.join(d, 'x.pt')]), 2)


if __name__ == '__main__':
    unittest.main()
