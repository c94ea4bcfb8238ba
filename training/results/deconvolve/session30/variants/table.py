"""Session 30's variants of the card's consistency check: mean gains on val and lines, per kind, and the lines set's
lowest sharp sequence where measured. Run from the repository root:
  python3 training/results/deconvolve/session30/variants/table.py"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
VARIANTS = [
    ('base', "session 25's card as shipped until session 30 (1 px + 5%, fit ramp 0.45-0.65)"),
    ('c1s10', '1 px + 10%'),
    ('c15', '1.5 px + 7.5%'),
    ('c2s5', '2 px + 5%'),
    ('cons-2', '2 px + 10%'),
    ('cons-4', '4 px + 20%'),
    ('cons-1000', 'no consistency check'),
    ('med', "1 px + 5% of F+ + F- less the region's median of it"),
    ('loc16', '1 px + 5% of F+ + F- less its mean over 33x33 px'),
    ('sure2', '1 px + 5%, doubled in a region the blur test finds surely blurred'),
    ('endflow', '1 px + 5%, the missing flow at the ends carried over from the pair beyond'),
    ('c2end', '2 px + 10%, and the ends as endflow'),
    ('c2fit', '2 px + 10%, fit ramp 0.4-0.6 (shipped)'),
]


def load(name, suffix):
    path = os.path.join(HERE, f'{name}-{suffix}.json')
    if not os.path.exists(path):
        return None
    return json.load(open(path))['results'][0]['sequences']


def gains(seqs):
    if seqs is None:
        return None
    mean = lambda xs: sum(xs) / len(xs)
    return (mean([s['gainDb'] for s in seqs if s['kind'] == 'camera']), mean([s['gainDb'] for s in seqs if s['kind'] == 'local']), mean([s['gainDb'] for s in seqs]))


fmt = lambda g: '' if g is None else f'{g[2]:+.3f} ({g[0]:+.3f} / {g[1]:+.3f})'
print('| variant | val: mean (camera / local) | lines: mean (camera / local) | lines, sharp input: lowest sequence |')
print('| --- | ---: | ---: | ---: |')
for name, what in VARIANTS:
    sharp = load(name, 'lines-sharp')
    low = '' if sharp is None else f"{min(s['restoredDb'] for s in sharp):.2f} dB"
    print(f'| {what} (`{name}`) | {fmt(gains(load(name, "val")))} | {fmt(gains(load(name, "lines")))} | {low} |')
