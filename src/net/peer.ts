import type { FrameReceiver } from './frame.js';
import { ETHERTYPE_IPV4, ETH_HLEN, formatMac } from './frame.js';

/** Frames the guest transmitted, as the emulated far end classifies them. */
export type FrameClass = 'any' | 'arp-request' | 'icmp-echo-request';
export const FRAME_CLASSES: readonly FrameClass[] = ['any', 'arp-request', 'icmp-echo-request'];

/**
 * The far end of an emulated Ethernet adapter's cable: a host at one IPv4 address that answers ARP requests
 * for it (RFC 826) and ICMP echo requests to it (RFC 792), so `ping` in the guest gets replies. It also
 * counts what the guest sent, by class, for the `guest-frames` expectation. Pure: replies go to `send`.
 */
export const ETHERTYPE_ARP = 0x0806;
const ARP_REQUEST = 1;
const ARP_REPLY = 2;
const IPPROTO_ICMP = 1;
const ICMP_ECHO_REPLY = 0;
const ICMP_ECHO_REQUEST = 8;

export interface NetworkPeerOptions {
  mac: Uint8Array;
  ipv4: Uint8Array;
  /** Where replies go (the adapter's receive side). */
  send: (frame: Uint8Array) => void;
}

export class NetworkPeer implements FrameReceiver {
  readonly counts: Record<FrameClass, number> = { any: 0, 'arp-request': 0, 'icmp-echo-request': 0 };
  readonly replies = { arp: 0, icmp: 0 };

  constructor(private readonly o: NetworkPeerOptions) {}

  get description(): string {
    return `${this.o.ipv4.join('.')} (${formatMac(this.o.mac)})`;
  }

  receive(frame: Uint8Array): void {
    this.counts.any++;
    if (frame.length < ETH_HLEN) return;
    const type = u16(frame, 12);
    if (type === ETHERTYPE_ARP) this.#arp(frame);
    else if (type === ETHERTYPE_IPV4) this.#ipv4(frame);
  }

  /** RFC 826 for Ethernet/IPv4: htype 1, ptype 0x0800, hlen 6, plen 4, then op and the four addresses. */
  #arp(frame: Uint8Array): void {
    const p = frame.subarray(ETH_HLEN);
    if (p.length < 28 || u16(p, 0) !== 1 || u16(p, 2) !== ETHERTYPE_IPV4 || p[4] !== 6 || p[5] !== 4) return;
    if (u16(p, 6) !== ARP_REQUEST) return;
    this.counts['arp-request']++;
    if (!equal(p.subarray(24, 28), this.o.ipv4)) return;
    const senderMac = p.slice(8, 14);
    const senderIp = p.slice(14, 18);
    const reply = new Uint8Array(ETH_HLEN + 28);
    reply.set(senderMac, 0);
    reply.set(this.o.mac, 6);
    put16(reply, 12, ETHERTYPE_ARP);
    const r = reply.subarray(ETH_HLEN);
    put16(r, 0, 1);
    put16(r, 2, ETHERTYPE_IPV4);
    r[4] = 6;
    r[5] = 4;
    put16(r, 6, ARP_REPLY);
    r.set(this.o.mac, 8);
    r.set(this.o.ipv4, 14);
    r.set(senderMac, 18);
    r.set(senderIp, 24);
    this.replies.arp++;
    this.o.send(reply);
  }

  #ipv4(frame: Uint8Array): void {
    const ip = frame.subarray(ETH_HLEN);
    if (ip.length < 20 || (ip[0] ?? 0) >> 4 !== 4) return;
    const ihl = ((ip[0] ?? 0) & 0x0f) * 4;
    const total = u16(ip, 2);
    if (ihl < 20 || total < ihl + 8 || total > ip.length || ip[9] !== IPPROTO_ICMP) return;
    // Fragments are not reassembled: a ping of the default size is never fragmented.
    if ((u16(ip, 6) & 0x3fff) !== 0) return;
    const icmp = ip.subarray(ihl, total);
    if (icmp[0] !== ICMP_ECHO_REQUEST) return;
    this.counts['icmp-echo-request']++;
    if (!equal(ip.subarray(16, 20), this.o.ipv4)) return;
    const reply = frame.slice(0, ETH_HLEN + total);
    reply.set(frame.subarray(6, 12), 0);
    reply.set(this.o.mac, 6);
    const rip = reply.subarray(ETH_HLEN);
    rip.set(ip.subarray(16, 20), 12);
    rip.set(ip.subarray(12, 16), 16);
    rip[8] = 64; // a fresh TTL
    put16(rip, 10, 0);
    put16(rip, 10, internetChecksum(rip.subarray(0, ihl)));
    const ricmp = rip.subarray(ihl);
    ricmp[0] = ICMP_ECHO_REPLY;
    put16(ricmp, 2, 0);
    put16(ricmp, 2, internetChecksum(ricmp));
    this.replies.icmp++;
    this.o.send(reply);
  }
}

/** RFC 1071 ones' complement sum of 16-bit words. */
export function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** `"192.168.7.1"` → 4 bytes, or undefined when it is not a dotted quad. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return Uint8Array.from(parts, Number);
}

function u16(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}
function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >> 8) & 0xff;
  b[at + 1] = v & 0xff;
}
function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
