"""PNG reading for the dataset folders: Pillow for 8-bit RGB/grey and 16-bit grey, and a small numpy decoder for
16-bit RGB(A), which Pillow reduces to 8 bits. Returns the samples and the sample maximum (255 or 65535)."""
import struct
import zlib
from typing import Tuple

import numpy as np
from PIL import Image


def _ihdr(path: str):
    with open(path, 'rb') as f:
        head = f.read(33)
    if head[:8] != b'\x89PNG\r\n\x1a\n' or head[12:16] != b'IHDR':
        raise ValueError(f'{path}: not a PNG file')
    width, height, depth, colour, _, _, interlace = struct.unpack('>IIBBBBB', head[16:29])
    return width, height, depth, colour, interlace


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def _decode_16bit_colour(path: str, width: int, height: int, channels: int) -> np.ndarray:
    with open(path, 'rb') as f:
        data = f.read()
    pos, idat = 8, bytearray()
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        if kind == b'IDAT':
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(bytes(idat))
    bpp, stride = 2 * channels, 2 * channels * width
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int64)
        if ftype == 0:
            cur = line
        elif ftype == 2:
            cur = (line + prev) & 255
        elif ftype == 1:
            cur = np.cumsum(line.reshape(width, bpp), axis=0).reshape(-1) & 255
        elif ftype in (3, 4):
            cur = line.copy()
            for i in range(stride):
                a = int(cur[i - bpp]) if i >= bpp else 0
                b = int(prev[i])
                c = int(prev[i - bpp]) if i >= bpp else 0
                pred = (a + b) // 2 if ftype == 3 else _paeth(a, b, c)
                cur[i] = (cur[i] + pred) & 255
        else:
            raise ValueError(f'{path}: unknown PNG filter type {ftype} in row {y}')
        out[y] = cur
        prev = cur
    return out.view('>u2').reshape(height, width, channels).astype(np.uint16)


def read_png(path: str) -> Tuple[np.ndarray, int]:
    """[H, W, 3] for colour (alpha dropped) or [H, W] for grey, and the sample maximum."""
    width, height, depth, colour, interlace = _ihdr(path)
    if depth == 16 and colour in (2, 6):
        if interlace:
            raise ValueError(f'{path}: interlaced 16-bit colour PNG is not supported')
        return _decode_16bit_colour(path, width, height, 3 if colour == 2 else 4)[..., :3], 65535
    with Image.open(path) as im:
        if depth == 16 and colour == 0:
            return np.array(im, dtype=np.uint16), 65535
        if depth == 16:
            raise ValueError(f'{path}: 16-bit PNG with colour type {colour} is not supported')
        if colour in (0, 4):
            return np.array(im.convert('L')), 255
        return np.array(im.convert('RGB')), 255
