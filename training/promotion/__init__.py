"""PROMOTION (Prior-enlightened and Motion-robust video deblurring) in PyTorch: architecture, losses, data,
training and ONNX export for the TypeScript runtime. Layout follows BasicSR: archs/, data/, losses/, metrics/,
YAML configs and a registry keyed by the names configs use."""

#: Versions of the runtime contract (models/README.md) the exporter writes: 1, the network as one graph; 2, in two
#: parts (per-frame features, then the window), so the runtime computes each frame's features once; 3, one graph
#: with the centre frame's flow vectors as a further input (networks with directional_motion; the exporter chooses it
#: for them); 4, one graph that takes the prior maps averaged over 2x2 pixels, which the runtime computes
#: (`priors` instead of `contrastScale`; networks with the prior branch at stride 2). The runtime refuses a model card
#: with a version it does not know.
CONTRACT_VERSIONS = (1, 2, 3, 4)
#: What `python3 -m promotion.export` writes unless given --contract.
DEFAULT_CONTRACT_VERSION = 1

#: Frames per window; the restored frame is the centre one.
WINDOW_SIZE = 5
CENTRE_INDEX = 2

#: Height and width given to the network must be multiples of this (hr_in: x4 stride convs, then a 3-level pyramid).
PADDING_MULTIPLE = 16
#: Smallest height/width the network accepts (the coarsest pyramid level must be at least 2 px for grid_sample).
MIN_SIZE = 32
