import test from 'ava';
import type { Packet } from '../../src/usbredir/codec/packets.js';
import { MvusbAdapter } from '../../src/usbredir/devices/mvusb.js';
import type { Clause22Bus } from '../../src/usbredir/devices/buses.js';
import { UsbredirHostSession, type UsbredirTraceEvent } from '../../src/usbredir/session.js';
import { FakeGuest, only } from './fake-guest.js';

// The script follows the QEMU 7.2 exchange recorded in the project recipe: hello with caps 0xff,
// four resets, GET_DESCRIPTOR device (64, then 18), configuration (9, then full), strings 0, 2, 1,
// set_configuration 1, then the driver's bulk traffic.

class RecordingBus implements Clause22Bus {
  readonly log: string[] = [];
  read(addr: number, reg: number): number {
    this.log.push(`r ${addr} ${reg}`);
    return addr === 0 && reg === 2 ? 0x0141 : addr === 0 && reg === 3 ? 0x0dd1 : 0xffff;
  }
  write(addr: number, reg: number, value: number): void {
    this.log.push(`w ${addr} ${reg} ${value.toString(16)}`);
  }
}

function rig(options: { attached?: boolean; guestCaps?: number[] } = {}) {
  const bus = new RecordingBus();
  const device = new MvusbAdapter(bus);
  const events: UsbredirTraceEvent[] = [];
  // The session sends nothing before start(), so its send callback never runs before guest exists.
  const session = new UsbredirHostSession(device, {
    send: (b) => guest.feed(b),
    trace: (e) => events.push(e),
    ...(options.attached !== undefined ? { attached: options.attached } : {}),
  });
  const guest = new FakeGuest((b) => session.receive(b), options.guestCaps);
  session.start();
  return { bus, device, session, guest, events };
}

const readCmd = (phy: number, reg: number) => {
  const w = 0xa400 | (phy << 5) | reg;
  return Uint8Array.of(0x00, 0xe8, 0x01, 0x00, w & 0xff, w >> 8);
};

test('hello exchange announces interface_info, ep_info and device_connect in that order', (t) => {
  const { guest, session } = rig();
  const [hello] = guest.take();
  t.like(hello, { type: 'hello' });
  const ours = (hello as Extract<Packet, { type: 'hello' }>).capabilities[0] ?? 0;
  t.is(ours & 0x70, 0x70, 'ep_info_max_packet_size, 64bits_ids and 32bits_bulk_length (needed on xHCI)');
  t.is(session.deviceLink, 'detached');
  guest.hello();
  const announced = guest.take();
  t.deepEqual(
    announced.map((p) => p.type),
    ['interface_info', 'ep_info', 'device_connect'],
  );
  t.deepEqual(guest.errors, []);
  const [info, ep, connect] = announced as [
    Extract<Packet, { type: 'interface_info' }>,
    Extract<Packet, { type: 'ep_info' }>,
    Extract<Packet, { type: 'device_connect' }>,
  ];
  t.is(info.interfaceCount, 1);
  t.is(info.interfaceClass[0], 0xff);
  // EP2I: 0x02 → 2, 0x86 → 0x16; control at 0 and 0x10; everything else 255.
  t.is(ep.epType[0], 0);
  t.is(ep.epType[0x10], 0);
  t.is(ep.epType[2], 2);
  t.is(ep.epType[0x16], 2);
  t.is(ep.maxPacketSize[2], 512);
  t.is(ep.epType.filter((x) => x === 255).length, 28);
  t.like(connect, {
    vendorId: 0x1286,
    productId: 0x1fa4,
    deviceClass: 0,
    speed: 2,
    deviceVersionBcd: 0x0100,
  });
  t.is(session.deviceLink, 'connected');
});

test('QEMU-style enumeration: resets, descriptors, strings, set_configuration', (t) => {
  const { guest } = rig();
  guest.hello();
  guest.take();
  for (let i = 0; i < 4; i++) guest.send({ type: 'reset', id: 0n });
  t.deepEqual(guest.take(), [], 'reset has no reply');

  guest.controlIn(1n, 0x80, 6, 0x0100, 0, 64);
  guest.controlIn(2n, 0x80, 6, 0x0100, 0, 18);
  const [dev64, dev18] = only(guest.take(), 'control_packet');
  t.is(dev64?.id, 1n);
  t.is(dev64?.length, 18);
  t.deepEqual(
    [...(dev18?.data ?? [])],
    [18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x86, 0x12, 0xa4, 0x1f, 0x00, 0x01, 1, 2, 0, 1],
  );

  guest.controlIn(3n, 0x80, 6, 0x0200, 0, 9);
  const [cfg9] = only(guest.take(), 'control_packet');
  t.is(cfg9?.data.length, 9);
  const total = (cfg9?.data[2] ?? 0) | ((cfg9?.data[3] ?? 0) << 8);
  t.is(total, 9 + 9 + 7 + 7, 'config + one interface + two endpoints');
  guest.controlIn(4n, 0x80, 6, 0x0200, 0, total);
  const [cfg] = only(guest.take(), 'control_packet');
  // interface 0 alt 0, 2 endpoints, vendor class; then the endpoints 0x02 and 0x86, bulk, 512.
  t.deepEqual([...(cfg?.data.subarray(9, 18) ?? [])], [9, 4, 0, 0, 2, 0xff, 0, 0, 0]);
  t.deepEqual(
    [...(cfg?.data.subarray(18, 32) ?? [])],
    [7, 5, 0x02, 2, 0x00, 0x02, 0, 7, 5, 0x86, 2, 0x00, 0x02, 0],
  );

  guest.controlIn(5n, 0x80, 6, 0x0300, 0, 255);
  guest.controlIn(6n, 0x80, 6, 0x0302, 0x409, 255);
  guest.controlIn(7n, 0x80, 6, 0x0301, 0x409, 255);
  guest.controlIn(8n, 0x80, 6, 0x0303, 0x409, 255);
  const strings = only(guest.take(), 'control_packet');
  t.deepEqual([...(strings[0]?.data ?? [])], [4, 3, 0x09, 0x04]);
  t.is(strings[1]?.data[1], 3);
  t.is(strings[2]?.status, 0);
  t.is(strings[3]?.status, 4, 'no serial number string: stall');

  guest.send({ type: 'set_configuration', id: 9n, configuration: 1 });
  const afterSet = guest.take();
  t.deepEqual(
    afterSet.map((p) => p.type),
    ['interface_info', 'ep_info', 'configuration_status'],
  );
  t.like(afterSet[2], { id: 9n, status: 0, configuration: 1 });
  guest.send({ type: 'set_configuration', id: 10n, configuration: 7 });
  t.like(guest.take()[0], { type: 'configuration_status', id: 10n, status: 4, configuration: 1 });
  guest.send({ type: 'get_configuration', id: 11n });
  t.like(guest.take()[0], { type: 'configuration_status', id: 11n, status: 0, configuration: 1 });
  t.deepEqual(guest.errors, []);
});

test('bulk traffic: mdio-mvusb read is an OUT command then a 2-byte IN, ids echoed (64-bit)', (t) => {
  const { guest, bus } = rig();
  guest.hello();
  guest.take();
  const big = 0x1_0000_0005n;
  guest.bulkOut(big, 0x02, readCmd(0, 2));
  guest.bulkIn(big + 1n, 0x86, 2);
  const [out, inp] = only(guest.take(), 'bulk_packet');
  t.like(out, { id: big, endpoint: 0x02, status: 0, length: 6 });
  t.is(out?.data.length, 0);
  t.like(inp, { id: big + 1n, endpoint: 0x86, status: 0, length: 2 });
  t.deepEqual([...(inp?.data ?? [])], [0x41, 0x01]);
  t.deepEqual(bus.log, ['r 0 2']);
});

test('an IN transfer issued before its command waits, and cancel_data_packet cancels a waiting one', (t) => {
  const { guest } = rig();
  guest.hello();
  guest.take();
  guest.bulkIn(20n, 0x86, 2);
  t.deepEqual(guest.take(), [], 'NAK: no data yet');
  guest.bulkOut(21n, 0x02, readCmd(0, 3));
  const [out, inp] = only(guest.take(), 'bulk_packet');
  t.is(out?.id, 21n);
  t.like(inp, { id: 20n, status: 0 });
  t.deepEqual([...(inp?.data ?? [])], [0xd1, 0x0d]);

  guest.bulkIn(22n, 0x86, 2);
  guest.send({ type: 'cancel_data_packet', id: 22n });
  t.like(only(guest.take(), 'bulk_packet')[0], { id: 22n, status: 1, length: 0 });
  guest.send({ type: 'cancel_data_packet', id: 22n });
  t.deepEqual(guest.take(), [], 'cancelling an unknown id is silent');
});

test('transfers on endpoints that do not exist, halted endpoints and CLEAR_FEATURE(HALT)', (t) => {
  const { guest } = rig();
  guest.hello();
  guest.take();
  guest.bulkOut(1n, 0x03, Uint8Array.of(1));
  t.like(only(guest.take(), 'bulk_packet')[0], { id: 1n, status: 2 });
  guest.controlOut(2n, 0x02, 3, 0, 0x86); // SET_FEATURE(ENDPOINT_HALT) on endpoint 0x86
  t.like(only(guest.take(), 'control_packet')[0], { id: 2n, status: 0 });
  guest.controlIn(3n, 0x82, 0, 0, 0x86, 2);
  t.deepEqual(
    [...(only(guest.take(), 'control_packet')[0]?.data ?? [])],
    [1, 0],
    'GET_STATUS reports the halt',
  );
  guest.bulkIn(4n, 0x86, 2);
  t.like(only(guest.take(), 'bulk_packet')[0], { id: 4n, status: 4 });
  guest.controlOut(5n, 0x02, 1, 0, 0x86); // CLEAR_FEATURE(ENDPOINT_HALT)
  guest.controlIn(6n, 0x82, 0, 0, 0x86, 2);
  const replies = only(guest.take(), 'control_packet');
  t.is(replies[0]?.status, 0);
  t.deepEqual([...(replies[1]?.data ?? [])], [0, 0]);
  guest.controlIn(7n, 0xc0, 0x42, 0, 0, 4);
  t.like(
    only(guest.take(), 'control_packet')[0],
    { id: 7n, status: 4 },
    'vendor request the adapter does not know: stall',
  );
});

test('detach and re-attach with the socket up, honouring device_disconnect_ack', (t) => {
  const { guest, session, events } = rig();
  guest.hello();
  guest.take();
  session.detach();
  t.deepEqual(
    guest.take().map((p) => p.type),
    ['device_disconnect'],
  );
  t.is(session.deviceLink, 'disconnecting');
  session.attach();
  t.deepEqual(guest.take(), [], 'no device_connect before the ack');
  guest.bulkOut(1n, 0x02, readCmd(0, 2));
  t.like(only(guest.take(), 'bulk_packet')[0], { status: 3 }, 'transfers to an unplugged device fail');
  guest.send({ type: 'device_disconnect_ack', id: 0n });
  t.deepEqual(
    guest.take().map((p) => p.type),
    ['interface_info', 'ep_info', 'device_connect'],
  );
  t.is(session.deviceLink, 'connected');
  t.deepEqual(
    events.filter((e) => e.event === 'usbredir.device').map((e) => (e as { state: string }).state),
    ['connected', 'disconnecting', 'detached', 'connected'],
  );
});

test('without device_disconnect_ack on the guest, re-attach is immediate; attach waits for hello', (t) => {
  const { guest, session } = rig({ attached: false, guestCaps: [0x70] });
  guest.take();
  guest.hello();
  t.deepEqual(guest.take(), [], 'not attached: hello alone announces nothing');
  session.attach();
  t.deepEqual(
    guest.take().map((p) => p.type),
    ['interface_info', 'ep_info', 'device_connect'],
  );
  session.detach();
  session.attach();
  t.deepEqual(
    guest.take().map((p) => p.type),
    ['device_disconnect', 'interface_info', 'ep_info', 'device_connect'],
  );
});

test('filter_reject unplugs; unsupported iso and stream requests get error statuses', (t) => {
  const { guest, session, events } = rig();
  guest.hello();
  guest.take();
  guest.send({ type: 'alloc_bulk_streams', id: 0n, endpoints: 4, noStreams: 8 });
  guest.send({ type: 'start_iso_stream', id: 0n, endpoint: 0x83, pktsPerUrb: 1, noUrbs: 1 });
  guest.send({ type: 'start_interrupt_receiving', id: 0n, endpoint: 0x86 });
  const replies = guest.take();
  t.like(replies[0], { type: 'bulk_streams_status', status: 2 });
  t.like(replies[1], { type: 'iso_stream_status', status: 4, endpoint: 0x83 });
  t.like(replies[2], { type: 'interrupt_receiving_status', status: 2, endpoint: 0x86 }, '0x86 is bulk');
  guest.send({ type: 'filter_reject', id: 0n });
  t.is(session.deviceLink, 'detached');
  t.true(events.some((e) => e.event === 'usbredir.filter_reject'));
});

test('malformed input from the guest is traced and the session keeps serving', (t) => {
  const { guest, session, events } = rig();
  guest.hello();
  guest.take();
  const junk = new Uint8Array(16);
  new DataView(junk.buffer).setUint32(0, 1, true); // device_connect, never sent to a host
  session.receive(junk);
  guest.send({ type: 'get_configuration', id: 3n });
  t.like(guest.take()[0], { type: 'configuration_status', id: 3n });
  const errors = events.filter((e) => e.event === 'usbredir.error');
  t.is(errors.length, 1);
  t.like((errors[0] as { error: object }).error, { code: 'USB1002' /* WRONG_DIRECTION */, packetType: 1 });
});

test('replies to one received chunk leave in one write, in request order', (t) => {
  const writes: Uint8Array[] = [];
  const bus = new RecordingBus();
  const session = new UsbredirHostSession(new MvusbAdapter(bus), { send: (b) => writes.push(b) });
  const chunks: Uint8Array[] = [];
  const guest = new FakeGuest((b) => chunks.push(b));
  session.start();
  guest.feed(writes.splice(0)[0] ?? new Uint8Array(0));
  guest.take();
  guest.hello();
  session.receive(chunks.splice(0)[0] ?? new Uint8Array(0));
  // interface_info, ep_info and device_connect answer the guest's hello: one write.
  t.is(writes.length, 1);
  guest.feed(writes.splice(0)[0] ?? new Uint8Array(0));
  t.deepEqual(
    guest.take().map((p) => p.type),
    ['interface_info', 'ep_info', 'device_connect'],
  );
  // An IN waiting for data, then in one chunk the command that answers it and a second read's command
  // and IN: the OUT's reply precedes the IN completion it enables (as usbredirhost orders them).
  guest.bulkIn(10n, 0x86, 2);
  session.receive(chunks.splice(0)[0] ?? new Uint8Array(0));
  t.is(writes.length, 0, 'NAKed IN: nothing to send');
  guest.bulkOut(11n, 0x02, readCmd(0, 2));
  guest.bulkOut(12n, 0x02, readCmd(0, 3));
  guest.bulkIn(13n, 0x86, 2);
  const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((at, c) => (joined.set(c, at), at + c.length), 0);
  chunks.length = 0;
  session.receive(joined);
  t.is(writes.length, 1, 'four replies, one write');
  guest.feed(writes[0] ?? new Uint8Array(0));
  const replies = only(guest.take(), 'bulk_packet');
  t.deepEqual(
    replies.map((p) => [p.id, p.endpoint, [...p.data]]),
    [
      [11n, 0x02, []],
      [10n, 0x86, [0x41, 0x01]],
      [12n, 0x02, []],
      [13n, 0x86, [0xd1, 0x0d]],
    ],
  );
  t.deepEqual(bus.log, ['r 0 2', 'r 0 3']);
  t.deepEqual(guest.errors, []);
});

test('with a clock, rx events carry the chunk arrival time and tx events the time the write began', (t) => {
  let now = 100;
  const order: string[] = [];
  const events: UsbredirTraceEvent[] = [];
  const session = new UsbredirHostSession(new MvusbAdapter(new RecordingBus()), {
    send: (b) => {
      order.push(`write ${b.length}`);
      now += 5;
      guest.feed(b);
    },
    trace: (e) => events.push(e),
    clock: () => now,
  });
  const guest = new FakeGuest((b) => {
    now += 10;
    session.receive(b);
  });
  session.start();
  guest.hello();
  guest.take();
  events.length = 0;
  guest.bulkOut(1n, 0x02, readCmd(0, 2));
  const stamps = events.flatMap((e) =>
    e.event === 'usbredir.rx' || e.event === 'usbredir.tx' ? [[e.event, e.packet.type, e.at]] : [],
  );
  // Each guest write takes 10, each of ours 5: our hello is out at 105, the guest's arrives at 115 and
  // the announcement is out at 120; the command arrives at 130 and its reply's write begins then too.
  t.deepEqual(stamps, [
    ['usbredir.rx', 'bulk_packet', 130],
    ['usbredir.tx', 'bulk_packet', 130],
  ]);
  t.is(order.length, 3, 'hello, the announcement, the OUT reply');
});

test('with a clock, each data transfer reports when the device model handled it', (t) => {
  let now = 0;
  const events: UsbredirTraceEvent[] = [];
  const bus = new RecordingBus();
  // The bus read is the model's work: it takes 7 on this clock.
  const read = bus.read.bind(bus);
  bus.read = (addr: number, reg: number) => {
    now += 7;
    return read(addr, reg);
  };
  const session = new UsbredirHostSession(new MvusbAdapter(bus), {
    send: (b) => guest.feed(b),
    trace: (e) => events.push(e),
    clock: () => (now += 1),
  });
  const guest = new FakeGuest((b) => session.receive(b));
  session.start();
  guest.hello();
  guest.take();
  events.length = 0;
  guest.bulkOut(1n, 0x02, readCmd(0, 2));
  guest.bulkIn(2n, 0x86, 2);
  const calls = events.flatMap((e) => (e.event === 'usbredir.device_call' ? [e] : []));
  t.deepEqual(
    calls.map((c) => [c.id, c.endpoint]),
    [
      [1n, 0x02],
      [2n, 0x86],
    ],
  );
  // The command's handler spans the bus read (7) and the clock reading that ends it (1).
  t.is((calls[0]?.end ?? 0) - (calls[0]?.start ?? 0), 8);
  t.is((calls[1]?.end ?? 0) - (calls[1]?.start ?? 0), 1);
  // Without a clock no handler is timed.
  const quiet: UsbredirTraceEvent[] = [];
  const untimed = new UsbredirHostSession(new MvusbAdapter(new RecordingBus()), {
    send: (b) => guest2.feed(b),
    trace: (e) => quiet.push(e),
  });
  const guest2 = new FakeGuest((b) => untimed.receive(b));
  untimed.start();
  guest2.hello();
  guest2.bulkOut(1n, 0x02, readCmd(0, 2));
  t.false(quiet.some((e) => e.event === 'usbredir.device_call'));
});

test('without a clock, trace events carry no time', (t) => {
  const { guest, events } = rig();
  guest.hello();
  guest.bulkOut(1n, 0x02, readCmd(0, 2));
  const data = events.filter((e) => e.event === 'usbredir.rx' || e.event === 'usbredir.tx');
  t.true(data.length > 0);
  t.true(data.every((e) => !('at' in e)));
});
