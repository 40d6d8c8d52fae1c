import type { Clock } from '../clock.js';
import type { FrameReceiver } from './frame.js';

/**
 * Classic libpcap capture format (https://www.tcpdump.org/manpages/pcap-savefile.5.html): a 24-byte
 * global header, then per packet a 16-byte record header and the bytes. Little-endian, microsecond
 * timestamps (magic 0xa1b2c3d4). Pure: bytes go to an injected `write`, time comes from a clock.
 */

export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
/** LINKTYPE_ETHERNET: frames start at the destination address and carry no FCS. */
export const LINKTYPE_ETHERNET = 1;
export const PCAP_GLOBAL_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

export function pcapGlobalHeader(snaplen = 65535, linktype = LINKTYPE_ETHERNET): Uint8Array {
  const b = new Uint8Array(PCAP_GLOBAL_HEADER_LEN);
  const v = new DataView(b.buffer);
  v.setUint32(0, PCAP_MAGIC_MICROSECONDS, true);
  v.setUint16(4, 2, true); // version 2.4
  v.setUint16(6, 4, true);
  v.setInt32(8, 0, true); // thiszone
  v.setUint32(12, 0, true); // sigfigs
  v.setUint32(16, snaplen, true);
  v.setUint32(20, linktype, true);
  return b;
}

/** One record: header and (up to `snaplen` bytes of) the frame. */
export function pcapRecord(frame: Uint8Array, timestampNs: number, snaplen = 65535): Uint8Array {
  const captured = Math.min(frame.length, snaplen);
  const b = new Uint8Array(PCAP_RECORD_HEADER_LEN + captured);
  const v = new DataView(b.buffer);
  const us = Math.floor(timestampNs / 1000);
  v.setUint32(0, Math.floor(us / 1_000_000), true);
  v.setUint32(4, us % 1_000_000, true);
  v.setUint32(8, captured, true);
  v.setUint32(12, frame.length, true);
  b.set(frame.subarray(0, captured), PCAP_RECORD_HEADER_LEN);
  return b;
}

export interface PcapRecorderOptions {
  readonly clock: Pick<Clock, 'now'>;
  readonly write: (chunk: Uint8Array) => void;
  readonly snaplen?: number;
}

/** A tap: every frame it receives becomes a pcap record, the global header goes out first. */
export class PcapRecorder implements FrameReceiver {
  #frames = 0;
  readonly #snaplen: number;

  constructor(private readonly options: PcapRecorderOptions) {
    this.#snaplen = options.snaplen ?? 65535;
    options.write(pcapGlobalHeader(this.#snaplen));
  }

  get frames(): number {
    return this.#frames;
  }

  receive(frame: Uint8Array): void {
    this.#frames++;
    this.options.write(pcapRecord(frame, this.options.clock.now(), this.#snaplen));
  }
}

export interface PcapPacket {
  readonly timestampUs: number;
  readonly originalLength: number;
  readonly data: Uint8Array;
}

/** Reads a little-endian microsecond pcap back (tests, replay); throws RangeError on a malformed file. */
export function parsePcap(bytes: Uint8Array): { linktype: number; packets: PcapPacket[] } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < PCAP_GLOBAL_HEADER_LEN || v.getUint32(0, true) !== PCAP_MAGIC_MICROSECONDS) {
    throw new RangeError('not a little-endian microsecond pcap file');
  }
  const packets: PcapPacket[] = [];
  let at = PCAP_GLOBAL_HEADER_LEN;
  while (at < bytes.length) {
    if (at + PCAP_RECORD_HEADER_LEN > bytes.length)
      throw new RangeError(`truncated record header at offset ${at}`);
    const captured = v.getUint32(at + 8, true);
    const end = at + PCAP_RECORD_HEADER_LEN + captured;
    if (end > bytes.length) throw new RangeError(`truncated record at offset ${at}`);
    packets.push({
      timestampUs: v.getUint32(at, true) * 1_000_000 + v.getUint32(at + 4, true),
      originalLength: v.getUint32(at + 12, true),
      data: bytes.slice(at + PCAP_RECORD_HEADER_LEN, end),
    });
    at = end;
  }
  return { linktype: v.getUint32(20, true), packets };
}
