import { UsbredirErrorCode } from '../errors.js';
import type { ProtocolErrorCode } from '../errors.js';
import type { Negotiation } from './caps.js';
import { MAX_BULK_TRANSFER_SIZE, type CapName, type PacketTypeName } from './constants.js';
import type { Role } from './packets.js';

export interface Violation {
  readonly code: ProtocolErrorCode;
  readonly message: string;
}

/*
 * These run for every packet in both directions, so they create no closures: under tsx (how the CLI
 * runs) every function expression made per call also pays esbuild's keep-names property definition.
 */
function num(rec: Record<string, unknown>, name: string): number {
  const v = rec[name];
  return typeof v === 'number' ? v : 0;
}

function needCap(
  type: PacketTypeName,
  cap: CapName,
  neg: Negotiation,
  sending: boolean,
): Violation | undefined {
  return (sending ? neg.peerHas(cap) : neg.we(cap))
    ? undefined
    : { code: UsbredirErrorCode.MISSING_CAP, message: `${type} needs capability ${cap}` };
}

function inputEndpoint(type: PacketTypeName, rec: Record<string, unknown>): Violation | undefined {
  const endpoint = num(rec, 'endpoint');
  return endpoint & 0x80
    ? undefined
    : {
        code: UsbredirErrorCode.BAD_FIELD,
        message: `${type} on non-input endpoint 0x${endpoint.toString(16)}`,
      };
}

/**
 * The semantic checks of usbredirparser_verify_type_header, for a packet travelling towards
 * `receiver`. `sending` says whose capabilities gate a capability-bound packet: when sending, the
 * peer must have advertised it; when receiving, we must have.
 */
export function verifyPacket(
  type: PacketTypeName,
  rec: Record<string, unknown>,
  data: Uint8Array,
  neg: Negotiation,
  receiver: Role,
  sending: boolean,
): Violation | undefined {
  switch (type) {
    case 'interface_info':
      return num(rec, 'interfaceCount') > 32
        ? { code: UsbredirErrorCode.BAD_FIELD, message: 'interface_count > 32' }
        : undefined;
    case 'start_interrupt_receiving':
    case 'stop_interrupt_receiving':
    case 'interrupt_receiving_status':
      return inputEndpoint(type, rec);
    case 'filter_reject':
      return needCap(type, 'filter', neg, sending);
    case 'filter_filter':
      return (
        needCap(type, 'filter', neg, sending) ??
        (data.length < 1 || data[data.length - 1] !== 0
          ? {
              code: UsbredirErrorCode.BAD_FIELD,
              message: 'filter_filter rules must be a NUL-terminated string',
            }
          : undefined)
      );
    case 'device_disconnect_ack':
      return needCap(type, 'device_disconnect_ack', neg, sending);
    case 'start_bulk_receiving':
      return (
        needCap(type, 'bulk_receiving', neg, sending) ??
        (num(rec, 'bytesPerTransfer') > MAX_BULK_TRANSFER_SIZE
          ? {
              code: UsbredirErrorCode.BAD_FIELD,
              message: 'bytes_per_transfer exceeds the bulk transfer limit',
            }
          : inputEndpoint(type, rec))
      );
    case 'stop_bulk_receiving':
    case 'bulk_receiving_status':
      return needCap(type, 'bulk_receiving', neg, sending) ?? inputEndpoint(type, rec);
    case 'control_packet':
    case 'bulk_packet':
    case 'iso_packet':
    case 'interrupt_packet':
    case 'buffered_bulk_packet':
      return verifyDataPacket(type, rec, data, neg, receiver, sending);
    default:
      return undefined;
  }
}

function verifyDataPacket(
  type: PacketTypeName,
  rec: Record<string, unknown>,
  data: Uint8Array,
  neg: Negotiation,
  receiver: Role,
  sending: boolean,
): Violation | undefined {
  const length = num(rec, 'length');
  const endpoint = num(rec, 'endpoint');
  if (type === 'buffered_bulk_packet') {
    const missing = needCap(type, 'bulk_receiving', neg, sending);
    if (missing) return missing;
  }
  if ((type === 'bulk_packet' || type === 'buffered_bulk_packet') && length > MAX_BULK_TRANSFER_SIZE) {
    return { code: UsbredirErrorCode.BAD_FIELD, message: 'bulk transfer length exceeds the limit' };
  }
  const toHost = receiver === 'host';
  const isIn = (endpoint & 0x80) !== 0;
  // Data travels guest→host on OUT endpoints and host→guest on IN endpoints; the other way the
  // packet is a request (to the host) or a bare status (to the guest).
  const expectData = isIn !== toHost;
  if (expectData) {
    return data.length === length
      ? undefined
      : {
          code: UsbredirErrorCode.BAD_DATA_LENGTH,
          message: `data length ${data.length} != header length ${length}`,
        };
  }
  if (data.length !== 0) {
    return {
      code: UsbredirErrorCode.UNEXPECTED_DATA,
      message: `unexpected data on endpoint 0x${endpoint.toString(16)}`,
    };
  }
  if (type === 'iso_packet' || type === 'buffered_bulk_packet' || (type === 'interrupt_packet' && toHost)) {
    return { code: UsbredirErrorCode.WRONG_DIRECTION, message: `${type} sent in the wrong direction` };
  }
  return undefined;
}
