/**
 * Decoded usbredir packets, one interface per packet type of usbredirproto.h. `id` is the header id
 * (64-bit once both peers advertise 64bits_ids, else the low 32 bits). Fields that exist only under a
 * capability (device_connect's bcd, ep_info's max_packet_size/max_streams, bulk length_high) are
 * always present here; the codec writes them only when negotiated and decodes them as 0 otherwise.
 */
interface Base {
  id: bigint;
}
export interface Hello extends Base {
  type: 'hello';
  version: string;
  capabilities: number[];
}
export interface DeviceConnect extends Base {
  type: 'device_connect';
  speed: number;
  deviceClass: number;
  deviceSubclass: number;
  deviceProtocol: number;
  vendorId: number;
  productId: number;
  deviceVersionBcd: number;
}
export interface DeviceDisconnect extends Base {
  type: 'device_disconnect';
}
export interface Reset extends Base {
  type: 'reset';
}
export interface InterfaceInfo extends Base {
  type: 'interface_info';
  interfaceCount: number;
  interface: number[];
  interfaceClass: number[];
  interfaceSubclass: number[];
  interfaceProtocol: number[];
}
export interface EpInfo extends Base {
  type: 'ep_info';
  /** Indexed by endpointIndex(); 255 = no such endpoint. */
  epType: number[];
  interval: number[];
  interface: number[];
  maxPacketSize: number[];
  maxStreams: number[];
}
export interface SetConfiguration extends Base {
  type: 'set_configuration';
  configuration: number;
}
export interface GetConfiguration extends Base {
  type: 'get_configuration';
}
export interface ConfigurationStatus extends Base {
  type: 'configuration_status';
  status: number;
  configuration: number;
}
export interface SetAltSetting extends Base {
  type: 'set_alt_setting';
  interface: number;
  alt: number;
}
export interface GetAltSetting extends Base {
  type: 'get_alt_setting';
  interface: number;
}
export interface AltSettingStatus extends Base {
  type: 'alt_setting_status';
  status: number;
  interface: number;
  alt: number;
}
export interface StartIsoStream extends Base {
  type: 'start_iso_stream';
  endpoint: number;
  pktsPerUrb: number;
  noUrbs: number;
}
export interface StopIsoStream extends Base {
  type: 'stop_iso_stream';
  endpoint: number;
}
export interface IsoStreamStatus extends Base {
  type: 'iso_stream_status';
  status: number;
  endpoint: number;
}
export interface StartInterruptReceiving extends Base {
  type: 'start_interrupt_receiving';
  endpoint: number;
}
export interface StopInterruptReceiving extends Base {
  type: 'stop_interrupt_receiving';
  endpoint: number;
}
export interface InterruptReceivingStatus extends Base {
  type: 'interrupt_receiving_status';
  status: number;
  endpoint: number;
}
export interface AllocBulkStreams extends Base {
  type: 'alloc_bulk_streams';
  endpoints: number;
  noStreams: number;
}
export interface FreeBulkStreams extends Base {
  type: 'free_bulk_streams';
  endpoints: number;
}
export interface BulkStreamsStatus extends Base {
  type: 'bulk_streams_status';
  endpoints: number;
  noStreams: number;
  status: number;
}
export interface CancelDataPacket extends Base {
  type: 'cancel_data_packet';
}
export interface FilterReject extends Base {
  type: 'filter_reject';
}
export interface FilterFilter extends Base {
  type: 'filter_filter';
  /** usbredirfilter rule string, without its terminating NUL. */
  rules: string;
}
export interface DeviceDisconnectAck extends Base {
  type: 'device_disconnect_ack';
}
export interface StartBulkReceiving extends Base {
  type: 'start_bulk_receiving';
  streamId: number;
  bytesPerTransfer: number;
  endpoint: number;
  noTransfers: number;
}
export interface StopBulkReceiving extends Base {
  type: 'stop_bulk_receiving';
  streamId: number;
  endpoint: number;
}
export interface BulkReceivingStatus extends Base {
  type: 'bulk_receiving_status';
  streamId: number;
  endpoint: number;
  status: number;
}
export interface ControlPacket extends Base {
  type: 'control_packet';
  endpoint: number;
  request: number;
  requestType: number;
  status: number;
  value: number;
  index: number;
  length: number;
  data: Uint8Array;
}
export interface BulkPacket extends Base {
  type: 'bulk_packet';
  endpoint: number;
  status: number;
  /** Full length: length | length_high << 16 when 32bits_bulk_length is negotiated. */
  length: number;
  streamId: number;
  data: Uint8Array;
}
export interface IsoPacket extends Base {
  type: 'iso_packet';
  endpoint: number;
  status: number;
  length: number;
  data: Uint8Array;
}
export interface InterruptPacket extends Base {
  type: 'interrupt_packet';
  endpoint: number;
  status: number;
  length: number;
  data: Uint8Array;
}
export interface BufferedBulkPacket extends Base {
  type: 'buffered_bulk_packet';
  streamId: number;
  length: number;
  endpoint: number;
  status: number;
  data: Uint8Array;
}

export type Packet =
  | Hello
  | DeviceConnect
  | DeviceDisconnect
  | Reset
  | InterfaceInfo
  | EpInfo
  | SetConfiguration
  | GetConfiguration
  | ConfigurationStatus
  | SetAltSetting
  | GetAltSetting
  | AltSettingStatus
  | StartIsoStream
  | StopIsoStream
  | IsoStreamStatus
  | StartInterruptReceiving
  | StopInterruptReceiving
  | InterruptReceivingStatus
  | AllocBulkStreams
  | FreeBulkStreams
  | BulkStreamsStatus
  | CancelDataPacket
  | FilterReject
  | FilterFilter
  | DeviceDisconnectAck
  | StartBulkReceiving
  | StopBulkReceiving
  | BulkReceivingStatus
  | ControlPacket
  | BulkPacket
  | IsoPacket
  | InterruptPacket
  | BufferedBulkPacket;

/** Which side owns the device: the usbredir "host" (us) or the "guest" (QEMU's usb-redir). */
export type Role = 'host' | 'guest';
