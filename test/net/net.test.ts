import test from 'ava';
import { crc32 } from 'node:zlib';
import { VirtualClock, us } from '../../src/clock.js';
import { tableCrc32 } from '../../src/net/crc32.js';
import {
  EthernetCable,
  FrameCollector,
  PcapRecorder,
  crc32BigEndian,
  ethernetFcs,
  parsePcap,
  tee,
} from '../../src/net/index.js';

test('pcap: global header and records as pcap-savefile(5) lays them out (LE magic a1b2c3d4, v2.4, LINKTYPE_ETHERNET)', (t) => {
  const clock = new VirtualClock();
  const chunks: Uint8Array[] = [];
  const rec = new PcapRecorder({ clock, write: (c) => chunks.push(c) });
  clock.advance(us(2_500_123));
  rec.receive(Uint8Array.of(1, 2, 3, 4));
  const file = Buffer.concat(chunks);
  t.deepEqual(Array.from(file.subarray(0, 8)), [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]);
  t.is(file.readUInt32LE(16), 65535, 'snaplen');
  t.is(file.readUInt32LE(20), 1, 'LINKTYPE_ETHERNET');
  t.is(file.readUInt32LE(24), 2, 'ts_sec');
  t.is(file.readUInt32LE(28), 500_123, 'ts_usec');
  t.is(file.readUInt32LE(32), 4, 'incl_len');
  t.is(file.readUInt32LE(36), 4, 'orig_len');
  t.deepEqual(Array.from(file.subarray(40)), [1, 2, 3, 4]);
  const parsed = parsePcap(file);
  t.is(parsed.packets.length, 1);
  t.is(parsed.packets[0]!.timestampUs, 2_500_123);
  t.throws(() => parsePcap(file.subarray(0, 30)), { instanceOf: RangeError });
});

const bitrev32 = (v: number): number => {
  let r = 0;
  for (let i = 0; i < 32; i++) r = ((r << 1) | ((v >>> i) & 1)) >>> 0;
  return r;
};

test('FCS is zlib CRC-32; the multicast hash CRC is ether_crc() = bitrev32(crc32_le(~0, ...)) (include/linux/crc32.h)', (t) => {
  const data = new TextEncoder().encode('123456789');
  t.is(ethernetFcs(data), crc32(data));
  t.is(ethernetFcs(data), 0xcbf43926); // CRC-32/ISO-HDLC check value
  t.is(tableCrc32(data), 0xcbf43926, 'the fallback for runtimes without zlib.crc32 agrees');
  // crc32_le(~0, ...) is zlib's CRC without the final inversion.
  t.is(crc32BigEndian(data), bitrev32(~crc32(data) >>> 0));
  const mac = Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb);
  t.is(crc32BigEndian(mac), bitrev32(~crc32(mac) >>> 0));
});

test('cable: frames cross in both directions while connected, dropped while cut; tee feeds a tap too', (t) => {
  const a = new FrameCollector();
  const b = new FrameCollector();
  const tap = new FrameCollector();
  const cable = new EthernetCable(a, b);
  const fromA = tee(cable.endA, tap);
  fromA.receive(Uint8Array.of(1));
  cable.endB.receive(Uint8Array.of(2));
  cable.cut();
  fromA.receive(Uint8Array.of(3));
  cable.reconnect();
  fromA.receive(Uint8Array.of(4));
  t.deepEqual(
    b.frames.map((f) => f[0]),
    [1, 4],
  );
  t.deepEqual(
    a.frames.map((f) => f[0]),
    [2],
  );
  t.deepEqual(
    tap.frames.map((f) => f[0]),
    [1, 3, 4],
  );
  t.deepEqual(cable.stats, { delivered: 3, dropped: 1 });
});
