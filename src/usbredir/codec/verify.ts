import { UsbredirErrorCode } from '../errors.js';
import type { ProtocolErrorCode } from '../errors.js';
import type { Negotiation } from './caps.js';
import { MAX_BULK_TRANSFER_SIZE, type CapName, type PacketTypeName } from './constants.js';
import type { Role } from './packets.js';

export interface Violation {
  readonly code: ProtocolErrorCode;
  readonly message: string;
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
  const num = (name: string): number => (typeof rec[name] === 'number' ? rec[name] : 0);
  const needCap = (cap: CapName): Violation | undefined =>
    (sending ? neg.peerHas(cap) : neg.we(cap))
      ? undefined
      : { code: UsbredirErrorCode.MISSING_CAP, message: `${type} needs capability ${cap}` };
  const inputEndpoint = (): Violation | undefined =>
    num('endpoint') & 0x80
      ? undefined
      : {
          code: UsbredirErrorCode.BAD_FIELD,
          message: `${type} on non-input endpoint 0x${num('endpoint').toString(16)}`,
        };

  switch (type) {
    case 'interface_info':
      return num('interfaceCount') > 32
        ? { code: UsbredirErrorCode.BAD_FIELD, message: 'interface_count > 32' }
        : undefined;
    case 'start_interrupt_receiving':
    case 'stop_interrupt_receiving':
    case 'interrupt_receiving_status':
      return inputEndpoint();
    case 'filter_reject':
      return needCap('filter');
    case 'filter_filter':
      return (
        needCap('filter') ??
        (data.length < 1 || data[data.length - 1] !== 0
          ? { code: UsbredirErrorCode.BAD_FIELD, message: 'filter_filter rules must be a NUL-terminated string' }
          : undefined)
      );
    case 'device_disconnect_ack':
      return needCap('device_disconnect_ack');
    case 'start_bulk_receiving':
      return (
        needCap('bulk_receiving') ??
        (num('bytesPerTransfer') > MAX_BULK_TRANSFER_SIZE
          ? { code: UsbredirErrorCode.BAD_FIELD, message: 'bytes_per_transfer exceeds the bulk transfer limit' }
          : inputEndpoint())
      );
    case 'stop_bulk_receiving':
    case 'bulk_receiving_status':
      return needCap('bulk_receiving') ?? inputEndpoint();
    case 'control_packet':
    case 'bulk_packet':
    case 'iso_packet':
    case 'interrupt_packet':
    case 'buffered_bulk_packet':
      return verifyDataPacket(type, rec, data, neg, receiver, sending, needCap);
    default:
      return undefined;
  }
}

function verifyDataPacket(
  type: PacketTypeName,
  rec: Record<string, unknown>,
  data: Uint8Array,
  _neg: Negotiation,
  receiver: Role,
  _sending: boolean,
  needCap: (cap: CapName) => Violation | undefined,
): Violation | undefined {
  const length = typeof rec['length'] === 'number' ? rec['length'] : 0;
  const endpoint = typeof rec['endpoint'] === 'number' ? rec['endpoint'] : 0;
  if (type === 'buffered_bulk_packet') {
    const missing = needCap('bulk_receiving');
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
