"""Architectures and their presets, in a registry keyed by the names YAML configs use (`network: {type: ...}`)."""
from typing import Any, Dict

from torch import nn

from ..registry import Registry
from .dcn import DCNv2Pack, modulated_deform_conv2d
from .promotion_arch import Promotion
from .single_arch import SingleImageUNet
from .unet_arch import PromotionUNet

ARCH_REGISTRY: Registry[nn.Module] = Registry('architecture')

#: The switches of Table 7's architectural ablations, all on for PROMOTION and all off for EDVR.
ADDITIONS = ('use_priors', 'use_blur_vector', 'use_channel_attention')

#: Sizes. `l`: the paper's (EDVR-L: nf 128, 5 extraction blocks, 40 reconstruction blocks, 8 deformable groups).
#: `s`: the CPU preset. Measured, nf 32 against nf 64 on the 2-core CPU: ONNX Runtime 157 vs 399 ms per 256x256
#: frame and 554 vs 1432 ms at 640x368 (2 threads), training 4.7 vs 1.6 it/s (batch 8, 64 px): nf 32 is the
#: width that both trains in hours here and runs near interactive rates; 10 reconstruction blocks (EDVR-M's count)
#: keep the per-frame cost dominated by the shared feature extraction. `lean_io` moves EDVR's full- and
#: half-resolution convolutions (predeblur's entry, conv_hr, the second upconv) to H/4 with space-to-depth and
#: depth-to-space: measured on 2 cores (batch 8 of 96 px windows, training step, glibc tuned as train.py does)
#: promotion-s 980 -> 729 ms and edvr-s 727 -> 561 ms, with 0.115M fewer parameters; nf 64 costs 1588 ms.
SIZES: Dict[str, Dict[str, Any]] = {
    'l': dict(num_feat=128, num_extract_block=5, num_reconstruct_block=40, deformable_groups=8),
    's': dict(num_feat=32, num_extract_block=5, num_reconstruct_block=10, deformable_groups=8, lean_io=True),
}

PRESETS: Dict[str, Dict[str, Any]] = {}
#: The class behind each preset.
PRESET_CLASSES: Dict[str, type] = {}
for _size, _dims in SIZES.items():
    PRESETS[f'promotion-{_size}'] = dict(_dims)
    PRESETS[f'edvr-{_size}'] = dict(_dims, **{name: False for name in ADDITIONS})
    PRESET_CLASSES[f'promotion-{_size}'] = PRESET_CLASSES[f'edvr-{_size}'] = Promotion

#: `promotion-c`: the CPU-shaped encoder-decoder (unet_arch.py), 32 features at H/2 (widths 32/64/128/192 down to
#: H/16), 1-1-2 encoder blocks, 4 middle blocks, 1-1-1 decoder blocks.
PRESETS['promotion-c'] = dict(num_feat=32, enc_blocks=[1, 1, 2], middle_blocks=4, dec_blocks=[1, 1, 1])
PRESET_CLASSES['promotion-c'] = PromotionUNet
#: `single-s`: a tiny single-image NAFNet-shaped network (single_arch.py), for comparisons with a model that sees one
#: frame, exported as a plain ONNX graph (promotion.export_plain).
PRESETS['single-s'] = dict(num_feat=16, levels=2, middle_blocks=1)
PRESET_CLASSES['single-s'] = SingleImageUNet


def _preset_factory(cls: type, preset: Dict[str, Any]):
    def factory(**overrides: Any) -> nn.Module:
        return cls(**{**preset, **overrides})
    return factory


for _name, _preset in PRESETS.items():
    ARCH_REGISTRY.register(_name)(_preset_factory(PRESET_CLASSES[_name], _preset))
ARCH_REGISTRY.register('Promotion')(Promotion)
ARCH_REGISTRY.register('PromotionUNet')(PromotionUNet)
ARCH_REGISTRY.register('SingleImageUNet')(SingleImageUNet)
PRESET_CLASSES['Promotion'], PRESET_CLASSES['PromotionUNet'], PRESET_CLASSES['SingleImageUNet'] = Promotion, PromotionUNet, SingleImageUNet


def build_network(spec: Dict[str, Any]) -> nn.Module:
    """Builds a network from a config mapping `{type: <registry name>, <option>: <value>...}`; options override
    the preset (e.g. `use_motion: false` for an ablation)."""
    if not isinstance(spec, dict) or 'type' not in spec:
        raise ValueError(f'Expected a mapping with a "type" key for network but received {spec!r}')
    options = {k: v for k, v in spec.items() if k != 'type'}
    factory = ARCH_REGISTRY.get(spec['type'])  # raises for an unknown name
    cls = PRESET_CLASSES[spec['type']]
    known = set(cls.__init__.__code__.co_varnames[1:cls.__init__.__code__.co_argcount])
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f'Unknown network option(s) {unknown}; expected some of {sorted(known)}')
    return factory(**options)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


__all__ = ['ARCH_REGISTRY', 'PRESETS', 'PRESET_CLASSES', 'SIZES', 'ADDITIONS', 'Promotion', 'PromotionUNet', 'SingleImageUNet', 'DCNv2Pack', 'modulated_deform_conv2d',
           'build_network', 'count_parameters']
