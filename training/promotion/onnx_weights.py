"""Weights back from an exported model. torch.onnx keeps every parameter as an initializer named by its state-dict
key (behind a `model.` prefix in the two-part export's wrappers), so a shipped model (`models/<name>.json` and its ONNX file(s)) is also
a checkpoint of its weights: training can start from it (`init: ../../models/promotion-s.json`) on a machine that
has none of the runs' checkpoints, as every new machine here has.

The card's SHA-256 of each file is checked, every parameter of the network must be found with its shape, and the
card's architecture must be the network's."""
import hashlib
import json
import os
from typing import Any, Dict, Iterable, List

import torch
from torch import nn

EXPORT_PREFIX = 'model.'


def sha256(path: str) -> str:
    """Hex SHA-256 of a file (what model cards record)."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def export_files(card_path: str) -> List[str]:
    """The ONNX files of an exported model, given its card (`.json`) or its main `.onnx` file (card beside it);
    checked against the card's SHA-256. Raises ValueError naming the file and the fix."""
    if card_path.endswith('.onnx'):
        card_path = card_path[:-len('.onnx')] + '.json'
    if not os.path.isfile(card_path):
        raise ValueError(f'Model card {card_path!r} does not exist (an exported model is a .json card beside its .onnx file)')
    with open(card_path) as f:
        card = json.load(f)
    folder = os.path.dirname(card_path)
    files = [(card.get('file'), card.get('sha256'))]
    if isinstance(card.get('features'), dict):
        files.append((card['features'].get('file'), card['features'].get('sha256')))
    out = []
    for name, digest in files:
        if not isinstance(name, str) or not isinstance(digest, str):
            raise ValueError(f'Model card {card_path} lacks a file name or sha256; export the model again')
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            raise ValueError(f'{path}, named by the card {card_path}, does not exist')
        if sha256(path) != digest:
            raise ValueError(f'{path} does not match the SHA-256 in its card {card_path}: the file was changed or truncated')
        out.append(path)
    return out


def read_card(card_path: str) -> Dict[str, Any]:
    """An exported model's card, given the card (`.json`) or its main `.onnx` file (card beside it)."""
    if card_path.endswith('.onnx'):
        card_path = card_path[:-len('.onnx')] + '.json'
    with open(card_path) as f:
        return json.load(f)


def card_architecture(card_path: str) -> Dict[str, Any]:
    return dict(read_card(card_path).get('architecture') or {})


#: Additions a network may have over the exported model it starts from, each with the prefix of its parameters:
#: they start as the network initializes them (zero: the same function as the export's) and the rest is loaded.
GROWN_ADDITIONS = {'directional_motion': 'fuse_flow.'}


#: Network options that change the function but no parameter's shape: a network started from an exported model
#: (train.py `init`) may set them otherwise, and training adapts the weights (prior_stride: unet_arch.py).
FUNCTION_OPTIONS = ('prior_stride',)


def load_export_weights(model: nn.Module, card_path: str, grow: bool = False,
                        changed: Iterable[str] = ()) -> List[str]:
    """Loads the weights of the exported model `card_path` into `model` (which must be the same network; with
    `grow`, it may add what GROWN_ADDITIONS lists, switched on, whose parameters keep their initial values; the
    options named in `changed` may differ, as long as every parameter keeps its shape).
    Returns the names of the parameters left at their initial values."""
    import onnx  # only needed here; the exporter's dependency too
    from onnx import numpy_helper

    architecture = card_architecture(card_path)
    changed = set(changed)
    ours = {k: v for k, v in dict(getattr(model, 'config', {})).items() if k not in changed}
    theirs = {k: v for k, v in architecture.items() if k != 'preset' and k not in changed}
    grown = [k for k in GROWN_ADDITIONS if grow and ours.get(k) is True and k not in theirs]
    if theirs != {k: v for k, v in ours.items() if k not in grown}:
        differ = sorted(k for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k))
        raise ValueError(f'{card_path} holds another network: {", ".join(f"{k} {theirs.get(k)!r} (network: {ours.get(k)!r})" for k in differ)}')
    found: Dict[str, torch.Tensor] = {}
    for path in export_files(card_path):
        for tensor in onnx.load(path).graph.initializer:
            name = tensor.name[len(EXPORT_PREFIX):] if tensor.name.startswith(EXPORT_PREFIX) else tensor.name
            found[name] = torch.from_numpy(numpy_helper.to_array(tensor).copy())
    state = model.state_dict()
    new = [k for k in state if k not in found and any(k.startswith(GROWN_ADDITIONS[g]) for g in grown)]
    missing = [k for k in state if k not in found and k not in new]
    if missing:
        raise ValueError(f'{card_path}: {len(missing)} parameters are not in its ONNX file(s) (first: {missing[0]}); '
                         'it was exported with constant folding that renamed them, or is another network')
    wrong = [k for k in state if k in found and tuple(found[k].shape) != tuple(state[k].shape)]
    if wrong:
        k = wrong[0]
        raise ValueError(f'{card_path}: {k} has shape {tuple(found[k].shape)}, the network {tuple(state[k].shape)}')
    model.load_state_dict({k: (state[k] if k in new else found[k].to(state[k].dtype)) for k in state})
    return new
