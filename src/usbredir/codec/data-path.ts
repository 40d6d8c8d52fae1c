/**
 * bulk_packet, the one packet of a guest's MDIO or I2C access, read and written by hand for the one
 * negotiation QEMU's xHCI ever has: 64-bit ids and 32-bit bulk lengths (QEMU refuses a device on an xHCI port
 * without them, hw/usb/redirect.c usbredir_do_attach; our hello advertises both). Everything else goes
 * through the layout table (layout.ts); this file is its transcription for one packet, and the tests hold
 * the two to the same bytes.
 *
 * Why by hand: between two transfers of a guest access TCG and the rest of the machine run, so our code meets
 * its caches cold, and every lookup, record and allocation on the way costs microseconds there
 * (docs/latency.md). Here a packet is read straight into a fixed-shape object and a reply written straight
 * into the caller's buffer, with no layout lookup, no record built by name, and no verification pass: a
 * packet the checks below do not pass is left to the generic decoder, which reports it exactly as before.
 */
import type { Negotiation } from './caps.js';
import { HEADER_SIZE_64BIT_ID, MAX_BULK_TRANSFER_SIZE, PacketType } from './constants.js';
import type { BulkPacket, Role } from './packets.js';

/** usbredir_bulk_packet_header with length_high (32bits_bulk_length). */
export const BULK_TYPE_HEADER = 10;
/** Header and type header of a bulk_packet on the data path. */
export const BULK_PACKET_HEAD = HEADER_SIZE_64BIT_ID + BULK_TYPE_HEADER;

const EMPTY = new Uint8Array(0);

/** Whether the data path applies: both peers advertised 64-bit ids and 32-bit bulk lengths. */
export function dataPathNegotiated(neg: Negotiation): boolean {
  return neg.both('64bits_ids') && neg.both('32bits_bulk_length');
}

/**
 * The bulk_packet whose usbredir header is at `at` of `view` (type already known to be bulk_packet, `length`
 * the header's length field, the whole packet present), travelling to `receiver`; or undefined when the
 * generic decoder must judge it (too short a type header, a length over the bulk limit, data where there
 * should be none or not as much as the header says). The data is copied: the packet outlives the chunk.
 */
export function readBulkPacket(
  view: DataView,
  at: number,
  length: number,
  receiver: Role,
): BulkPacket | undefined {
  if (length < BULK_TYPE_HEADER) return undefined;
  const t = at + HEADER_SIZE_64BIT_ID;
  const endpoint = view.getUint8(t);
  const transfer = view.getUint16(t + 2, true) + view.getUint16(t + 8, true) * 0x10000;
  if (transfer > MAX_BULK_TRANSFER_SIZE) return undefined;
  const dataLength = length - BULK_TYPE_HEADER;
  // Data travels guest→host on OUT endpoints and host→guest on IN endpoints (verify.ts verifyDataPacket).
  const carriesData = ((endpoint & 0x80) !== 0) !== (receiver === 'host');
  if (dataLength !== (carriesData ? transfer : 0)) return undefined;
  return {
    type: 'bulk_packet',
    id: view.getBigUint64(at + 8, true),
    endpoint,
    status: view.getUint8(t + 1),
    length: transfer,
    streamId: view.getUint32(t + 4, true),
    data: dataLength === 0 ? EMPTY : copyOut(view, t + BULK_TYPE_HEADER, dataLength),
  };
}

/**
 * The bytes at `at` as a new array. A command (6 to 64 bytes) is copied byte by byte into an array V8 keeps
 * on its own heap; slicing the ArrayBuffer instead would allocate a separate backing store each time.
 */
function copyOut(view: DataView, at: number, length: number): Uint8Array {
  if (length > 64) return new Uint8Array(view.buffer, view.byteOffset + at, length).slice();
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = view.getUint8(at + i);
  return out;
}

/**
 * Writes a bulk_packet at `at` of `out` (through `view`, a DataView over the same bytes) and returns the
 * offset after it. `out` must have room for BULK_PACKET_HEAD + data.length bytes from `at`; the caller
 * decides that `length` and `data` agree with the direction (the session does, from the request).
 */
export function writeBulkPacket(
  out: Uint8Array,
  view: DataView,
  at: number,
  id: bigint,
  endpoint: number,
  status: number,
  length: number,
  streamId: number,
  data: Uint8Array,
): number {
  view.setUint32(at, PacketType.bulk_packet, true);
  view.setUint32(at + 4, BULK_TYPE_HEADER + data.length, true);
  view.setBigUint64(at + 8, id, true);
  const t = at + HEADER_SIZE_64BIT_ID;
  out[t] = endpoint;
  out[t + 1] = status;
  view.setUint16(t + 2, length & 0xffff, true);
  view.setUint32(t + 4, streamId, true);
  view.setUint16(t + 8, length >>> 16, true);
  if (data.length > 0) out.set(data, t + BULK_TYPE_HEADER);
  return t + BULK_TYPE_HEADER + data.length;
}
