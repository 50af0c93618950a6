"""Pixels to PNG bytes, written directly: the live app's panel and thumbnails, the gallery's pairs."""

from __future__ import annotations

import struct
import zlib

import numpy as np

__all__ = ["png_bytes"]


def png_bytes(pixels: np.ndarray) -> bytes:
    """8-bit greyscale (H, W) or RGB (H, W, 3) pixels as PNG bytes, written directly.

    Signature, IHDR, one zlib-compressed IDAT (no row filter, zlib level 1), IEND: ~50x faster than
    matplotlib and Pillow for a 28x28 thumbnail, and ~3x faster than Pillow for the 2000 x 528 panel
    (whose flat areas compress well without filtering), for ~25 % more bytes.
    """
    height, width = pixels.shape[:2]
    colour = 2 if pixels.ndim == 3 else 0  # PNG colour type: truecolour or greyscale
    rows = np.zeros((height, 1 + pixels[0].size), dtype=np.uint8)  # filter type 0 before each row
    rows[:, 1:] = pixels.reshape(height, -1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)  # 8-bit, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
            + chunk(b"IEND", b""))
