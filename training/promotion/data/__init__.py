"""Training data: the sequence folders `promotion synth` and `promotion scenes` write
(src/blur-synthesis/dataset.ts): <root>/<sequence>/{sharp,blur,motion}/<name>.png and synthesis.json (written last:
a folder without it is unfinished and skipped). Sequences may be nested (FPHA layout); every folder holding a
synthesis.json is one.

Each sample: a 5-frame window of blurred frames around a centre (edges replicated, as src/stream's slidingWindow),
the centre's motion map and sharp frame, and the window's blurWeights / contrastScale computed over the whole
blurred frames (promotion/statistics.py, the same as the TypeScript runtime), then a random crop (multiple of 16),
horizontal/vertical flips and temporal reversal, all from the dataset's seed and the sample index. `handBox`: where
a sequence has hand masks (`hands/`, hand_masks.py), the box [x0, y0, x1, y1] in crop pixels of the largest whole
hand in the centre frame's crop, cropped and flipped with it; [-1, -1, -1, -1] when there is none (the pose-aware
loss then finds the hand itself). Flips and
reversal leave the statistics unchanged (the Laplacian variance and the contrast maximum are flip-invariant; the
magnitude motion map is symmetric in time); the colour motion map encodes direction, so it refuses augmentation.
"""
import json
import os
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch
from torch.utils.data import Dataset

from .. import CENTRE_INDEX, PADDING_MULTIPLE, WINDOW_SIZE
from ..statistics import blur_weights_from_variances, contrast_scale, grey_unit, laplacian_variance
from .hand_masks import whole_hand_box
from .png import read_png

#: What a horizontal and a vertical flip do to the flow input's channels (u, v of F(centre->next), then of
#: F(centre->prev)): the flipped axis' components change sign.
_FLIP_X = np.array([-1, 1, -1, 1], np.float32).reshape(4, 1, 1)
_FLIP_Y = np.array([1, -1, 1, -1], np.float32).reshape(4, 1, 1)

#: handBox of a sample without a whole hand in its crop (or without hand masks).
NO_HAND_BOX = (-1.0, -1.0, -1.0, -1.0)


def check_crop(crop: Optional[int]) -> None:
    if crop is not None and (not isinstance(crop, int) or crop % PADDING_MULTIPLE or crop < 32):
        raise ValueError(f'Expected crop to be a multiple of {PADDING_MULTIPLE}, at least 32, but received {crop!r}')


def crop_at(schedule: List[List[int]], iteration: int) -> int:
    """The crop of a curriculum [[from_iteration, crop], ...] (ascending, first at 0) at 0-based `iteration`."""
    crop = schedule[0][1]
    for start, size in schedule:
        if iteration >= start:
            crop = size
    return crop


def texture_score(rgb: np.ndarray) -> float:
    """Mean absolute gradient (horizontal and vertical, per pixel step) of an [H, W, 3] image in [0, 1], over its
    grey (BT.601 weights)."""
    g = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    return float((np.abs(np.diff(g, axis=0)).mean() + np.abs(np.diff(g, axis=1)).mean()) / 2)


def jpeg_round_trip(rgb: np.ndarray, quality: int) -> np.ndarray:
    """An [H, W, 3] image in [0, 1] encoded as an 8-bit JPEG at `quality` (4:2:0, as cameras write) and decoded."""
    import io

    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray(np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)).save(buffer, 'JPEG', quality=quality)
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert('RGB'), dtype=np.float32) / 255


def find_sequences(root: str) -> List[str]:
    """Sequence folders under root (those holding synthesis.json), sorted."""
    if not os.path.isdir(root):
        raise ValueError(f'Dataset root {root!r} is not a folder (build it with `promotion synth` or '
                         f'`promotion scenes`)')
    found = []
    for folder, _dirs, files in os.walk(root):
        if 'synthesis.json' in files:
            found.append(folder)
    return sorted(found)


def _scene_photo(folder: str) -> Optional[str]:
    """The file name of the photo a sequence was rendered from (synthesis.json's scene.photo), or None."""
    with open(os.path.join(folder, 'synthesis.json')) as f:
        photo = json.load(f).get('scene', {}).get('photo')
    return os.path.basename(photo) if isinstance(photo, str) else None


class SequenceDataset(Dataset):
    """Windows over the sequences of one or more dataset roots.

    crop: crop size in pixels (multiple of 16) or None for whole frames (cut down to a multiple of 16).
    augment: flips and temporal reversal. seed: with the sample index and `epoch` (set_epoch) fixes every random
    choice. sequences: optional list of sequence folder names (basename) to keep, or to drop with `exclude`.
    cache: keep decoded PNGs in memory (160x160 16-bit frames: about 0.36 MB per window; use with num_workers 0,
    since each loader worker would hold its own copy).
    texture: [tries, threshold]: draw up to `tries` crops and keep the first whose sharp crop has a mean absolute
    gradient (grey, [0, 1] per pixel step) of at least `threshold`, else the most textured one drawn; photos hold
    flat sky and vector-art wallpapers whose crops teach a deblurrer nothing. Default: one crop, as drawn.
    noise: [min_sigma, max_sigma]: Gaussian sensor noise added to the input frames (not the target), a sigma drawn
    per window, so that real footage is not a surprise. The blur weights and contrast scales are then those of the
    degraded frames (as at run time); the motion maps stay those of the clean frames.
    jpeg: [chance, min_quality, max_quality]: with this chance per window, the input frames are JPEG-compressed at a
    quality drawn per window (as 8-bit: camera footage arrives compressed), after the noise.
    frame_step: keep every frame_step-th window of each sequence, centres frame_step // 2, ... (validation on whole
    frames: fewer windows).
    motion_finest_level: instead of the stored motion maps (computed when the set was built, DIS at full
    resolution), the centre's map computed here as the runtime computes it for a model card whose
    `motionMap.flow.finestLevel` is this (promotion/flow_torch.py, bit-identical to src/flow): from the window's
    frames as the network sees them (after noise and JPEG), quantized to 8 bits, over the whole frames, its forward
    flow alone at a sequence's first frame and its backward flow alone at the last. Default None: the stored maps.
    flow_input: also give the centre's flow vectors in pixels (`flow` [4, H, W], a directional_motion network's
    input, contract version 3: flow_torch.motion_input), from the same DIS call as the map (needs
    motion_finest_level). Flips negate the flipped axis' component; temporal reversal swaps the two flows.
    photos: keep only the sequences rendered from these photos (the file names synthesis.json's scene.photo ends
    with); a name no sequence was rendered from is refused (a typo would silently drop it). Default None: all.
    teacher_frames: the name of a folder beside each sequence's blur/ that holds a teacher's restored frames (the same
    names): each sample then has `teacher`, the centre frame's, cropped and flipped as `gt` (train.py's teacher
    `frames`; training/build-card-targets.mjs writes them). Default None.
    """

    def __init__(self, roots: List[str], crop: Optional[int] = 64, augment: bool = True, seed: int = 0,
                 sequences: Optional[List[str]] = None, exclude: Optional[List[str]] = None,
                 cache: bool = False, texture: Optional[List[float]] = None,
                 noise: Optional[List[float]] = None, jpeg: Optional[List[float]] = None,
                 frame_step: int = 1, motion_finest_level: Optional[int] = None, flow_input: bool = False,
                 teacher_frames: Optional[str] = None, photos: Optional[List[str]] = None) -> None:
        check_crop(crop)
        self.teacher_frames = teacher_frames
        if photos is not None and (not isinstance(photos, list) or not photos
                                   or not all(isinstance(p, str) and p for p in photos)):
            raise ValueError(f'Expected photos as a list of photo file names but received {photos!r}')
        used = set()
        if not isinstance(flow_input, bool) or (flow_input and motion_finest_level is None):
            raise ValueError(f'Expected flow_input false, or true with motion_finest_level set (the flow vectors are '
                             f'computed as the runtime computes them) but received {flow_input!r} with '
                             f'motion_finest_level {motion_finest_level!r}')
        self.flow_input = flow_input
        if motion_finest_level is not None and (not isinstance(motion_finest_level, int)
                                                or isinstance(motion_finest_level, bool)
                                                or not 0 <= motion_finest_level <= 12):
            raise ValueError(f'Expected motion_finest_level None or an integer 0..12 (the model card\'s '
                             f'motionMap.flow.finestLevel) but received {motion_finest_level!r}')
        self.motion_finest_level = motion_finest_level
        if texture is not None and (len(texture) != 2 or int(texture[0]) < 1 or texture[1] < 0):
            raise ValueError(f'Expected texture [tries >= 1, threshold >= 0] but received {texture!r}')
        if noise is not None and (len(noise) != 2 or not 0 <= noise[0] <= noise[1]):
            raise ValueError(f'Expected noise [min_sigma, max_sigma] with 0 <= min <= max but received {noise!r}')
        if jpeg is not None and (len(jpeg) != 3 or not 0 <= jpeg[0] <= 1 or not 1 <= jpeg[1] <= jpeg[2] <= 100):
            raise ValueError(f'Expected jpeg [chance in [0, 1], min_quality, max_quality in 1..100] but received {jpeg!r}')
        if not isinstance(frame_step, int) or frame_step < 1:
            raise ValueError(f'Expected an integer >= 1 for frame_step but received {frame_step!r}')
        self.texture, self.noise, self.jpeg, self.frame_step = texture, noise, jpeg, frame_step
        self.crop, self.augment, self.seed, self.epoch = crop, augment, seed, 0
        self.cache: Optional[Dict[Any, Any]] = {} if cache else None
        self.samples: List[Tuple[int, int]] = []
        self.sequences: List[Dict[str, Any]] = []
        for root in roots:
            for folder in find_sequences(root):
                name = os.path.basename(folder)
                if sequences is not None and name not in sequences:
                    continue
                if exclude is not None and name in exclude:
                    continue
                if photos is not None:
                    photo = _scene_photo(folder)
                    if photo not in photos:
                        continue
                    used.add(photo)
                self._add_sequence(folder)
        if photos is not None and used != set(photos):
            raise ValueError(f'photos: no sequence under {roots} was rendered from {sorted(set(photos) - used)}')
        if not self.samples:
            raise ValueError(f'No sequences found under {roots} (with the given selection)')

    def _add_sequence(self, folder: str) -> None:
        with open(os.path.join(folder, 'synthesis.json')) as f:
            info = json.load(f)
        kind = info.get('motionMaps', {}).get('kind', 'magnitude')
        if kind != 'magnitude' and self.augment:
            raise ValueError(f'{folder}: motion maps of kind {kind!r} encode direction; flips and temporal '
                             f'reversal would corrupt them (build the set with the magnitude kind or augment: false)')
        names = sorted(os.listdir(os.path.join(folder, 'blur')))
        names = [n for n in names if n.endswith('.png')]
        for sub in ('sharp', 'motion'):
            missing = [n for n in names if not os.path.exists(os.path.join(folder, sub, n))]
            if missing:
                raise ValueError(f'{folder}: {sub}/ lacks {missing[:3]} that blur/ has')
        if not names:
            raise ValueError(f'{folder}: blur/ holds no PNG frames')
        if self.teacher_frames is not None:
            missing = [n for n in names if not os.path.exists(os.path.join(folder, self.teacher_frames, n))]
            if missing:
                raise ValueError(f'{folder}: {self.teacher_frames}/ lacks {missing[:3]} that blur/ has (write the '
                                 f'teacher\'s frames: node training/build-card-targets.mjs --folder '
                                 f'{self.teacher_frames} {os.path.dirname(folder)})')
        hands = os.path.isdir(os.path.join(folder, 'hands'))
        if hands:
            missing = [n for n in names if not os.path.exists(os.path.join(folder, 'hands', n))]
            if missing:
                raise ValueError(f'{folder}: hands/ lacks {missing[:3]} that blur/ has (attach the masks again: '
                                 f'python3 -m promotion.data.hand_masks)')
        index = len(self.sequences)
        self.sequences.append({'folder': folder, 'names': names, 'stats': {}, 'info': info, 'hands': hands})
        self.samples.extend((index, i) for i in range(self.frame_step // 2, len(names), self.frame_step))

    def __len__(self) -> int:
        return len(self.samples)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def set_crop(self, crop: Optional[int]) -> None:
        check_crop(crop)
        self.crop = crop

    def _frame(self, seq: Dict[str, Any], sub: str, i: int) -> Tuple[np.ndarray, int]:
        path = os.path.join(seq['folder'], sub, seq['names'][i])
        if self.cache is None:
            return read_png(path)
        if path not in self.cache:
            self.cache[path] = read_png(path)
        return self.cache[path]

    def _stats(self, seq: Dict[str, Any], i: int, rgb: np.ndarray, sample_max: int) -> Tuple[float, float]:
        if i not in seq['stats']:
            g = grey_unit(rgb, sample_max)
            seq['stats'][i] = (laplacian_variance(g), contrast_scale(g))
        return seq['stats'][i]

    def _degrade(self, stack: np.ndarray, window: List[int], rng: np.random.Generator) -> np.ndarray:
        """Sensor noise (a sigma per window) and JPEG compression (a quality per window, with the configured chance)
        of the window's whole frames; a frame the window repeats stays equal to itself."""
        sigma = float(rng.uniform(self.noise[0], self.noise[1])) if self.noise is not None else 0.0
        quality = None
        if self.jpeg is not None and rng.random() < self.jpeg[0]:
            quality = int(rng.integers(int(self.jpeg[1]), int(self.jpeg[2]) + 1))
        done: Dict[int, np.ndarray] = {}
        out = []
        for frame, i in zip(stack, window):
            if i not in done:
                f = frame
                if sigma > 0:
                    f = np.clip(f + rng.normal(0.0, sigma, f.shape).astype(np.float32), 0.0, 1.0)
                if quality is not None:
                    f = jpeg_round_trip(f, quality)
                done[i] = f
            out.append(done[i])
        return np.stack(out)

    def _runtime_motion(self, stack: np.ndarray, window: List[int], centre: int) -> Tuple[np.ndarray, np.ndarray]:
        """The centre's motion map [H, W] and flow vectors [4, H, W] as the runtime computes them (see
        motion_finest_level) from the window's whole frames [T, H, W, 3] in [0, 1]."""
        from ..flow_torch import grey_255, motion_input
        grey = grey_255(torch.from_numpy(np.ascontiguousarray(stack[CENTRE_INDEX - 1:CENTRE_INDEX + 2]
                                                              .transpose(0, 3, 1, 2))))
        prev = grey[0:1] if window[CENTRE_INDEX - 1] != centre else None
        nxt = grey[2:3] if window[CENTRE_INDEX + 1] != centre else None
        if prev is None and nxt is None:  # a one-frame sequence has no motion
            return np.zeros(stack.shape[1:3], np.float32), np.zeros((4, *stack.shape[1:3]), np.float32)
        m, _, flow = motion_input(prev, grey[1:2], nxt, finest_level=self.motion_finest_level)
        return m[0, 0].numpy().astype(np.float32), flow[0].numpy().astype(np.float32)

    def __getitem__(self, idx: int) -> Dict[str, torch.Tensor]:
        s, centre = self.samples[idx]
        seq = self.sequences[s]
        n = len(seq['names'])
        window = [min(max(centre + d - CENTRE_INDEX, 0), n - 1) for d in range(WINDOW_SIZE)]
        frames, variances, scales = [], [], []
        for i in window:
            rgb, smax = self._frame(seq, 'blur', i)
            var, cs = self._stats(seq, i, rgb, smax)
            frames.append(rgb.astype(np.float32) / smax)
            variances.append(var)
            scales.append(cs)
        sharp, smax = self._frame(seq, 'sharp', centre)
        gt = sharp.astype(np.float32) / smax
        taught = None
        if self.teacher_frames is not None:
            restored, tmax = self._frame(seq, self.teacher_frames, centre)
            if restored.shape != sharp.shape:
                raise ValueError(f'{seq["folder"]}: {self.teacher_frames}/{seq["names"][centre]} is '
                                 f'{restored.shape[1]}x{restored.shape[0]}, its sharp frame '
                                 f'{sharp.shape[1]}x{sharp.shape[0]}')
            taught = restored.astype(np.float32) / tmax
        motion, mmax = self._frame(seq, 'motion', centre)
        if motion.ndim == 3:
            motion = motion[..., 0]
        mot = motion.astype(np.float32) / mmax
        stack = np.stack(frames)  # [T, H, W, 3]
        h, w = stack.shape[1:3]
        rng = np.random.default_rng([self.seed, self.epoch, idx])
        if self.noise is not None or self.jpeg is not None:
            # Degrade the whole frames (a frame the window repeats, alike), then take the statistics of what the
            # network sees, as the runtime does: the contrast maps inside the network are divided by contrastScale,
            # and the clean frame's scale under a noisy frame's maps blew the prior branch up (a flat frame's scale
            # is near 0).
            # Its own random stream, so that the crop and flips are those of the clean sample.
            stack = self._degrade(stack, window, np.random.default_rng([self.seed, self.epoch, idx, 1]))
            variances, scales = [], []
            for frame in stack:
                g = grey_unit(frame, 1.0)
                variances.append(laplacian_variance(g))
                scales.append(contrast_scale(g))
        flow = None
        if self.motion_finest_level is not None:
            key = ('motion', s, centre)
            if self.cache is not None and key in self.cache:  # clean frames: the same every epoch
                mot, flow = self.cache[key]
                flow = None if flow is None else flow.astype(np.float32)
            else:
                mot, flow = self._runtime_motion(stack, window, centre)
                if not self.flow_input:
                    flow = None
                if self.cache is not None and self.noise is None and self.jpeg is None:
                    # The flow in half precision (0.03 px steps at 32-64 px): 2.7 instead of 5.3 MB per 9 windows of 192 px.
                    self.cache[key] = (mot, None if flow is None else flow.astype(np.float16))
        if self.crop is not None:
            if h < self.crop or w < self.crop:
                raise ValueError(f'{seq["folder"]}: frames are {w}x{h}, smaller than the crop {self.crop}')
            tries, threshold = (int(self.texture[0]), self.texture[1]) if self.texture else (1, 0.0)
            best = -1.0
            for _ in range(tries):
                ty = int(rng.integers(0, h - self.crop + 1))
                tx = int(rng.integers(0, w - self.crop + 1))
                score = texture_score(gt[ty:ty + self.crop, tx:tx + self.crop]) if tries > 1 else 0.0
                if score > best:
                    best, y0, x0 = score, ty, tx
                if score >= threshold:
                    break
            ch = cw = self.crop
        else:
            y0 = x0 = 0
            ch, cw = h - h % PADDING_MULTIPLE, w - w % PADDING_MULTIPLE
        stack = stack[:, y0:y0 + ch, x0:x0 + cw]
        gt = gt[y0:y0 + ch, x0:x0 + cw]
        taught = None if taught is None else taught[y0:y0 + ch, x0:x0 + cw]
        mot = mot[y0:y0 + ch, x0:x0 + cw]
        if flow is not None:
            flow = flow[:, y0:y0 + ch, x0:x0 + cw]
        hand = None
        if seq['hands']:
            mask, mask_max = self._frame(seq, 'hands', centre)
            hand = (mask[..., 0] if mask.ndim == 3 else mask)[y0:y0 + ch, x0:x0 + cw].astype(np.float32) / mask_max
        bw = blur_weights_from_variances(variances)
        cs = np.asarray(scales)
        if self.augment:
            if rng.random() < 0.5:
                stack, gt, mot = stack[:, :, ::-1], gt[:, ::-1], mot[:, ::-1]
                taught = None if taught is None else taught[:, ::-1]
                hand = None if hand is None else hand[:, ::-1]
                flow = None if flow is None else flow[:, :, ::-1] * _FLIP_X
            if rng.random() < 0.5:
                stack, gt, mot = stack[:, ::-1], gt[::-1], mot[::-1]
                taught = None if taught is None else taught[::-1]
                hand = None if hand is None else hand[::-1]
                flow = None if flow is None else flow[:, ::-1] * _FLIP_Y
            if rng.random() < 0.5:
                stack, bw, cs = stack[::-1], bw[::-1], cs[::-1]
                flow = None if flow is None else flow[[2, 3, 0, 1]]
        box = whole_hand_box(hand) if hand is not None else None
        sample = {
            'frames': torch.from_numpy(np.ascontiguousarray(stack.transpose(0, 3, 1, 2))),
            'motion': torch.from_numpy(np.ascontiguousarray(mot))[None],
            'blurWeights': torch.from_numpy(np.ascontiguousarray(bw, dtype=np.float32)),
            'contrastScale': torch.from_numpy(np.ascontiguousarray(cs, dtype=np.float32)),
            'gt': torch.from_numpy(np.ascontiguousarray(gt.transpose(2, 0, 1))),
            'handBox': torch.tensor(box if box is not None else NO_HAND_BOX, dtype=torch.float32),
        }
        if flow is not None:
            sample['flow'] = torch.from_numpy(np.ascontiguousarray(flow, dtype=np.float32))
        if taught is not None:
            sample['teacher'] = torch.from_numpy(np.ascontiguousarray(taught.transpose(2, 0, 1)))
        return sample
