"""Range coder, SPEC.md §3 (encoder §3.1, decoder §3.2)."""
from l3c_errors import L3CError


class Encoder:
    def __init__(self):
        self.low = 0
        self.range = 0xFFFFFFFF
        self.cache = 0
        self.cache_size = 1
        self.out = bytearray()

    def encode(self, start, size):
        r = self.range // 65536
        self.low += r * start
        self.range = r * size
        while self.range < 2 ** 24:
            self.range *= 256
            self._shift_low()

    def _shift_low(self):
        if self.low < 0xFF000000 or self.low >= 2 ** 32:
            carry = 1 if self.low >= 2 ** 32 else 0
            temp = self.cache
            while True:
                self.out.append((temp + carry) % 256)
                temp = 0xFF
                self.cache_size -= 1
                if self.cache_size == 0:
                    break
            self.cache = (self.low // 2 ** 24) % 256
        self.cache_size += 1
        self.low = (self.low % 2 ** 24) * 256

    def finish(self):
        for _ in range(5):
            self._shift_low()
        return bytes(self.out)


class Decoder:
    def __init__(self, data):
        self.data = data
        self.len = len(data)
        if self.len < 5:
            raise L3CError("TRUNCATED", "range-coder stream shorter than 5 bytes")
        if data[0] != 0:
            raise L3CError("CORRUPT_RANGE_CODE", "first byte not 0")
        self.code = (data[1] << 24) | (data[2] << 16) | (data[3] << 8) | data[4]
        if self.code == 0xFFFFFFFF:
            raise L3CError("CORRUPT_RANGE_CODE", "initial code 0xFFFFFFFF")
        self.range = 0xFFFFFFFF
        self.pos = 5
        self.r = 0

    def target(self):
        self.r = self.range // 65536
        return min(self.code // self.r, 65535)

    def consume(self, start, size):
        self.code -= self.r * start
        self.range = self.r * size
        if not (0 <= self.code < self.range):
            raise L3CError("CORRUPT_RANGE_CODE", "coder left its interval")
        while self.range < 2 ** 24:
            if self.pos >= self.len:
                raise L3CError("TRUNCATED", "range coder needs a byte past the payload")
            self.code = self.code * 256 + self.data[self.pos]
            self.pos += 1
            self.range *= 256

    def decode_cdf_fn(self, cdf_at, n):
        """Decode one symbol given C(v) as a function (C(0)=0, C(n)=65536)."""
        t = self.target()
        lo, hi = 0, n  # invariant C(lo) <= t < C(hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if cdf_at(mid) <= t:
                lo = mid
            else:
                hi = mid
        start = cdf_at(lo)
        end = cdf_at(hi)
        self.consume(start, end - start)
        return lo

    def decode_table(self, cdf):
        return self.decode_cdf_fn(lambda v: cdf[v], len(cdf) - 1)
