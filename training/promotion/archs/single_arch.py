"""A single-image deblurring network for comparisons (the issue-19 "bring your own model" done-when): NAFNet's shape
at a tiny size, looking at the window's centre frame only, so that it stands for the single-image models users bring
(NAFNet, MIMO-UNet exports) and exports as a plain ONNX graph, `image` [B, 3, H, W] in [0, 1] RGB -> `restored`
(`python3 -m promotion.export_plain`), without this project's contract or card.

Layout (c = num_feat): 3x3 conv to c at full resolution; per level a NAFBlock and a stride-2 2x2 conv doubling the
width (`levels` times); `middle_blocks` NAFBlocks; per level back up a 1x1 conv and 2x depth-to-space plus the
encoder's skip, then a NAFBlock; 3x3 conv to 3 channels plus the input (a residual; the last conv starts at zero, so
an untrained network returns its input). H and W must be multiples of 2^levels (the runtime pads: paddingMultiple).

forward(frames, motion, blur_weights, contrast_scale) takes the training loop's window inputs and uses
frames[:, CENTRE_INDEX] alone; `restore(image)` is the single-image function the plain export traces.
"""
import torch
from torch import nn

from .. import CENTRE_INDEX
from .unet_arch import NAFBlock


class SingleImageUNet(nn.Module):
    def __init__(self, num_feat: int = 16, levels: int = 2, middle_blocks: int = 1) -> None:
        super().__init__()
        if num_feat < 1 or levels < 1 or middle_blocks < 0:
            raise ValueError(f'Expected num_feat >= 1, levels >= 1 and middle_blocks >= 0 but received {num_feat}, {levels}, {middle_blocks}')
        self.levels = levels
        self.entry = nn.Conv2d(3, num_feat, 3, 1, 1)
        widths = [num_feat * 2 ** i for i in range(levels + 1)]
        self.encoders = nn.ModuleList(NAFBlock(widths[i], False, 1) for i in range(levels))
        self.downs = nn.ModuleList(nn.Conv2d(widths[i], widths[i + 1], 2, 2) for i in range(levels))
        self.middle = nn.Sequential(*(NAFBlock(widths[-1], False, 1) for _ in range(middle_blocks)))
        self.ups = nn.ModuleList(nn.Sequential(nn.Conv2d(widths[i + 1], widths[i] * 4, 1), nn.PixelShuffle(2)) for i in reversed(range(levels)))
        self.decoders = nn.ModuleList(NAFBlock(widths[i], False, 1) for i in reversed(range(levels)))
        self.exit = nn.Conv2d(num_feat, 3, 3, 1, 1)
        nn.init.zeros_(self.exit.weight)
        nn.init.zeros_(self.exit.bias)

    def restore(self, image: torch.Tensor) -> torch.Tensor:
        """One image [B, 3, H, W] in [0, 1] (H, W multiples of 2^levels) to its restored version (not clamped)."""
        x = self.entry(image)
        skips = []
        for block, down in zip(self.encoders, self.downs):
            x = block(x)
            skips.append(x)
            x = down(x)
        x = self.middle(x)
        for up, block, skip in zip(self.ups, self.decoders, reversed(skips)):
            x = block(up(x) + skip)
        return image + self.exit(x)

    def forward(self, frames: torch.Tensor, motion: torch.Tensor, blur_weights: torch.Tensor, contrast_scale: torch.Tensor) -> torch.Tensor:
        return self.restore(frames[:, CENTRE_INDEX])
