"""The table of an ablation series (training/ablations.sh): each run's whole-frame validation (frame_val.csv) at
every scored iteration, its wall time, and its difference to the baseline runs, as Markdown and JSON; the runs'
logs (train.csv, frame_val.csv) are copied beside them so the table can be checked and redrawn.

    cd training && /usr/bin/python3 -m promotion.ablation_table ../runs/ablation-c --out results/ablation-c \\
        --baseline base --baseline base-seed2 --config-dir configs/ablation-c

A run counts when its frame_val.csv has a row; the last row is its result. The baseline's result is the mean of the
baseline runs that finished, and their spread (max - min) is the noise floor the table states: a difference smaller
than it cannot be told from the draw of batches and crops.
"""
import argparse
import csv
import json
import os
import shutil
import sys
from typing import Any, Dict, List, Optional


def _rows(path: str) -> List[Dict[str, str]]:
    if not os.path.isfile(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def _what(config_dir: Optional[str], name: str) -> str:
    """What the run changes: the first sentence of its config's opening comment (it may run over several comment
    lines), without the '#'; '(no config)' when the config directory does not hold the run's config."""
    if not config_dir:
        return ''
    path = os.path.join(config_dir, f'{name}.yml')
    if not os.path.isfile(path):
        return '(no config)'
    parts: List[str] = []
    with open(path) as f:
        for line in f:
            text = line.strip()
            # The opening comment's prose: a bare '#' or an indented command line ends it.
            if not text.startswith('#') or text == '#' or line.startswith('#   '):
                break
            parts.append(text[1:].strip())
            if parts[-1].endswith('.'):
                break
    return ' '.join(parts)


def collect(root: str, config_dir: Optional[str] = None) -> List[Dict[str, Any]]:
    """One record per run folder under root with a scored iteration."""
    runs = []
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        scores = _rows(os.path.join(folder, 'frame_val.csv'))
        if not os.path.isdir(folder) or not scores:
            continue
        train = _rows(os.path.join(folder, 'train.csv'))
        last = scores[-1]
        runs.append({
            'name': name,
            'what': _what(config_dir, name),
            'iteration': int(last['iteration']),
            'gain': float(last['gain']), 'camera': float(last['camera']), 'local': float(last['local']),
            'worst': float(last['worst']),
            'curve': [{'iteration': int(r['iteration']), 'gain': float(r['gain'])} for r in scores],
            'seconds': float(train[-1]['seconds']) if train else None,
        })
    return runs


def table(runs: List[Dict[str, Any]], baselines: List[str]) -> Dict[str, Any]:
    base = [r for r in runs if r['name'] in baselines]
    out: Dict[str, Any] = {'runs': runs, 'baselines': [r['name'] for r in base]}
    if base:
        out['baseline'] = {k: sum(r[k] for r in base) / len(base) for k in ('gain', 'camera', 'local')}
        out['noiseFloor'] = max(r['gain'] for r in base) - min(r['gain'] for r in base) if len(base) > 1 else None
        for r in runs:
            r['difference'] = r['gain'] - out['baseline']['gain']
    return out


def markdown(result: Dict[str, Any]) -> str:
    lines = ['| run | what it changes | iterations | mean gain | camera | local | worst sequence | vs baseline | '
             'curve | wall time |',
             '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |']
    for r in result['runs']:
        diff = f'{r["difference"]:+.3f}' if 'difference' in r else ''
        curve = ', '.join(f'{c["iteration"]}: {c["gain"]:+.3f}' for c in r['curve'])
        wall = f'{r["seconds"] / 60:.0f} min' if r['seconds'] else ''
        what = r['what'].replace('|', '\\|')  # a '|' in a config's comment would end the cell
        lines.append(f'| `{r["name"]}` | {what} | {r["iteration"]} | {r["gain"]:+.3f} dB | {r["camera"]:+.3f} | '
                     f'{r["local"]:+.3f} | {r["worst"]:+.3f} | {diff} | {curve} | {wall} |')
    if result.get('baseline'):
        floor = result.get('noiseFloor')
        lines.append('')
        lines.append(f'Baseline ({", ".join(result["baselines"])}): {result["baseline"]["gain"]:+.3f} dB'
                     + (f'; the baseline runs differ by {floor:.3f} dB (the noise floor)' if floor is not None else
                        '; one baseline run only, so the noise floor is not known from this series'))
    return '\n'.join(lines) + '\n'


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m promotion.ablation_table', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='the series\' output folder (one folder per run)')
    parser.add_argument('--out', required=True, help='folder for table.md, table.json and the runs\' logs')
    parser.add_argument('--baseline', action='append', default=[], help='a baseline run\'s name (repeatable)')
    parser.add_argument('--config-dir', help='the series\' configs, for what each run changes')
    args = parser.parse_args(argv)
    if not os.path.isdir(args.root):
        print(f'error: {args.root} is not a folder of runs (training/ablations.sh writes one)', file=sys.stderr)
        return 2
    runs = collect(args.root, args.config_dir)
    if not runs:
        print(f'error: no run under {args.root} has a frame_val.csv row yet', file=sys.stderr)
        return 2
    result = table(runs, args.baseline)
    os.makedirs(args.out, exist_ok=True)
    for r in runs:
        dest = os.path.join(args.out, r['name'])
        os.makedirs(dest, exist_ok=True)
        for log in ('train.csv', 'frame_val.csv'):
            src = os.path.join(args.root, r['name'], log)
            if os.path.isfile(src):
                shutil.copyfile(src, os.path.join(dest, log))
    text = markdown(result)
    with open(os.path.join(args.out, 'table.md'), 'w') as f:
        f.write(text)
    with open(os.path.join(args.out, 'table.json'), 'w') as f:
        json.dump(result, f, indent=2)
        f.write('\n')
    print(text, end='')
    return 0


if __name__ == '__main__':
    sys.exit(main())
