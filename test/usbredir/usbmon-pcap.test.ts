import test from 'ava';
import { readUsbmonPcap, UsbmonPcapError, UsbmonPcapErrorCode } from '../../src/usbredir/usbmon-pcap.js';

/**
 * A capture laid out as QEMU's hw/usb/pcap.c writes it: struct pcap_hdr (magic a1b2c3d4, 2.4, snaplen,
 * network 220), then per record struct pcaprec_hdr (ts_sec, ts_usec, incl_len, orig_len) and the 64-byte
 * struct usbmon_packet of drivers/usb/mon/mon_bin.c (id @0, type @8, xfer_type @9, epnum @10, devnum @11,
 * busnum @12, flags @14/15, ts @16/24, status @28, length @32, len_cap @36, setup @40 ... ndesc @60).
 */
function capture(
  records: {
    sec: number;
    usec: number;
    type: string;
    id: bigint;
    ep: number;
    len: number;
    data?: number[];
  }[],
): Uint8Array {
  const parts: Uint8Array[] = [];
  const head = new DataView(new ArrayBuffer(24));
  head.setUint32(0, 0xa1b2c3d4, true);
  head.setUint16(4, 2, true);
  head.setUint16(6, 4, true);
  head.setUint32(16, 4096 + 64, true);
  head.setUint32(20, 220, true);
  parts.push(new Uint8Array(head.buffer));
  for (const r of records) {
    const data = r.data ?? [];
    const b = new DataView(new ArrayBuffer(16 + 64 + data.length));
    b.setUint32(0, r.sec, true);
    b.setUint32(4, r.usec, true);
    b.setUint32(8, 64 + data.length, true);
    b.setUint32(12, 64 + r.len, true);
    b.setBigUint64(16, r.id, true);
    b.setUint8(16 + 8, r.type.charCodeAt(0));
    b.setUint8(16 + 9, 3); // bulk
    b.setUint8(16 + 10, r.ep);
    b.setUint8(16 + 11, 2);
    b.setInt32(16 + 28, r.type === 'C' ? -121 : 0, true);
    b.setUint32(16 + 32, r.len, true);
    b.setUint32(16 + 36, 64 + data.length, true);
    data.forEach((x, i) => b.setUint8(16 + 64 + i, x));
    parts.push(new Uint8Array(b.buffer));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

test('records: wall-clock µs, S/C, the usb-redir packet id, endpoint, status, length and data', (t) => {
  const bytes = capture([
    {
      sec: 1_733_400_000,
      usec: 12,
      type: 'S',
      id: 0x7f12_3456_7890n,
      ep: 0x02,
      len: 6,
      data: [0, 0xe8, 1, 0, 0x13, 0xa4],
    },
    { sec: 1_733_400_000, usec: 160, type: 'C', id: 0x7f12_3456_7890n, ep: 0x02, len: 0 },
  ]);
  const [s, c] = readUsbmonPcap(bytes);
  t.like(s, {
    tsUs: 1_733_400_000_000_012,
    type: 'S',
    id: 0x7f12_3456_7890n,
    xferType: 3,
    endpoint: 0x02,
    devnum: 2,
    status: 0,
    length: 6,
  });
  t.deepEqual([...(s?.data ?? [])], [0, 0xe8, 1, 0, 0x13, 0xa4]);
  t.like(c, { tsUs: 1_733_400_000_000_160, type: 'C', status: -121, length: 0 });
});

test('a record cut short at the end (QEMU killed mid-write) ends the list; bad files throw with a code', (t) => {
  const whole = capture([
    { sec: 1, usec: 0, type: 'S', id: 1n, ep: 0x86, len: 2 },
    { sec: 1, usec: 5, type: 'C', id: 1n, ep: 0x86, len: 2, data: [0x41, 0x01] },
  ]);
  t.is(readUsbmonPcap(whole.subarray(0, whole.length - 1)).length, 1);
  const bad = whole.slice();
  bad[0] = 0;
  t.is(
    t.throws(() => readUsbmonPcap(bad), { instanceOf: UsbmonPcapError }).code,
    UsbmonPcapErrorCode.BAD_MAGIC,
  );
  const ether = whole.slice();
  ether[20] = 1;
  t.is(
    t.throws(() => readUsbmonPcap(ether), { instanceOf: UsbmonPcapError }).code,
    UsbmonPcapErrorCode.BAD_LINKTYPE,
  );
  t.is(
    t.throws(() => readUsbmonPcap(whole.subarray(0, 10)), { instanceOf: UsbmonPcapError }).code,
    UsbmonPcapErrorCode.TRUNCATED,
  );
});
