/**
 * Ethernet frames between emulated MACs, links and taps. A frame is the bytes from destination address
 * to the end of the payload: no preamble, no FCS (MAC models add and strip the FCS themselves).
 */

/** Anything a frame can be handed to: a MAC's receive side, a link, a pcap tap. */
export interface FrameReceiver {
  /** `frame` is only valid during the call: copy it to keep it. */
  receive(frame: Uint8Array): void;
}

export const ETH_HLEN = 14;
/** 802.3 minimum frame without FCS; MACs pad shorter frames with zeros before the FCS. */
export const ETH_ZLEN = 60;
export const ETH_FCS_LEN = 4;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;

export const BROADCAST = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

export function isBroadcast(frame: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (frame[i] !== 0xff) return false;
  return true;
}

/** I/G bit of the destination address (802.3 3.2.3). */
export function isMulticast(frame: Uint8Array): boolean {
  return ((frame[0] ?? 0) & 1) === 1;
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

export function parseMac(text: string): Uint8Array {
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p)))
    throw new RangeError(`not a MAC address: ${text}`);
  return Uint8Array.from(parts, (p) => Number.parseInt(p, 16));
}

/** Fans one stream of frames out to several receivers (a link and a pcap tap, say). */
export function tee(...receivers: FrameReceiver[]): FrameReceiver {
  return { receive: (frame) => receivers.forEach((r) => r.receive(frame)) };
}
