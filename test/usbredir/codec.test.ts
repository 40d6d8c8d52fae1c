import test from 'ava';
import { Negotiation, capsFrom } from '../../src/usbredir/codec/caps.js';
import { Decoder } from '../../src/usbredir/codec/decoder.js';
import { encodePacket } from '../../src/usbredir/codec/encoder.js';
import type { Packet, Role } from '../../src/usbredir/codec/packets.js';
import type { ProtocolError } from '../../src/usbredir/errors.js';

// Expected sizes and offsets below come from the packed structs of usbredirproto.h.
const ALL = [0xff];
const NONE = [0];

function negotiated(ours: number[], peer: number[] | undefined): Negotiation {
  const n = new Negotiation(ours);
  if (peer) n.setPeer(peer);
  return n;
}

function decodeAll(bytes: Uint8Array, neg: Negotiation, receiver: Role, chunk = bytes.length) {
  const packets: Packet[] = [];
  const errors: ProtocolError[] = [];
  const d = new Decoder(neg, receiver, { packet: (p) => packets.push(p), error: (e) => errors.push(e) });
  for (let i = 0; i < bytes.length; i += chunk) d.push(bytes.subarray(i, i + chunk));
  return { packets, errors, buffered: d.buffered };
}

const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const u16 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint16(at, true);

test('hello: 12-byte header before negotiation, 64-byte version, capability words', (t) => {
  const neg = negotiated(capsFrom(['64bits_ids', 'ep_info_max_packet_size']), undefined);
  const b = encodePacket({ type: 'hello', id: 0n, version: 'x y', capabilities: [0x30, 7] }, neg, 'host');
  t.is(b.length, 12 + 64 + 8);
  t.is(u32(b, 0), 0); // usb_redir_hello
  t.is(u32(b, 4), 72);
  t.is(u32(b, 8), 0);
  t.deepEqual([...b.subarray(12, 16)], [0x78, 0x20, 0x79, 0]);
  t.is(u32(b, 76), 0x30);
  t.is(u32(b, 80), 7);
  const peer = new Negotiation(ALL);
  const { packets } = decodeAll(b, peer, 'guest');
  t.deepEqual(packets, [{ type: 'hello', id: 0n, version: 'x y', capabilities: [0x30, 7] }]);
  t.deepEqual(peer.peer, [0x30, 7]);
});

test('header grows to 16 bytes only when both sides have 64bits_ids', (t) => {
  const reset: Packet = { type: 'reset', id: 0x1_2345_6789n };
  const both = encodePacket(reset, negotiated(ALL, ALL), 'guest');
  t.is(both.length, 16);
  t.is(new DataView(both.buffer).getBigUint64(8, true), 0x1_2345_6789n);
  const oneSided = encodePacket(reset, negotiated(ALL, capsFrom(['filter'])), 'guest');
  t.is(oneSided.length, 12);
  t.is(u32(oneSided, 8), 0x2345_6789); // 32-bit id: the high bits are lost, as in usbredirparser
});

test('device_connect carries bcdDevice only with connect_device_version on both sides', (t) => {
  const p: Packet = {
    type: 'device_connect',
    id: 0n,
    speed: 2,
    deviceClass: 0,
    deviceSubclass: 0,
    deviceProtocol: 0,
    vendorId: 0x1286,
    productId: 0x1fa4,
    deviceVersionBcd: 0x0100,
  };
  const full = encodePacket(p, negotiated(ALL, ALL), 'host');
  t.is(u32(full, 4), 10);
  t.is(u16(full, 16 + 4), 0x1286);
  t.is(u16(full, 16 + 6), 0x1fa4);
  t.is(u16(full, 16 + 8), 0x0100);
  const short = encodePacket(p, negotiated(ALL, capsFrom(['64bits_ids'])), 'host');
  t.is(u32(short, 4), 8);
  const back = decodeAll(short, negotiated(ALL, capsFrom(['64bits_ids'])), 'guest').packets[0];
  t.like(back, { type: 'device_connect', vendorId: 0x1286, deviceVersionBcd: 0 });
});

test('ep_info is 96, 160 or 288 bytes depending on negotiated capabilities', (t) => {
  const p: Packet = {
    type: 'ep_info',
    id: 0n,
    epType: Array.from({ length: 32 }, (_, i) => (i === 2 ? 2 : 255)),
    interval: new Array<number>(32).fill(0),
    interface: new Array<number>(32).fill(0),
    maxPacketSize: Array.from({ length: 32 }, (_, i) => (i === 2 ? 512 : 0)),
    maxStreams: new Array<number>(32).fill(0),
  };
  const lengthWith = (ours: number[], peer: number[]) =>
    u32(encodePacket(p, negotiated(ours, peer), 'host'), 4);
  t.is(lengthWith(NONE, ALL), 96);
  t.is(lengthWith(capsFrom(['ep_info_max_packet_size']), ALL), 160);
  t.is(lengthWith(capsFrom(['bulk_streams']), ALL), 288);
  // QEMU's complaint in the recipe: a 288-byte ep_info where 160 was negotiated.
  const wrong = encodePacket(p, negotiated(ALL, ALL), 'host');
  const { errors } = decodeAll(
    wrong,
    negotiated(capsFrom(['ep_info_max_packet_size', '64bits_ids']), ALL),
    'guest',
  );
  t.is(errors[0]?.code, 'USB1004' /* BAD_LENGTH */);
  t.is(errors[0]?.packetType, 5);
  // max_packet_size[2] sits after three 32-byte arrays.
  const b = encodePacket(p, negotiated(capsFrom(['ep_info_max_packet_size', '64bits_ids']), ALL), 'host');
  t.is(u16(b, 16 + 96 + 2 * 2), 512);
});

test('bulk_packet header is 8 bytes, or 10 with 32bits_bulk_length carrying length_high', (t) => {
  const data = new Uint8Array(0x12345).fill(0xa5);
  const p: Packet = {
    type: 'bulk_packet',
    id: 9n,
    endpoint: 0x02,
    status: 0,
    length: data.length,
    streamId: 0,
    data,
  };
  const b = encodePacket(p, negotiated(ALL, ALL), 'guest');
  t.is(u32(b, 4), 10 + data.length);
  t.is(u16(b, 16 + 2), 0x2345);
  t.is(u16(b, 16 + 8), 0x1);
  const back = decodeAll(b, negotiated(ALL, ALL), 'host').packets[0];
  t.like(back, { type: 'bulk_packet', length: 0x12345, endpoint: 2 });
  const small: Packet = { ...p, length: 6, data: data.subarray(0, 6) };
  t.is(u32(encodePacket(small, negotiated(capsFrom(['64bits_ids']), ALL), 'guest'), 4), 8 + 6);
  t.throws(() => encodePacket(p, negotiated(capsFrom(['64bits_ids']), ALL), 'guest'), {
    name: 'ProtocolError',
  });
});

const zeros = () => new Array<number>(32).fill(0);
const samples: { packet: Packet; sender: Role }[] = [
  {
    sender: 'guest',
    packet: { type: 'hello', id: 0n, version: 'qemu usb-redir guest 7.2.0', capabilities: [0xff] },
  },
  {
    sender: 'host',
    packet: {
      type: 'device_connect',
      id: 0n,
      speed: 1,
      deviceClass: 0,
      deviceSubclass: 0,
      deviceProtocol: 0,
      vendorId: 0x10c4,
      productId: 0xeac1,
      deviceVersionBcd: 0x0100,
    },
  },
  { sender: 'host', packet: { type: 'device_disconnect', id: 0n } },
  { sender: 'guest', packet: { type: 'reset', id: 0n } },
  {
    sender: 'host',
    packet: {
      type: 'interface_info',
      id: 0n,
      interfaceCount: 2,
      interface: [0, 1, ...zeros().slice(2)],
      interfaceClass: [1, 0xff, ...zeros().slice(2)],
      interfaceSubclass: zeros(),
      interfaceProtocol: zeros(),
    },
  },
  {
    sender: 'host',
    packet: {
      type: 'ep_info',
      id: 0n,
      epType: new Array<number>(32).fill(255),
      interval: zeros(),
      interface: zeros(),
      maxPacketSize: zeros(),
      maxStreams: zeros(),
    },
  },
  { sender: 'guest', packet: { type: 'set_configuration', id: 5n, configuration: 1 } },
  { sender: 'guest', packet: { type: 'get_configuration', id: 6n } },
  { sender: 'host', packet: { type: 'configuration_status', id: 5n, status: 0, configuration: 1 } },
  { sender: 'guest', packet: { type: 'set_alt_setting', id: 7n, interface: 1, alt: 2 } },
  { sender: 'guest', packet: { type: 'get_alt_setting', id: 8n, interface: 1 } },
  { sender: 'host', packet: { type: 'alt_setting_status', id: 7n, status: 0, interface: 1, alt: 2 } },
  { sender: 'guest', packet: { type: 'start_iso_stream', id: 0n, endpoint: 0x83, pktsPerUrb: 8, noUrbs: 4 } },
  { sender: 'guest', packet: { type: 'stop_iso_stream', id: 0n, endpoint: 0x83 } },
  { sender: 'host', packet: { type: 'iso_stream_status', id: 0n, status: 4, endpoint: 0x83 } },
  { sender: 'guest', packet: { type: 'start_interrupt_receiving', id: 0n, endpoint: 0x81 } },
  { sender: 'guest', packet: { type: 'stop_interrupt_receiving', id: 0n, endpoint: 0x81 } },
  { sender: 'host', packet: { type: 'interrupt_receiving_status', id: 0n, status: 0, endpoint: 0x81 } },
  { sender: 'guest', packet: { type: 'alloc_bulk_streams', id: 0n, endpoints: 0x10004, noStreams: 16 } },
  { sender: 'guest', packet: { type: 'free_bulk_streams', id: 0n, endpoints: 0x10004 } },
  {
    sender: 'host',
    packet: { type: 'bulk_streams_status', id: 0n, endpoints: 0x10004, noStreams: 16, status: 2 },
  },
  { sender: 'guest', packet: { type: 'cancel_data_packet', id: 77n } },
  { sender: 'guest', packet: { type: 'filter_reject', id: 0n } },
  { sender: 'guest', packet: { type: 'filter_filter', id: 0n, rules: '0x03,-1,-1,-1,0|-1,-1,-1,-1,1' } },
  { sender: 'guest', packet: { type: 'device_disconnect_ack', id: 0n } },
  {
    sender: 'guest',
    packet: {
      type: 'start_bulk_receiving',
      id: 0n,
      streamId: 0,
      bytesPerTransfer: 512,
      endpoint: 0x82,
      noTransfers: 5,
    },
  },
  { sender: 'guest', packet: { type: 'stop_bulk_receiving', id: 0n, streamId: 0, endpoint: 0x82 } },
  {
    sender: 'host',
    packet: { type: 'bulk_receiving_status', id: 0n, streamId: 0, endpoint: 0x82, status: 0 },
  },
  {
    sender: 'guest',
    packet: {
      type: 'control_packet',
      id: 1n,
      endpoint: 0x80,
      request: 6,
      requestType: 0x80,
      status: 0,
      value: 0x100,
      index: 0,
      length: 64,
      data: new Uint8Array(0),
    },
  },
  {
    sender: 'host',
    packet: {
      type: 'control_packet',
      id: 1n,
      endpoint: 0x80,
      request: 6,
      requestType: 0x80,
      status: 0,
      value: 0x100,
      index: 0,
      length: 2,
      data: Uint8Array.of(18, 1),
    },
  },
  {
    sender: 'guest',
    packet: {
      type: 'bulk_packet',
      id: 2n,
      endpoint: 0x02,
      status: 0,
      length: 3,
      streamId: 0,
      data: Uint8Array.of(1, 2, 3),
    },
  },
  {
    sender: 'host',
    packet: {
      type: 'bulk_packet',
      id: 3n,
      endpoint: 0x86,
      status: 0,
      length: 2,
      streamId: 0,
      data: Uint8Array.of(0x41, 0x01),
    },
  },
  {
    sender: 'guest',
    packet: { type: 'iso_packet', id: 0n, endpoint: 0x03, status: 0, length: 1, data: Uint8Array.of(9) },
  },
  {
    sender: 'host',
    packet: { type: 'iso_packet', id: 0n, endpoint: 0x83, status: 0, length: 1, data: Uint8Array.of(9) },
  },
  {
    sender: 'guest',
    packet: {
      type: 'interrupt_packet',
      id: 4n,
      endpoint: 0x01,
      status: 0,
      length: 2,
      data: Uint8Array.of(1, 2),
    },
  },
  {
    sender: 'host',
    packet: {
      type: 'interrupt_packet',
      id: 0n,
      endpoint: 0x81,
      status: 0,
      length: 1,
      data: Uint8Array.of(7),
    },
  },
  {
    sender: 'host',
    packet: {
      type: 'buffered_bulk_packet',
      id: 0n,
      streamId: 0,
      length: 2,
      endpoint: 0x82,
      status: 0,
      data: Uint8Array.of(5, 6),
    },
  },
];

test('every packet type round-trips, whole and one byte at a time, with both header sizes', (t) => {
  const names = new Set(samples.map((s) => s.packet.type));
  t.is(names.size, 33, 'one sample per usbredirproto.h packet type');
  for (const ids of [ALL, capsFrom(['filter', 'device_disconnect_ack', 'bulk_receiving'])]) {
    for (const { packet, sender } of samples) {
      const receiver: Role = sender === 'host' ? 'guest' : 'host';
      // A hello is always the first packet, so it never sees a negotiated header.
      const bytes = encodePacket(
        packet,
        packet.type === 'hello' ? new Negotiation(ALL) : negotiated(ALL, ids),
        sender,
      );
      for (const chunk of [bytes.length, 1]) {
        const neg = negotiated(ALL, ids);
        const { packets, errors, buffered } = decodeAll(
          bytes,
          packet.type === 'hello' ? new Negotiation(ALL) : neg,
          receiver,
          chunk,
        );
        t.deepEqual(errors, [], packet.type);
        const expected =
          packet.type === 'device_connect' && ids !== ALL ? { ...packet, deviceVersionBcd: 0 } : packet;
        t.deepEqual(packets, [expected], `${packet.type} chunk ${chunk}`);
        t.is(buffered, 0);
      }
    }
  }
});

test('a hello switches the header size for the very next packet in the same chunk', (t) => {
  const guest = new Negotiation(ALL);
  const hello = encodePacket({ type: 'hello', id: 0n, version: 'q', capabilities: ALL }, guest, 'guest');
  guest.setPeer(ALL);
  const reset = encodePacket({ type: 'reset', id: 0n }, guest, 'guest');
  t.is(reset.length, 16);
  const { packets, errors } = decodeAll(
    Uint8Array.from([...hello, ...reset, ...reset]),
    new Negotiation(ALL),
    'host',
  );
  t.deepEqual(errors, []);
  t.deepEqual(
    packets.map((p) => p.type),
    ['hello', 'reset', 'reset'],
  );
});

test('unknown packet type is skipped by its length and reported with offset and type', (t) => {
  const neg = negotiated(ALL, ALL);
  const junk = new Uint8Array(16 + 5);
  new DataView(junk.buffer).setUint32(0, 50, true);
  new DataView(junk.buffer).setUint32(4, 5, true);
  const reset = encodePacket({ type: 'reset', id: 3n }, neg, 'guest');
  for (const chunk of [100, 3, 1]) {
    const { packets, errors } = decodeAll(
      Uint8Array.from([...reset, ...junk, ...reset]),
      negotiated(ALL, ALL),
      'host',
      chunk,
    );
    t.deepEqual(
      packets.map((p) => p.type),
      ['reset', 'reset'],
    );
    t.is(errors.length, 1);
    t.like(errors[0], { code: 'USB1001' /* UNKNOWN_TYPE */, offset: 16, packetType: 50 });
  }
});

test('malformed packets are reported with stable codes and do not stop the stream', (t) => {
  const neg = () =>
    negotiated(capsFrom(['64bits_ids', '32bits_bulk_length', 'ep_info_max_packet_size']), ALL);
  const header = (type: number, length: number) => {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setUint32(0, type, true);
    new DataView(b.buffer).setUint32(4, length, true);
    return b;
  };
  const cases: { bytes: Uint8Array; code: ProtocolError['code']; receiver: Role }[] = [
    // reset has no type header and no data
    { bytes: Uint8Array.from([...header(3, 2), 0, 0]), code: 'USB1004' /* BAD_LENGTH */, receiver: 'host' },
    // set_configuration needs its 1-byte header
    { bytes: header(6, 0), code: 'USB1004' /* BAD_LENGTH */, receiver: 'host' },
    // device_connect never travels to the host
    {
      bytes: Uint8Array.from([...header(1, 10), ...new Array<number>(10).fill(0)]),
      code: 'USB1002' /* WRONG_DIRECTION */,
      receiver: 'host',
    },
    // bulk OUT whose data is shorter than its length field
    {
      bytes: Uint8Array.from([...header(101, 10 + 2), 0x02, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, 2]),
      code: 'USB1005' /* BAD_DATA_LENGTH */,
      receiver: 'host',
    },
    // bulk IN request must not carry data
    {
      bytes: Uint8Array.from([...header(101, 10 + 2), 0x86, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 2]),
      code: 'USB1006' /* UNEXPECTED_DATA */,
      receiver: 'host',
    },
    // device_disconnect_ack without our device_disconnect_ack capability
    { bytes: header(24, 0), code: 'USB1007' /* MISSING_CAP */, receiver: 'host' },
    // start_interrupt_receiving on an OUT endpoint
    { bytes: Uint8Array.from([...header(15, 1), 0x01]), code: 'USB1008' /* BAD_FIELD */, receiver: 'host' },
    // interface_count > 32
    {
      bytes: Uint8Array.from([...header(4, 132), 33, 0, 0, 0, ...new Array<number>(128).fill(0)]),
      code: 'USB1008' /* BAD_FIELD */,
      receiver: 'guest',
    },
    // an interrupt packet on an IN endpoint travelling to the host
    {
      bytes: Uint8Array.from([...header(103, 4), 0x81, 0, 0, 0]),
      code: 'USB1002' /* WRONG_DIRECTION */,
      receiver: 'host',
    },
    // absurd length
    { bytes: header(101, 0xffffffff), code: 'USB1003' /* PACKET_TOO_LONG */, receiver: 'host' },
  ];
  for (const c of cases) {
    const { packets, errors } = decodeAll(c.bytes, neg(), c.receiver);
    t.deepEqual(packets, [], c.code);
    t.is(errors[0]?.code, c.code);
    t.is(errors[0]?.offset, 0);
    t.is(errors[0]?.packetType, new DataView(c.bytes.buffer).getUint32(0, true));
  }
  // After a bad packet, the next good one still decodes.
  const good = encodePacket({ type: 'get_configuration', id: 1n }, neg(), 'guest');
  const { packets } = decodeAll(Uint8Array.from([...cases[0]!.bytes, ...good]), neg(), 'host');
  t.deepEqual(packets, [{ type: 'get_configuration', id: 1n }]);
});

test('a second hello is reported and ignored', (t) => {
  const neg = new Negotiation(NONE);
  const hello = (caps: number[]) =>
    encodePacket({ type: 'hello', id: 0n, version: 'v', capabilities: caps }, new Negotiation(NONE), 'guest');
  const { packets, errors } = decodeAll(Uint8Array.from([...hello([1]), ...hello([2])]), neg, 'host');
  t.is(packets.length, 1);
  t.is(errors[0]?.code, 'USB1009' /* SECOND_HELLO */);
  t.deepEqual(neg.peer, [1]);
});

test('layouts follow the negotiation when the peer changes (a new connection on the same Negotiation)', (t) => {
  const neg = new Negotiation(ALL);
  const bulk: Packet = {
    type: 'bulk_packet',
    id: 7n,
    endpoint: 0x02,
    status: 0,
    length: 1,
    streamId: 0,
    data: Uint8Array.of(0x55),
  };
  // Before the peer's hello: 12-byte header, 8-byte bulk header (no length_high).
  t.is(encodePacket(bulk, neg, 'guest').length, 12 + 8 + 1);
  neg.setPeer(ALL);
  t.is(encodePacket(bulk, neg, 'guest').length, 16 + 10 + 1);
  t.deepEqual(decodeAll(encodePacket(bulk, neg, 'guest'), neg, 'host').packets, [bulk]);
  neg.resetPeer();
  t.is(encodePacket(bulk, neg, 'guest').length, 12 + 8 + 1);
  neg.setPeer(capsFrom(['64bits_ids']));
  t.is(encodePacket(bulk, neg, 'guest').length, 16 + 8 + 1);
  t.deepEqual(decodeAll(encodePacket(bulk, neg, 'guest'), neg, 'host').packets, [bulk]);
});

test('encoding leaves the packet as it was (bulk length split only on the wire)', (t) => {
  const bulk = {
    type: 'bulk_packet' as const,
    id: 9n,
    endpoint: 0x86,
    status: 0,
    length: 0x1_0002,
    streamId: 0,
    data: new Uint8Array(0x1_0002),
  };
  const bytes = encodePacket(bulk, negotiated(ALL, ALL), 'host');
  t.deepEqual(Object.keys(bulk), ['type', 'id', 'endpoint', 'status', 'length', 'streamId', 'data']);
  t.is(bulk.length, 0x1_0002);
  t.is(u16(bytes, 16 + 2), 0x0002);
  t.is(u16(bytes, 16 + 8), 0x0001);
});
