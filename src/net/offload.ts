import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN } from './frame.js';

/**
 * Transmit offloads a MAC performs on frames the driver hands it: IPv4 header checksum, TCP/UDP checksum
 * (RFC 768, RFC 793, RFC 8200 8.1 pseudo-headers) and TCP segmentation. Frames the engine cannot parse
 * (IP options are fine; fragments, IPv6 extension headers, other protocols are not) pass unchanged, as
 * on hardware that only recognises plain headers.
 */

export interface ChecksumRequest {
  /** Recompute the IPv4 header checksum. */
  readonly ip: boolean;
  /** Recompute the TCP or UDP checksum. */
  readonly l4: boolean;
}

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

interface Headers {
  readonly l3: number;
  readonly version: 4 | 6;
  readonly l4: number;
  readonly protocol: number;
  /** End of the IP datagram within the frame (frames may carry padding after it). */
  readonly end: number;
}

function u16(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}
function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

function parseHeaders(frame: Uint8Array): Headers | undefined {
  let l3 = 14;
  let type = u16(frame, 12);
  if (type === ETHERTYPE_VLAN) {
    type = u16(frame, 16);
    l3 = 18;
  }
  if (type === ETHERTYPE_IPV4 && frame.length >= l3 + 20) {
    const ihl = ((frame[l3] ?? 0) & 0x0f) * 4;
    const total = u16(frame, l3 + 2);
    const fragment = u16(frame, l3 + 6) & 0x3fff; // MF flag or a non-zero offset
    if (ihl < 20 || fragment !== 0 || l3 + total > frame.length || total < ihl) return undefined;
    return { l3, version: 4, l4: l3 + ihl, protocol: frame[l3 + 9] ?? 0, end: l3 + total };
  }
  if (type === ETHERTYPE_IPV6 && frame.length >= l3 + 40) {
    const end = l3 + 40 + u16(frame, l3 + 4);
    if (end > frame.length) return undefined;
    return { l3, version: 6, l4: l3 + 40, protocol: frame[l3 + 6] ?? 0, end };
  }
  return undefined;
}

function sumWords(b: Uint8Array, from: number, to: number, acc = 0): number {
  let s = acc;
  for (let i = from; i + 1 < to; i += 2) s += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  if ((to - from) & 1) s += (b[to - 1] ?? 0) << 8;
  return s;
}
function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

function ipv4HeaderChecksum(f: Uint8Array, h: Headers): void {
  put16(f, h.l3 + 10, 0);
  put16(f, h.l3 + 10, ~fold(sumWords(f, h.l3, h.l4)) & 0xffff);
}

function l4Checksum(f: Uint8Array, h: Headers): void {
  const field = h.protocol === IPPROTO_TCP ? h.l4 + 16 : h.l4 + 6;
  if (field + 2 > h.end) return;
  const length = h.end - h.l4;
  put16(f, field, 0);
  let s = h.version === 4 ? sumWords(f, h.l3 + 12, h.l3 + 20) : sumWords(f, h.l3 + 8, h.l3 + 40);
  s += h.protocol + length;
  s = sumWords(f, h.l4, h.end, s);
  let c = ~fold(s) & 0xffff;
  if (c === 0 && h.protocol === IPPROTO_UDP) c = 0xffff; // RFC 768: a computed zero is sent as all ones
  put16(f, field, c);
}

/** A copy of `frame` with the requested checksums filled in. */
export function insertChecksums(frame: Uint8Array, request: ChecksumRequest): Uint8Array {
  const out = frame.slice();
  const h = parseHeaders(out);
  if (!h) return out;
  if (request.ip && h.version === 4) ipv4HeaderChecksum(out, h);
  if (request.l4 && (h.protocol === IPPROTO_TCP || h.protocol === IPPROTO_UDP)) l4Checksum(out, h);
  return out;
}

const TCP_FIN = 0x01;
const TCP_PSH = 0x08;
const TCP_CWR = 0x80;

/**
 * TCP segmentation offload: splits one TCP frame whose payload exceeds `mss` into frames of at most
 * `mss` payload bytes, with consecutive sequence numbers and IPv4 ids, FIN/PSH only on the last and
 * CWR only on the first segment (as Linux's tcp_gso_segment), and fresh checksums. Anything else is
 * returned as a single frame with checksums.
 */
export function segmentTcp(frame: Uint8Array, mss: number): Uint8Array[] {
  const h = parseHeaders(frame);
  if (!h || h.protocol !== IPPROTO_TCP || mss <= 0) return [insertChecksums(frame, { ip: true, l4: true })];
  const headerEnd = h.l4 + ((frame[h.l4 + 12] ?? 0) >> 4) * 4;
  const payload = frame.subarray(headerEnd, h.end);
  if (payload.length <= mss) return [insertChecksums(frame, { ip: true, l4: true })];
  const seq0 =
    ((frame[h.l4 + 4] ?? 0) * 0x1000000 + u16(frame, h.l4 + 5) * 0x100 + (frame[h.l4 + 7] ?? 0)) >>> 0;
  const flags = frame[h.l4 + 13] ?? 0;
  const id0 = h.version === 4 ? u16(frame, h.l3 + 4) : 0;
  const out: Uint8Array[] = [];
  for (let offset = 0, i = 0; offset < payload.length; offset += mss, i++) {
    const chunk = payload.subarray(offset, Math.min(offset + mss, payload.length));
    const last = offset + chunk.length >= payload.length;
    const seg = new Uint8Array(headerEnd + chunk.length);
    seg.set(frame.subarray(0, headerEnd));
    seg.set(chunk, headerEnd);
    const ipLength = headerEnd - h.l3 + chunk.length;
    if (h.version === 4) {
      put16(seg, h.l3 + 2, ipLength);
      put16(seg, h.l3 + 4, (id0 + i) & 0xffff);
    } else {
      put16(seg, h.l3 + 4, ipLength - 40);
    }
    const seq = (seq0 + offset) >>> 0;
    seg[h.l4 + 4] = seq >>> 24;
    seg[h.l4 + 5] = (seq >>> 16) & 0xff;
    seg[h.l4 + 6] = (seq >>> 8) & 0xff;
    seg[h.l4 + 7] = seq & 0xff;
    let f = flags;
    if (!last) f &= ~(TCP_FIN | TCP_PSH);
    if (i > 0) f &= ~TCP_CWR;
    seg[h.l4 + 13] = f;
    out.push(insertChecksums(seg, { ip: true, l4: true }));
  }
  return out;
}
