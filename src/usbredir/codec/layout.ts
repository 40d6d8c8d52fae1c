import type { Negotiation } from './caps.js';
import {
  compileReader,
  compileWriter,
  fieldSize,
  type Field,
  type FieldReader,
  type FieldWriter,
} from './fields.js';
import type { PacketTypeName } from './constants.js';
import type { Role } from './packets.js';

export type { Field, FieldKind } from './fields.js';
export { fieldSize } from './fields.js';

interface TypeLayout {
  /** Who may send it (usbredirparser_get_type_header_len: "command_for_host" means sent by the guest). */
  readonly sender: Role | 'both';
  /** Whether bytes may follow the type header (usbredirparser_expect_extra_data). */
  readonly extraData: boolean;
  readonly fields: (neg: Negotiation) => readonly Field[];
}

const fixed =
  (...fields: Field[]) =>
  (): readonly Field[] =>
    fields;

/** Packet type → layout; the optional-field rules mirror usbredirparser_get_type_header_len. */
export const layouts: Record<PacketTypeName, TypeLayout> = {
  hello: { sender: 'both', extraData: true, fields: fixed(['version', 'str64']) },
  device_connect: {
    sender: 'host',
    extraData: false,
    fields: (neg) => [
      ['speed', 'u8'],
      ['deviceClass', 'u8'],
      ['deviceSubclass', 'u8'],
      ['deviceProtocol', 'u8'],
      ['vendorId', 'u16'],
      ['productId', 'u16'],
      ...(neg.both('connect_device_version') ? [['deviceVersionBcd', 'u16'] as const] : []),
    ],
  },
  device_disconnect: { sender: 'host', extraData: false, fields: fixed() },
  reset: { sender: 'guest', extraData: false, fields: fixed() },
  interface_info: {
    sender: 'host',
    extraData: false,
    fields: fixed(
      ['interfaceCount', 'u32'],
      ['interface', 'u8x32'],
      ['interfaceClass', 'u8x32'],
      ['interfaceSubclass', 'u8x32'],
      ['interfaceProtocol', 'u8x32'],
    ),
  },
  ep_info: {
    sender: 'host',
    extraData: false,
    // With bulk_streams the full struct (max_packet_size included) is sent even without
    // ep_info_max_packet_size; usbredirparser checks bulk_streams first.
    fields: (neg) => {
      const base: Field[] = [
        ['epType', 'u8x32'],
        ['interval', 'u8x32'],
        ['interface', 'u8x32'],
      ];
      if (neg.both('bulk_streams')) return [...base, ['maxPacketSize', 'u16x32'], ['maxStreams', 'u32x32']];
      if (neg.both('ep_info_max_packet_size')) return [...base, ['maxPacketSize', 'u16x32']];
      return base;
    },
  },
  set_configuration: { sender: 'guest', extraData: false, fields: fixed(['configuration', 'u8']) },
  get_configuration: { sender: 'guest', extraData: false, fields: fixed() },
  configuration_status: {
    sender: 'host',
    extraData: false,
    fields: fixed(['status', 'u8'], ['configuration', 'u8']),
  },
  set_alt_setting: { sender: 'guest', extraData: false, fields: fixed(['interface', 'u8'], ['alt', 'u8']) },
  get_alt_setting: { sender: 'guest', extraData: false, fields: fixed(['interface', 'u8']) },
  alt_setting_status: {
    sender: 'host',
    extraData: false,
    fields: fixed(['status', 'u8'], ['interface', 'u8'], ['alt', 'u8']),
  },
  start_iso_stream: {
    sender: 'guest',
    extraData: false,
    fields: fixed(['endpoint', 'u8'], ['pktsPerUrb', 'u8'], ['noUrbs', 'u8']),
  },
  stop_iso_stream: { sender: 'guest', extraData: false, fields: fixed(['endpoint', 'u8']) },
  iso_stream_status: {
    sender: 'host',
    extraData: false,
    fields: fixed(['status', 'u8'], ['endpoint', 'u8']),
  },
  start_interrupt_receiving: { sender: 'guest', extraData: false, fields: fixed(['endpoint', 'u8']) },
  stop_interrupt_receiving: { sender: 'guest', extraData: false, fields: fixed(['endpoint', 'u8']) },
  interrupt_receiving_status: {
    sender: 'host',
    extraData: false,
    fields: fixed(['status', 'u8'], ['endpoint', 'u8']),
  },
  alloc_bulk_streams: {
    sender: 'guest',
    extraData: false,
    fields: fixed(['endpoints', 'u32'], ['noStreams', 'u32']),
  },
  free_bulk_streams: { sender: 'guest', extraData: false, fields: fixed(['endpoints', 'u32']) },
  bulk_streams_status: {
    sender: 'host',
    extraData: false,
    fields: fixed(['endpoints', 'u32'], ['noStreams', 'u32'], ['status', 'u8']),
  },
  cancel_data_packet: { sender: 'guest', extraData: false, fields: fixed() },
  filter_reject: { sender: 'guest', extraData: false, fields: fixed() },
  filter_filter: { sender: 'both', extraData: true, fields: fixed() },
  device_disconnect_ack: { sender: 'guest', extraData: false, fields: fixed() },
  start_bulk_receiving: {
    sender: 'guest',
    extraData: false,
    fields: fixed(
      ['streamId', 'u32'],
      ['bytesPerTransfer', 'u32'],
      ['endpoint', 'u8'],
      ['noTransfers', 'u8'],
    ),
  },
  stop_bulk_receiving: {
    sender: 'guest',
    extraData: false,
    fields: fixed(['streamId', 'u32'], ['endpoint', 'u8']),
  },
  bulk_receiving_status: {
    sender: 'host',
    extraData: false,
    fields: fixed(['streamId', 'u32'], ['endpoint', 'u8'], ['status', 'u8']),
  },
  control_packet: {
    sender: 'both',
    extraData: true,
    fields: fixed(
      ['endpoint', 'u8'],
      ['request', 'u8'],
      ['requestType', 'u8'],
      ['status', 'u8'],
      ['value', 'u16'],
      ['index', 'u16'],
      ['length', 'u16'],
    ),
  },
  bulk_packet: {
    sender: 'both',
    extraData: true,
    fields: (neg) => [
      ['endpoint', 'u8'],
      ['status', 'u8'],
      ['length', 'u16'],
      ['streamId', 'u32'],
      ...(neg.both('32bits_bulk_length') ? [['length', 'u16', 16] as const] : []),
    ],
  },
  iso_packet: {
    sender: 'both',
    extraData: true,
    fields: fixed(['endpoint', 'u8'], ['status', 'u8'], ['length', 'u16']),
  },
  interrupt_packet: {
    sender: 'both',
    extraData: true,
    fields: fixed(['endpoint', 'u8'], ['status', 'u8'], ['length', 'u16']),
  },
  buffered_bulk_packet: {
    sender: 'host',
    extraData: true,
    fields: fixed(['streamId', 'u32'], ['length', 'u32'], ['endpoint', 'u8'], ['status', 'u8']),
  },
};

export function typeHeaderLength(fields: readonly Field[]): number {
  return fields.reduce((n, [, kind]) => n + fieldSize[kind], 0);
}

/** A type's fields under one negotiation, the length of its type header, and its compiled accessors. */
export interface CompiledLayout {
  readonly fields: readonly Field[];
  readonly headerLength: number;
  readonly read: FieldReader;
  readonly write: FieldWriter;
}

/**
 * Layouts depend on the negotiation only through the peer's capabilities, which change once per
 * connection (its hello). Compiling them once per peer hello keeps the per-packet path free of the
 * field-list allocations `fields(neg)` makes.
 */
const compiledCache = new WeakMap<
  Negotiation,
  { peer: Negotiation['peer']; byType: Map<PacketTypeName, CompiledLayout> }
>();

export function compiledLayout(name: PacketTypeName, neg: Negotiation): CompiledLayout {
  let entry = compiledCache.get(neg);
  if (entry === undefined || entry.peer !== neg.peer) {
    entry = { peer: neg.peer, byType: new Map() };
    compiledCache.set(neg, entry);
  }
  let compiled = entry.byType.get(name);
  if (!compiled) {
    const fields = layouts[name].fields(neg);
    compiled = {
      fields,
      headerLength: typeHeaderLength(fields),
      read: compileReader(fields),
      write: compileWriter(fields),
    };
    entry.byType.set(name, compiled);
  }
  return compiled;
}

/** Whether `role` may receive a packet whose layout says `sender`. */
export function receivable(sender: Role | 'both', receiver: Role): boolean {
  return sender === 'both' || sender !== receiver;
}
