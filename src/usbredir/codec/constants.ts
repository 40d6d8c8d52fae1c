/**
 * Numeric constants of the usbredir wire protocol, as declared in usbredirproto.h
 * (libusbredirparser 0.7+). Names keep the header's spelling without the `usb_redir_` prefix.
 */

export const PacketType = {
  hello: 0,
  device_connect: 1,
  device_disconnect: 2,
  reset: 3,
  interface_info: 4,
  ep_info: 5,
  set_configuration: 6,
  get_configuration: 7,
  configuration_status: 8,
  set_alt_setting: 9,
  get_alt_setting: 10,
  alt_setting_status: 11,
  start_iso_stream: 12,
  stop_iso_stream: 13,
  iso_stream_status: 14,
  start_interrupt_receiving: 15,
  stop_interrupt_receiving: 16,
  interrupt_receiving_status: 17,
  alloc_bulk_streams: 18,
  free_bulk_streams: 19,
  bulk_streams_status: 20,
  cancel_data_packet: 21,
  filter_reject: 22,
  filter_filter: 23,
  device_disconnect_ack: 24,
  start_bulk_receiving: 25,
  stop_bulk_receiving: 26,
  bulk_receiving_status: 27,
  control_packet: 100,
  bulk_packet: 101,
  iso_packet: 102,
  interrupt_packet: 103,
  buffered_bulk_packet: 104,
} as const;
export type PacketTypeName = keyof typeof PacketType;

const typeNames = new Map<number, PacketTypeName>(
  (Object.entries(PacketType) as [PacketTypeName, number][]).map(([name, n]) => [n, name]),
);
export function packetTypeName(type: number): PacketTypeName | undefined {
  return typeNames.get(type);
}

/** Capability bit numbers (usb_redir_cap_*). */
export const Cap = {
  bulk_streams: 0,
  connect_device_version: 1,
  filter: 2,
  device_disconnect_ack: 3,
  ep_info_max_packet_size: 4,
  '64bits_ids': 5,
  '32bits_bulk_length': 6,
  bulk_receiving: 7,
} as const;
export type CapName = keyof typeof Cap;

/** Transfer status codes carried in data and status packets. */
export const Status = {
  success: 0,
  cancelled: 1,
  inval: 2,
  ioerror: 3,
  stall: 4,
  timeout: 5,
  babble: 6,
} as const;
export type StatusCode = (typeof Status)[keyof typeof Status];

/** Endpoint types; the first four match the USB bmAttributes transfer type. */
export const EndpointType = { control: 0, iso: 1, bulk: 2, interrupt: 3, invalid: 255 } as const;

export const Speed = { low: 0, full: 1, high: 2, super: 3, unknown: 255 } as const;
export type SpeedCode = (typeof Speed)[keyof typeof Speed];

/** Header sizes: type, length and a 32-bit id until both peers advertise 64bits_ids. */
export const HEADER_SIZE_32BIT_ID = 12;
export const HEADER_SIZE_64BIT_ID = 16;

/** usbredirparser's MAX_BULK_TRANSFER_SIZE (128 MiB); a packet longer than this plus headers is refused. */
export const MAX_BULK_TRANSFER_SIZE = 128 * 1024 * 1024;
export const MAX_PACKET_LENGTH = MAX_BULK_TRANSFER_SIZE + 1024;

/** Endpoint arrays in interface_info / ep_info are indexed `((ep & 0x80) >> 3) | (ep & 0x0f)` (QEMU's EP2I). */
export function endpointIndex(address: number): number {
  return ((address & 0x80) >> 3) | (address & 0x0f);
}
export function endpointAddress(index: number): number {
  return ((index & 0x10) << 3) | (index & 0x0f);
}
