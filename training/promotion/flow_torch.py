"""Batched PyTorch port of the toolkit's DIS optical flow (src/flow/dis.ts) and of its magnitude motion map
(src/flow/motion-map.ts), so that training data made on a GPU gets the motion input the TypeScript runtime computes.

Everything is vectorized over the batch and over the patches of a level; Python loops run only over pyramid
levels, Lucas-Kanade iterations and the (at most 9) patches covering a pixel in the densification.

The per-patch early stop of dis.ts (a patch stops when its step is below 1e-2 px) is a mask: a patch that has
stopped no longer updates, so the result is that of the sequential code.

Precision. dis.ts computes in JavaScript doubles and stores images, gradients, patch flows and the densification
sums in Float32Arrays. With ``exact=True`` (the default) this module does the same: float64 arithmetic, rounded to
float32 wherever dis.ts stores to a Float32Array, with dis.ts's order of operations (including the fast path's
weighted sum against the clamped path's lerps in warpPatch, and the densification's float32 running sums in the
order of the patches). Only the reductions over a patch (Hessian, steepest-descent sums, errors) are summed in
another order, at double precision. ``exact=False`` computes in the input's dtype (float32: faster, differs from
dis.ts by float32 rounding, which a few patches near a stopping threshold amplify to ~1e-2 px).

Speed (measured): [16, 256, 256] at finest level 2 takes ~0.12 s (exact) / ~0.06 s (float32) on two CPU cores. On
an H200 the eager call is bound by kernel launches (~60-90 ms whatever the batch, up to 32); ``cuda_graphed``
replays it as a CUDA graph in ~18 ms (dis_flow, B 16-32) or ~22 ms (motion_map, B 32, both flows), bit-identical.
"""
import math

import torch

__all__ = ['dis_flow', 'dis_parameters', 'motion_map', 'motion_input', 'cuda_graphed', 'grey_255', 'upsample_flow', 'downsample',
           'BT601',
           'MIN_TEXTURE', 'MOTION_NORMALIZATION_FLOOR_PX']

#: Least texture (smallest Hessian eigenvalue per pixel, grey levels^2) a patch needs to be searched (dis.ts).
MIN_TEXTURE = 0.25
#: BT.601 luma weights (field.ts).
BT601 = (0.299, 0.587, 0.114)
#: Below this maximum motion (pixels) the map is divided by this instead (motion-map.ts).
MOTION_NORMALIZATION_FLOOR_PX = 1.0


def _js_round(x):
    """JavaScript's Math.round (halves up), not Python's round (halves to even)."""
    return math.floor(x + 0.5)


def dis_parameters(width, height, finest_level=0, patch_size=8, patch_stride=4, iterations=16, coarsest_level=None):
    """``disParameters`` of dis.ts: (patch_size, patch_stride, iterations, finest_level, coarsest_level)."""
    if not 4 <= patch_size <= 32 or not 1 <= patch_stride <= patch_size or not 1 <= iterations <= 200:
        raise ValueError(f'dis_flow: bad patch_size {patch_size}, patch_stride {patch_stride} '
                         f'or iterations {iterations}')
    automatic = 0
    while min(width, height) / 2 ** (automatic + 1) >= patch_size:
        automatic += 1
    coarsest = automatic if coarsest_level is None else coarsest_level
    if not 0 <= coarsest <= 12 or finest_level < 0 or (coarsest_level is not None and finest_level > coarsest):
        raise ValueError(f'dis_flow: bad finest_level {finest_level} or coarsest_level {coarsest_level}')
    return patch_size, patch_stride, iterations, min(finest_level, coarsest), coarsest


class _Num:
    """The arithmetic of one call: compute dtype, and `st` = what storing into a Float32Array does."""

    def __init__(self, exact, dtype):
        self.exact = exact
        self.dtype = torch.float64 if exact else dtype

    def st(self, x):
        return x.to(torch.float32).to(torch.float64) if self.exact else x


def _clamp_index(n, device):
    return lambda i: torch.clamp(torch.as_tensor(i, device=device), 0, n - 1)


def downsample(image, num=None):
    """``downsample`` of dis.ts on [B, H, W]: [1 4 6 4 1] / 16 in x then y (clamped), even pixels, ceil sizes."""
    num = num or _Num(False, image.dtype)
    _, h, w = image.shape
    w2, h2 = max(1, math.ceil(w / 2)), max(1, math.ceil(h / 2))
    dev = image.device
    cx = _clamp_index(w, dev)
    x = torch.arange(w2, device=dev) * 2
    d = image
    tmp = num.st((d[:, :, cx(x - 2)] + 4 * d[:, :, cx(x - 1)] + 6 * d[:, :, x] + 4 * d[:, :, cx(x + 1)]
                  + d[:, :, cx(x + 2)]) / 16)
    cy = _clamp_index(h, dev)
    y = torch.arange(h2, device=dev) * 2
    t = tmp
    return num.st((t[:, cy(y - 2)] + 4 * t[:, cy(y - 1)] + 6 * t[:, y] + 4 * t[:, cy(y + 1)] + t[:, cy(y + 2)]) / 16)


def _gradients(image, num):
    _, h, w = image.shape
    dev = image.device
    x = torch.arange(w, device=dev)
    y = torch.arange(h, device=dev)
    gx = num.st((image[:, :, torch.clamp(x + 1, max=w - 1)] - image[:, :, torch.clamp(x - 1, min=0)]) * 0.5)
    gy = num.st((image[:, torch.clamp(y + 1, max=h - 1)] - image[:, torch.clamp(y - 1, min=0)]) * 0.5)
    return gx, gy


def _patch_origins(size, patch, stride):
    last = max(0, size - patch)
    return list(range(0, last, stride)) + [last]


def _covering(size, origins, patch):
    """For each coordinate, the indices of the origins whose patch covers it, ascending, padded: (index, valid)."""
    lists = [[i for i, o in enumerate(origins) if o <= c < o + patch] for c in range(size)]
    k = max(len(l) for l in lists)
    index = torch.tensor([l + [l[0]] * (k - len(l)) for l in lists])
    valid = torch.tensor([[True] * len(l) + [False] * (k - len(l)) for l in lists])
    return index, valid


_GEOMETRY = {}


def _geometry(width, height, p, stride, device, dtype):
    """Index tensors of one level's patch grid, made once per size and device (no host-to-device copies later, so
    a call can be captured in a CUDA graph once they exist)."""
    key = (width, height, p, stride, str(device), dtype)
    if key not in _GEOMETRY:
        xs = _patch_origins(width, p, stride)
        ys = _patch_origins(height, p, stride)
        nx = len(xs)
        ox = torch.tensor(xs).repeat(len(ys))                     # [Np], j-major like dis.ts
        oy = torch.tensor(ys).repeat_interleave(nx)
        offx = torch.arange(p).repeat(p)                          # [n], k = py * P + px
        offy = torch.arange(p).repeat_interleave(p)
        n = p * p
        half = _js_round((p - 1) / 2)
        # Densification: the patches covering each pixel in dis.ts's order (j, then i), as (patch index, flat index
        # into the [Np * n] per-patch pixels, or Np * n where a pixel has fewer patches), one row per slot.
        cov_y, val_y = _covering(height, ys, p)
        cov_x, val_x = _covering(width, xs, p)
        yy = torch.arange(height)
        xx = torch.arange(width)
        ys_t, xs_t = torch.tensor(ys), torch.tensor(xs)
        slot_patch, slot_index = [], []
        for sy in range(cov_y.shape[1]):
            j = cov_y[:, sy]
            for sx in range(cov_x.shape[1]):
                i = cov_x[:, sx]
                patch = (j.unsqueeze(1) * nx + i).view(-1)
                k = ((yy - ys_t[j]).unsqueeze(1) * p + (xx - xs_t[i])).view(-1)
                valid = (val_y[:, sy].unsqueeze(1) & val_x[:, sx]).view(-1)
                slot_patch.append(patch)
                slot_index.append(torch.where(valid, patch * n + k, len(ox) * n))  # past the end: a zero weight
        g = dict(
            ox=ox.to(dtype), oy=oy.to(dtype), offx=offx.to(dtype), offy=offy.to(dtype),
            pix=((oy.unsqueeze(1) + offy) * width + ox.unsqueeze(1) + offx).view(-1),
            centre=(oy + half) * width + ox + half,
            slot_patch=torch.stack(slot_patch), slot_index=torch.stack(slot_index))
        _GEOMETRY[key] = {name: t.to(device) for name, t in g.items()}
    return _GEOMETRY[key]


def _warp(b_flat, width, height, x, y, offx, offy, patch, num):
    """``warpPatch`` for every patch at once: b_flat [B, H*W], patch corners x, y [B, Np] (fractional), pixel offsets
    offx, offy [n]. Returns [B, Np, n]: inside the image (dis.ts's fast path) the weighted sum of the four taps,
    unrounded (as the iteration's fused loop uses it); elsewhere clamped bilinear (``sampleBilinear``), rounded to
    float32 as warpPatch stores it."""
    bsz, np_ = x.shape
    xf = torch.floor(x)
    yf = torch.floor(y)
    fast = (xf >= 0) & (yf >= 0) & (xf + patch < width) & (yf + patch < height)
    # Fast path: one set of weights per patch, taps at floor(x) + offset (all inside the image).
    fx = (x - xf).unsqueeze(-1)
    fy = (y - yf).unsqueeze(-1)
    xc = torch.clamp(x.unsqueeze(-1) + offx, 0, width - 1)
    yc = torch.clamp(y.unsqueeze(-1) + offy, 0, height - 1)
    # Patches that ran off (non-finite) are frozen and reset by the caller: sample anything finite for them.
    xc = torch.nan_to_num(xc, nan=0.0)
    yc = torch.nan_to_num(yc, nan=0.0)
    x0c = torch.floor(xc)
    y0c = torch.floor(yc)
    fastn = fast.unsqueeze(-1)
    x0 = torch.where(fastn, torch.nan_to_num(xf, nan=0.0).unsqueeze(-1) + offx, x0c).long()
    y0 = torch.where(fastn, torch.nan_to_num(yf, nan=0.0).unsqueeze(-1) + offy, y0c).long()
    x0 = torch.clamp(x0, 0, width - 1)
    y0 = torch.clamp(y0, 0, height - 1)
    x1 = torch.clamp(x0 + 1, max=width - 1)
    y1 = torch.clamp(y0 + 1, max=height - 1)

    def tap(yy, xx):
        return torch.gather(b_flat, 1, (yy * width + xx).view(bsz, -1)).view(bsz, np_, -1)

    b00, b01, b10, b11 = tap(y0, x0), tap(y0, x1), tap(y1, x0), tap(y1, x1)
    # Fast path (dis.ts warpPatch and the fused iteration loop): w00 b00 + w01 b01 + w10 b10 + w11 b11.
    w00 = (1 - fx) * (1 - fy)
    w01 = fx * (1 - fy)
    w10 = (1 - fx) * fy
    w11 = fx * fy
    fast_value = w00 * b00 + w01 * b01 + w10 * b10 + w11 * b11
    # Clamped path (sampleBilinear): lerps with per-pixel fractions.
    sfx = xc - x0c
    sfy = yc - y0c
    top = b00 + (b01 - b00) * sfx
    bottom = b10 + (b11 - b10) * sfx
    slow_value = num.st(top + (bottom - top) * sfy)
    return torch.where(fastn, fast_value, slow_value)


def _dis_level(a, b, initial, patch_size, patch_stride, iterations, num, sync_free):
    """``disLevel``: a, b [B, H, W] (compute dtype, float32 values), initial [B, 2, H, W]; returns [B, 2, H, W].
    ``sync_free``: run every iteration (stopped patches masked) instead of asking the device whether any patch
    still runs; the result is the same."""
    bsz, height, width = a.shape
    p = min(patch_size, width, height)
    n = p * p
    g = _geometry(width, height, p, patch_stride, a.device, num.dtype)
    ox, oy, offx, offy = g['ox'], g['oy'], g['offx'], g['offy']
    a_flat = a.reshape(bsz, -1)
    b_flat = b.reshape(bsz, -1)
    gx, gy = _gradients(a, num)

    def patches(img_flat):
        return img_flat[:, g['pix']].view(bsz, -1, n)

    tmpl = patches(a_flat)
    tx = patches(gx.reshape(bsz, -1))
    ty = patches(gy.reshape(bsz, -1))
    tmean = tmpl.sum(-1) / n
    tx = num.st(tx - (tx.sum(-1) / n).unsqueeze(-1))
    ty = num.st(ty - (ty.sum(-1) / n).unsqueeze(-1))
    hxx = (tx * tx).sum(-1)
    hxy = (tx * ty).sum(-1)
    hyy = (ty * ty).sum(-1)
    ctx = (tx * tmpl).sum(-1)
    cty = (ty * tmpl).sum(-1)
    tss = ((tmpl - tmean.unsqueeze(-1)) ** 2).sum(-1)
    det = hxx * hyy - hxy * hxy
    init_flat = initial.reshape(bsz, 2, -1)
    u0 = init_flat[:, 0, g['centre']]
    v0 = init_flat[:, 1, g['centre']]
    lambda_min = (hxx + hyy - torch.sqrt((hxx - hyy) * (hxx - hyy) + 4 * hxy * hxy)) / 2 / n
    active = (lambda_min > MIN_TEXTURE) & (det > 0)

    def patch_error(u, v):
        w = num.st(_warp(b_flat, width, height, ox + u, oy + v, offx, offy, p, num))
        sw = w.sum(-1)
        sww = (w * w).sum(-1)
        swt = (w * tmpl).sum(-1)
        wmean = sw / n
        return sww - n * wmean * wmean - 2 * (swt - n * wmean * tmean) + tss

    u, v = u0, v0
    if sync_free or bool(active.any()):
        start_error = patch_error(u0, v0)
        running = active
        for _ in range(iterations):
            w = _warp(b_flat, width, height, ox + u, oy + v, offx, offy, p, num)
            bx = (tx * w).sum(-1) - ctx
            by = (ty * w).sum(-1) - cty
            du = (hyy * bx - hxy * by) / det
            dv = (hxx * by - hxy * bx) / det
            u = torch.where(running, u - du, u)
            v = torch.where(running, v - dv, v)
            # dis.ts breaks after the step when it was small; a patch that ran off never comes back (reset below).
            running = running & ~(du * du + dv * dv < 1e-4) & torch.isfinite(u) & torch.isfinite(v)
            if not sync_free and not bool(running.any()):
                break
        worse = ~torch.isfinite(u) | ~torch.isfinite(v)
        worse = worse | (patch_error(torch.nan_to_num(u), torch.nan_to_num(v)) > start_error)
        keep = ~active | worse
        u = torch.where(keep, u0, u)
        v = torch.where(keep, v0, v)
    u = num.st(u)  # patchU, patchV are Float32Arrays
    v = num.st(v)

    # Densification: per pixel, the patches covering it in dis.ts's order (j, then i), float32 running sums.
    warped = num.st(_warp(b_flat, width, height, ox + u, oy + v, offx, offy, p, num))
    err = torch.abs(warped - tmpl)
    weight = torch.where(err > 1, 1 / err, torch.ones_like(err)).reshape(bsz, -1)  # [B, Np*n]
    weight = torch.cat([weight, torch.zeros_like(weight[:, :1])], 1)             # a zero weight for empty slots
    sum_u = torch.zeros(bsz, height * width, device=a.device, dtype=num.dtype)
    sum_v = torch.zeros_like(sum_u)
    sum_w = torch.zeros_like(sum_u)
    for patch, index in zip(g['slot_patch'], g['slot_index']):
        wgt = weight[:, index]
        sum_u = num.st(sum_u + wgt * u[:, patch])
        sum_v = num.st(sum_v + wgt * v[:, patch])
        sum_w = num.st(sum_w + wgt)
    has = sum_w > 0
    safe = torch.where(has, sum_w, torch.ones_like(sum_w))
    out_u = torch.where(has, num.st(sum_u / safe), init_flat[:, 0])
    out_v = torch.where(has, num.st(sum_v / safe), init_flat[:, 1])
    return torch.stack([out_u, out_v], 1).view(bsz, 2, height, width)


def upsample_flow(flow, width, height, factor, num=None):
    """``upsampleFlow`` of dis.ts on [B, 2, h, w]: clamped bilinear at x / factor, displacements times factor."""
    num = num or _Num(False, flow.dtype)
    _, _, sh, sw = flow.shape
    dev = flow.device

    def taps(size, source):
        c = torch.clamp(torch.arange(size, device=dev, dtype=torch.float64) / factor, 0, source - 1)
        lo = torch.floor(c)
        i0 = lo.long()
        i1 = torch.clamp(i0 + 1, max=source - 1)
        return i0, i1, num.st((c - lo).to(num.dtype))  # the fraction is stored in a Float32Array

    c0, c1, fx = taps(width, sw)
    r0, r1, fy = taps(height, sh)
    rows0 = flow[:, :, r0]
    rows1 = flow[:, :, r1]
    top = rows0[..., c0] + (rows0[..., c1] - rows0[..., c0]) * fx
    bottom = rows1[..., c0] + (rows1[..., c1] - rows1[..., c0]) * fx
    return num.st(factor * (top + (bottom - top) * fy.unsqueeze(-1)))


def dis_flow(i0, i1, finest_level=0, patch_size=8, patch_stride=4, iterations=16, coarsest_level=None, exact=True,
             sync_free=False):
    """DIS optical flow from i0 to i1 ([B, H, W] grey 0..255, the same size): [B, 2, H, W] (u, v) in pixels with
    i0(x) ~ i1(x + F(x)), as ``disFlow(i0, i1, {finestLevel, patchSize, patchStride, iterations, coarsestLevel})``.

    ``exact``: mirror dis.ts's doubles and float32 stores (float64 arithmetic); False computes in i0's dtype.
    ``sync_free``: always run all iterations (stopped patches masked; the same result) rather than stop once no
    patch runs, which asks the device (a sync); needed inside a CUDA graph, which ``cuda_graphed`` sets. Eager, the
    early stop is faster (measured on an H200). The result has i0's dtype."""
    if i0.shape != i1.shape or i0.dim() != 3:
        raise ValueError(f'dis_flow: expected two [B, H, W] tensors of one size, '
                         f'got {tuple(i0.shape)} and {tuple(i1.shape)}')
    bsz, height, width = i0.shape
    patch_size, patch_stride, iterations, finest, coarsest = dis_parameters(
        width, height, finest_level, patch_size, patch_stride, iterations, coarsest_level)
    num = _Num(exact, i0.dtype)
    with torch.no_grad():
        p0 = [num.st(i0.to(num.dtype))]
        p1 = [num.st(i1.to(num.dtype))]
        for _ in range(coarsest):
            p0.append(downsample(p0[-1], num))
            p1.append(downsample(p1[-1], num))
        top = p0[coarsest]
        flow = torch.zeros(bsz, 2, top.shape[1], top.shape[2], device=i0.device, dtype=num.dtype)
        for level in range(coarsest, finest - 1, -1):
            a = p0[level]
            if level < coarsest:
                flow = upsample_flow(flow, a.shape[2], a.shape[1], 2, num)
            flow = _dis_level(a, p1[level], flow, patch_size, patch_stride, iterations, num,
                              sync_free)
        if finest > 0:
            flow = upsample_flow(flow, width, height, 2 ** finest, num)
    return flow.to(i0.dtype)


def _magnitudes(flow, num):
    u, v = flow[:, 0], flow[:, 1]
    return num.st(torch.sqrt(u * u + v * v))


def motion_input(prev, centre, next=None, finest_level=0, exact=True, **flow_options):
    """The motion inputs of ``centre`` from one batched DIS call: its magnitude motion map (``motion_map``) and its
    flow vectors (motion-map.ts, ``flowInput``: contract version 3's ``flow`` input).

    The flow vectors [B, 4, H, W] in pixels per frame: (u, v) of F(centre->next), then (u, v) of F(centre->prev); at
    the ends of a sequence, where one of them does not exist, the negation of the other stands in (motion at a
    constant velocity), so that the network always sees both halves of the blur's path.
    Returns (map [B, 1, H, W], max motion in px [B], flow [B, 4, H, W]), in centre's dtype."""
    if prev is None and next is None:
        raise ValueError('motion_map needs at least one of prev and next (a sequence of one frame has no motion)')
    num = _Num(exact, centre.dtype)
    targets = [t for t in (next, prev) if t is not None]
    bsz = centre.shape[0]
    # Both flows in one batched call.
    flows = dis_flow(torch.cat([centre] * len(targets)), torch.cat(targets), finest_level=finest_level, exact=exact,
                     **flow_options).to(num.dtype)
    with torch.no_grad():
        m = _magnitudes(flows[:bsz], num)
        if len(targets) == 2:
            m = num.st((m + _magnitudes(flows[bsz:], num)) / 2)
        peak = m.flatten(1).amax(1)
        scale = 1 / torch.clamp(peak, min=MOTION_NORMALIZATION_FLOOR_PX)
        m = num.st(m * scale.view(-1, 1, 1))
        if len(targets) == 2:
            vectors = torch.cat((flows[:bsz], flows[bsz:]), 1)
        elif next is not None:
            vectors = torch.cat((flows, -flows), 1)
        else:
            vectors = torch.cat((-flows, flows), 1)
    return m.unsqueeze(1).to(centre.dtype), peak.to(centre.dtype), vectors.to(torch.float32).to(centre.dtype)


def motion_map(prev, centre, next=None, finest_level=0, exact=True, **flow_options):
    """The magnitude motion map of ``centre`` (motion-map.ts, kind 'magnitude'): the mean of |F(centre->next)| and
    |F(centre->prev)| per pixel (the one that exists where prev or next is None, as at the ends of a sequence),
    divided by max(its maximum over the frame, 1 px).

    prev, centre, next: [B, H, W] grey 0..255 (``grey_255``). ``finest_level`` and ``flow_options`` (patch_size,
    patch_stride, iterations, coarsest_level) are the DIS options: the definition's default MOTION_MAP_FLOW is
    finest level 0; a model card's ``motionMap.flow`` may say otherwise (promotion-c: ``finestLevel: 2``).
    Returns (map [B, 1, H, W] in [0, 1], max motion in px per image [B]), in centre's dtype."""
    m, peak, _ = motion_input(prev, centre, next, finest_level, exact, **flow_options)
    return m, peak


def grey_255(rgb, quantize=True):
    """Grey 0..255 of [B, 3, H, W] RGB in [0, 1], as ``toGrey`` computes it: [B, H, W] float32.

    ``quantize=True`` (frames the runtime sees as 8-bit): the samples are rounded to k / 255 first and the grey is
    0.299 R + 0.587 G + 0.114 B of the 0..255 integers (toGrey of an 8-bit frame). False: toGrey of a float32 frame,
    (0.299 R + 0.587 G + 0.114 B) * 255 of the values as they are (rounded to float32)."""
    if rgb.dim() != 4 or rgb.shape[1] != 3:
        raise ValueError(f'grey_255: expected [B, 3, H, W], got {tuple(rgb.shape)}')
    x = rgb.detach().to(torch.float64)
    if quantize:
        x = torch.round(torch.clamp(x, 0, 1) * 255)
        scale = 1.0
    else:
        x = x.to(torch.float32).to(torch.float64)
        scale = 255.0
    grey = (BT601[0] * x[:, 0] + BT601[1] * x[:, 1] + BT601[2] * x[:, 2]) * scale
    return grey.to(torch.float32)


def cuda_graphed(fn, **options):
    """``fn`` (``motion_map`` or ``dis_flow``) with ``options``, captured in a CUDA graph per input shape and
    replayed: on small images the eager call is bound by kernel launches (hundreds per pyramid level). Takes the
    same tensor arguments (None allowed where fn allows it, at the same positions on every call of a shape); returns
    copies of the outputs. The same results as the eager call on the same device."""
    graphs = {}
    options = {**options, 'sync_free': True}

    def call(*tensors):
        key = tuple(None if t is None else (tuple(t.shape), t.dtype, t.device) for t in tensors)
        if key not in graphs:
            static = [None if t is None else t.clone() for t in tensors]
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                fn(*static, **options)  # warm-up: makes the cached index tensors, loads the kernels
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                out = fn(*static, **options)
            graphs[key] = (graph, static, out)
        graph, static, out = graphs[key]
        for s, t in zip(static, tensors):
            if t is not None:
                s.copy_(t)
        graph.replay()
        return tuple(o.clone() for o in out) if isinstance(out, tuple) else out.clone()

    return call


def _main(argv=None):
    """For the parity test (test/training/flow-torch-parity.test.ts): ``python -m promotion.flow_torch --input
    jobs.json --output results.json``. Each job is {"op": "flow", "width", "height", "i0", "i1", "options",
    "exact"} -> {"flow": [u, v interleaved per pixel, as a FlowField]}, {"op": "motion", "prev", "centre", "next"
    (either may be null), "options", "exact"} -> {"map", "maxMotionPx", "flowInput" (planar [4, H, W])}, or {"op": "grey", "rgb": 8-bit samples,
    interleaved} -> {"grey"}. Options use dis.ts's names."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog='python -m promotion.flow_torch')
    parser.add_argument('--input', required=True)
    parser.add_argument('--output', required=True)
    args = parser.parse_args(argv)
    with open(args.input) as f:
        jobs = json.load(f)
    names = {'finestLevel': 'finest_level', 'patchSize': 'patch_size', 'patchStride': 'patch_stride',
             'iterations': 'iterations', 'coarsestLevel': 'coarsest_level'}
    results = []
    for job in jobs:
        h, w = job['height'], job['width']

        def grey(key):
            return None if job.get(key) is None else torch.tensor(job[key], dtype=torch.float32).view(1, h, w)

        options = {names[k]: v for k, v in job.get('options', {}).items()}
        exact = job.get('exact', True)
        if job['op'] == 'flow':
            flow = dis_flow(grey('i0'), grey('i1'), exact=exact, **options)
            results.append({'flow': flow[0].permute(1, 2, 0).reshape(-1).tolist()})
        elif job['op'] == 'motion':
            m, peak, vectors = motion_input(grey('prev'), grey('centre'), grey('next'), exact=exact, **options)
            results.append({'map': m.reshape(-1).tolist(), 'maxMotionPx': float(peak[0]),
                            'flowInput': vectors.reshape(-1).tolist()})
        elif job['op'] == 'grey':
            rgb = torch.tensor(job['rgb'], dtype=torch.float64).view(1, h, w, 3).permute(0, 3, 1, 2) / 255
            results.append({'grey': grey_255(rgb.to(torch.float32)).reshape(-1).tolist()})
        else:
            raise ValueError(f'unknown op {job["op"]}')
    with open(args.output, 'w') as f:
        json.dump(results, f)


if __name__ == '__main__':
    _main()
