/**
 * The LAN78xx bulk framing (drivers/net/usb/lan78xx.c, Linux 6.1): frames travel with little-endian
 * command words. Bulk OUT: per frame, 4-byte alignment padding (relative to the transfer start), TX_CMD_A,
 * TX_CMD_B, the frame (lan78xx_tx_buf_fill, lan78xx_fill_tx_cmd_words). Bulk IN: per frame RX_CMD_A,
 * RX_CMD_B, RX_CMD_C (16-bit), the frame with its FCS, then padding so the next header is 4-byte aligned
 * (lan78xx_rx: align_count = (4 - ((size + RXW_PADDING) % 4)) % 4).
 */

export const TX_CMD_LEN = 8;
export const RX_CMD_LEN = 10;
const TX_ALIGNMENT = 4;
const RXW_PADDING = 2;

/** lan78xx.h TX/RX command word bits. */
export const TX_CMD_A = {
  LSO: 0x0800_0000,
  IPE: 0x0400_0000,
  TPE: 0x0200_0000,
  IVTG: 0x0100_0000,
  FCS: 0x0040_0000,
  LEN_MASK: 0x000f_ffff,
} as const;
export const TX_CMD_B = { MSS_SHIFT: 16, MSS_MASK: 0x3fff_0000, VTAG_MASK: 0x0000_ffff } as const;
export const RX_CMD_A = {
  BAM: 0x0200_0000,
  MAM: 0x0100_0000,
  FVTG: 0x0080_0000,
  RED: 0x0040_0000,
  UAM: 0x0000_8000,
  ICSM: 0x0000_4000,
  LEN_MASK: 0x0000_3fff,
} as const;

export interface TxFrame {
  readonly cmdA: number;
  readonly cmdB: number;
  /** The frame as the driver wrote it (no FCS). */
  readonly data: Uint8Array;
}

export type TxParseError =
  | { readonly code: 'LAN7801_TX_TRUNCATED'; readonly offset: number }
  | { readonly code: 'LAN7801_TX_ZERO_LENGTH'; readonly offset: number };

/** Splits one bulk OUT transfer into frames; stops at the first malformed header and says where. */
export function parseTxTransfer(buf: Uint8Array): { frames: TxFrame[]; error?: TxParseError } {
  const frames: TxFrame[] = [];
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 0;
  while (at < buf.length) {
    at += (TX_ALIGNMENT - (at % TX_ALIGNMENT)) % TX_ALIGNMENT;
    if (at >= buf.length) break; // trailing alignment only
    if (at + TX_CMD_LEN > buf.length) return { frames, error: { code: 'LAN7801_TX_TRUNCATED', offset: at } };
    const cmdA = v.getUint32(at, true);
    const cmdB = v.getUint32(at + 4, true);
    const len = cmdA & TX_CMD_A.LEN_MASK;
    if (len === 0) return { frames, error: { code: 'LAN7801_TX_ZERO_LENGTH', offset: at } };
    const start = at + TX_CMD_LEN;
    if (start + len > buf.length) return { frames, error: { code: 'LAN7801_TX_TRUNCATED', offset: at } };
    frames.push({ cmdA, cmdB, data: buf.subarray(start, start + len) });
    at = start + len;
  }
  return { frames };
}

/** Builds one bulk OUT transfer the way lan78xx_tx_buf_fill does (tests and benchmarks play the driver). */
export function encodeTxTransfer(frames: readonly TxFrame[]): Uint8Array {
  let size = 0;
  for (const f of frames)
    size += ((TX_ALIGNMENT - (size % TX_ALIGNMENT)) % TX_ALIGNMENT) + TX_CMD_LEN + f.data.length;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  let at = 0;
  for (const f of frames) {
    at += (TX_ALIGNMENT - (at % TX_ALIGNMENT)) % TX_ALIGNMENT;
    v.setUint32(at, f.cmdA >>> 0, true);
    v.setUint32(at + 4, f.cmdB >>> 0, true);
    out.set(f.data, at + TX_CMD_LEN);
    at += TX_CMD_LEN + f.data.length;
  }
  return out;
}

export interface RxFrame {
  readonly cmdA: number;
  readonly cmdB: number;
  readonly cmdC: number;
  /** Frame including its 4-byte FCS; RX_CMD_A.LEN is this length. */
  readonly data: Uint8Array;
}

/** Bytes one received frame occupies in a bulk IN transfer, padding included. */
export function rxEncodedLength(frameWithFcsLength: number): number {
  return RX_CMD_LEN + frameWithFcsLength + ((4 - ((frameWithFcsLength + RXW_PADDING) % 4)) % 4);
}

/** Header, frame and alignment padding for one received frame, written at `at` into `out`. */
export function writeRxFrame(out: Uint8Array, at: number, f: RxFrame): number {
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  v.setUint32(at, ((f.cmdA & ~RX_CMD_A.LEN_MASK) | (f.data.length & RX_CMD_A.LEN_MASK)) >>> 0, true);
  v.setUint32(at + 4, f.cmdB >>> 0, true);
  v.setUint16(at + 8, f.cmdC & 0xffff, true);
  out.set(f.data, at + RX_CMD_LEN);
  const end = at + rxEncodedLength(f.data.length);
  out.fill(0, at + RX_CMD_LEN + f.data.length, end);
  return end;
}

/** Reads a bulk IN transfer back the way lan78xx_rx walks it (tests). */
export function parseRxTransfer(buf: Uint8Array): RxFrame[] {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const frames: RxFrame[] = [];
  let at = 0;
  while (at + RX_CMD_LEN <= buf.length) {
    const cmdA = v.getUint32(at, true);
    const size = cmdA & RX_CMD_A.LEN_MASK;
    if (at + RX_CMD_LEN + size > buf.length) throw new RangeError(`RX frame at ${at} overruns the transfer`);
    frames.push({
      cmdA,
      cmdB: v.getUint32(at + 4, true),
      cmdC: v.getUint16(at + 8, true),
      data: buf.slice(at + RX_CMD_LEN, at + RX_CMD_LEN + size),
    });
    at += rxEncodedLength(size);
  }
  return frames;
}
