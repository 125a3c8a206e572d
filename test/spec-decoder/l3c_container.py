"""Container parsing and stream-level checks, SPEC.md §2."""
import struct
import zlib
from l3c_errors import L3CError

MAGIC = b"\x89L3C"
MAX_STREAM_BYTES = 2 ** 30
MAX_PIXELS = 2 ** 28
MAX_TILES = 65536
BPP = {1: 3, 2: 1, 3: 4}


class Header:
    pass


def ceil_div(a, b):
    return -(-a // b)


def tile_rect(hd, t):
    x0 = (t % hd.cols) * hd.tile_size
    y0 = (t // hd.cols) * hd.tile_size
    return x0, y0, min(hd.tile_size, hd.width - x0), min(hd.tile_size, hd.height - y0)


def parse_header(data):
    """Header checks 1-17 of §2.6 in order (check 18, the model, is the caller's)."""
    n = len(data)
    if n > MAX_STREAM_BYTES:
        raise L3CError("LIMIT_EXCEEDED")
    if n < 4:
        raise L3CError("TRUNCATED")
    if bytes(data[0:4]) != MAGIC:
        raise L3CError("BAD_MAGIC")
    if n < 56:
        raise L3CError("TRUNCATED")
    ver, flags, layout, rsvd = data[4], data[5], data[6], data[7]
    width, height, tile_size, tile_count = struct.unpack_from("<IIII", data, 8)
    if ver != 1:
        raise L3CError("UNSUPPORTED_VERSION")
    if flags != 0 or rsvd != 0:
        raise L3CError("BAD_HEADER", "flags/rsvd")
    if layout not in (1, 2, 3):
        raise L3CError("BAD_HEADER", "layout")
    if not (1 <= width <= 65535 and 1 <= height <= 65535):
        raise L3CError("BAD_HEADER", "size")
    if width * height > MAX_PIXELS:
        raise L3CError("LIMIT_EXCEEDED")
    if tile_size % 8 != 0 or not (64 <= tile_size <= 4096):
        raise L3CError("BAD_HEADER", "tile_size")
    cols, rows = ceil_div(width, tile_size), ceil_div(height, tile_size)
    if tile_count != cols * rows:
        raise L3CError("BAD_HEADER", "tile_count")
    if tile_count > MAX_TILES:
        raise L3CError("LIMIT_EXCEEDED")
    header_size = 60 + 8 * tile_count
    if n < header_size:
        raise L3CError("TRUNCATED")
    (crc,) = struct.unpack_from("<I", data, 56 + 8 * tile_count)
    if zlib.crc32(bytes(data[0:56 + 8 * tile_count])) != crc:
        raise L3CError("HEADER_CHECKSUM")
    hd = Header()
    hd.layout, hd.width, hd.height, hd.tile_size, hd.tile_count = layout, width, height, tile_size, tile_count
    hd.cols, hd.rows, hd.header_size = cols, rows, header_size
    hd.model_id = bytes(data[24:56])
    hd.tiles = []
    off = header_size
    for t in range(tile_count):
        bl, pcrc = struct.unpack_from("<II", data, 56 + 8 * t)
        _, _, w, h = tile_rect(hd, t)
        if bl < max(1, (w * h) // 500):
            raise L3CError("BAD_TILE_INDEX", f"tile {t}")
        hd.tiles.append((off, bl, pcrc))
        off += bl
    if off > n:
        raise L3CError("TRUNCATED")
    if off < n:
        raise L3CError("TRAILING_DATA")
    return hd
