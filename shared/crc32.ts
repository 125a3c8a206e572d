/**
 * @module crc32
 * CRC-32 (ISO-HDLC / IEEE 802.3, as in PNG and zlib): polynomial 0xEDB88320 reflected,
 * initial value 0xFFFFFFFF, final XOR 0xFFFFFFFF. crc32("123456789") = 0xCBF43926.
 * What it covers in a stream: SPEC.md §2.4.
 */

const TABLE = (() => {
  const t = new Uint32Array(256 * 4);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  // Slicing-by-4 tables.
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let s = 1; s < 4; s++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[s * 256 + n] = c >>> 0;
    }
  }
  return t;
})();

/** Continue a CRC over `data` (pass the previous result as `crc`, 0 to start). */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  let i = 0;
  const n = data.length;
  for (; i + 4 <= n; i += 4) {
    c ^= data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    c =
      TABLE[768 + (c & 0xff)] ^
      TABLE[512 + ((c >>> 8) & 0xff)] ^
      TABLE[256 + ((c >>> 16) & 0xff)] ^
      TABLE[c >>> 24];
  }
  for (; i < n; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
