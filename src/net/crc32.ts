import * as zlib from 'node:zlib';

/**
 * The two CRC-32 flavours Ethernet hardware uses (IEEE 802.3 clause 3.2.9, polynomial 0x04C11DB7).
 * `ethernetFcs` is the reflected form that goes on the wire after a frame (zlib's crc32);
 * `crc32BigEndian` is Linux's `ether_crc()` = bitrev32(crc32_le(~0, ...)) (include/linux/crc32.h): the
 * register shifted MSB-first, input bits fed LSB-first, no final inversion; MAC multicast hash filters
 * index by its top bits.
 */

const REFLECTED_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** node:zlib's native crc32 (Node >= 20.15) is the same function, about 20 times faster on full frames. */
const nativeCrc32: ((data: Uint8Array) => number) | undefined = (
  zlib as { crc32?: (data: Uint8Array) => number }
).crc32;

/** The frame check sequence of `frame` (everything from destination address to end of payload). */
export function ethernetFcs(frame: Uint8Array): number {
  return nativeCrc32 ? nativeCrc32(frame) : tableCrc32(frame);
}

export function tableCrc32(frame: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < frame.length; i++) c = (REFLECTED_TABLE[(c ^ (frame[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Linux `ether_crc(len, addr)`. */
export function crc32BigEndian(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    let b = byte;
    for (let bit = 0; bit < 8; bit++, b >>= 1) {
      const top = (crc >>> 31) & 1;
      crc = (crc << 1) >>> 0;
      if (top ^ (b & 1)) crc = (crc ^ 0x04c11db7) >>> 0;
    }
  }
  return crc >>> 0;
}
