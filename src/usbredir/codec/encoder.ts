import { ProtocolError, UsbredirErrorCode } from '../errors.js';
import type { Negotiation } from './caps.js';
import { HEADER_SIZE_32BIT_ID, HEADER_SIZE_64BIT_ID, PacketType } from './constants.js';
import { headerSize } from './decoder.js';
import { put32 } from './fields.js';
import { compiledLayout, layouts } from './layout.js';
import type { Packet, Role } from './packets.js';
import { verifyPacket } from './verify.js';

/**
 * Encodes one packet as `sender` would put it on the wire under the current negotiation. Throws a
 * ProtocolError (offset -1: nothing was written) for a packet this side may not send or whose data
 * disagrees with its length: those are bugs in the caller, not in the peer.
 */
export function encodePacket(packet: Packet, neg: Negotiation, sender: Role): Uint8Array {
  const type = PacketType[packet.type];
  const layout = layouts[packet.type];
  if (layout.sender !== 'both' && layout.sender !== sender) {
    throw new ProtocolError(
      UsbredirErrorCode.WRONG_DIRECTION,
      `the usbredir ${sender} never sends ${packet.type}`,
      -1,
      type,
    );
  }
  // Packets are plain records of their layout's fields (see packets.ts), bulk_packet's 32-bit length
  // included: the layout splits it.
  const rec = packet as unknown as Record<string, unknown>;
  let data: Uint8Array = EMPTY;
  switch (packet.type) {
    case 'hello': {
      data = new Uint8Array(packet.capabilities.length * 4);
      const dv = new DataView(data.buffer);
      packet.capabilities.forEach((word, i) => dv.setUint32(i * 4, word >>> 0, true));
      break;
    }
    case 'filter_filter': {
      data = new Uint8Array(packet.rules.length + 1);
      for (let i = 0; i < packet.rules.length; i++) data[i] = packet.rules.charCodeAt(i) & 0xff;
      break;
    }
    case 'bulk_packet':
      data = packet.data;
      if (packet.length > 0xffff && !neg.both('32bits_bulk_length')) {
        throw new ProtocolError(
          UsbredirErrorCode.BAD_FIELD,
          'bulk length > 65535 without 32bits_bulk_length',
          -1,
          type,
        );
      }
      break;
    case 'control_packet':
    case 'iso_packet':
    case 'interrupt_packet':
    case 'buffered_bulk_packet':
      data = packet.data;
      break;
    default:
      break;
  }
  const receiver: Role = sender === 'host' ? 'guest' : 'host';
  const violation = verifyPacket(packet.type, rec, data, neg, receiver, true);
  if (violation) throw new ProtocolError(violation.code, violation.message, -1, type);

  const { write, headerLength: thl } = compiledLayout(packet.type, neg);
  // usbredirparser queues (and so serialises) its hello before reading anything from the peer, so
  // a hello always carries the 32-bit-id header, even if the peer's hello happened to arrive first.
  const hlen = packet.type === 'hello' ? HEADER_SIZE_32BIT_ID : headerSize(neg);
  const out = new Uint8Array(hlen + thl + data.length);
  put32(out, 0, type);
  put32(out, 4, thl + data.length);
  put32(out, 8, Number(BigInt.asUintN(32, packet.id)));
  if (hlen === HEADER_SIZE_64BIT_ID) put32(out, 12, Number(BigInt.asUintN(32, packet.id >> 32n)));
  write(out, hlen, rec);
  if (data.length > 0) out.set(data, hlen + thl);
  return out;
}

const EMPTY = new Uint8Array(0);
