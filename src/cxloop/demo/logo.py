"""The demo organisation's logo, drawn here (no image file is shipped): a cloud in the brand's blue
with a white "launch" arrow, as a 4×-supersampled RGBA PNG written with zlib alone."""

from __future__ import annotations

import struct
import zlib

BLUE = (11, 92, 173)
SIZE = 96  # pixels a side
_CIRCLES = ((0.30, 0.62, 0.20), (0.50, 0.46, 0.27), (0.72, 0.60, 0.19))  # cloud: (cx, cy, r) in units


def _cloud(x: float, y: float) -> bool:
    if any((x - cx) ** 2 + (y - cy) ** 2 <= r * r for cx, cy, r in _CIRCLES):
        return True
    return 0.30 <= x <= 0.72 and 0.55 <= y <= 0.80


def _arrow(x: float, y: float) -> bool:
    """An upward arrow: a triangle head and a shaft, centred on the cloud."""
    head = 0.30 <= y <= 0.50 and abs(x - 0.51) <= (y - 0.30) * 0.75
    shaft = 0.50 <= y <= 0.70 and abs(x - 0.51) <= 0.045
    return head or shaft


def png(size: int = SIZE, color: tuple[int, int, int] = BLUE) -> bytes:
    samples = 4
    rows = bytearray()
    for py in range(size):
        rows.append(0)  # filter: none
        for px in range(size):
            cloud = arrow = 0
            for sy in range(samples):
                for sx in range(samples):
                    x = (px + (sx + 0.5) / samples) / size
                    y = (py + (sy + 0.5) / samples) / size
                    if _cloud(x, y):
                        cloud += 1
                        if _arrow(x, y):
                            arrow += 1
            total = samples * samples
            alpha = cloud / total
            if cloud == 0:
                rows += b"\x00\x00\x00\x00"
                continue
            white = arrow / cloud  # share of the covered part that is arrow
            rgb = [round(c * (1 - white) + 255 * white) for c in color]
            rows += bytes((*rgb, round(255 * alpha)))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
            + chunk(b"IEND", b""))
