import test from 'ava';
import {
  breakdown,
  deviceTimeline,
  guestToHost,
  guestTransfers,
  mdioReads,
  parseBenchConsole,
  slotsOfDevices,
  smbusReads,
} from '../../bench/lib/latency-analysis.js';
import type { EmulatorStamp } from '../../bench/lib/qemu-rig.js';
import type { UsbmonRecord } from '../../src/usbredir/usbmon-pcap.js';

// Lines as a Linux 6.1 guest printed them in a bench boot (drivers/usb/host/xhci-trace.h,
// include/trace/events/mdio.h, i2c.h, irq.h formats), cut down to one MDIO read per adapter.
const PHY5 = '/pcie@10000000/usb@2,0/mdio@5';
const BRIDGE7 = '/pcie@10000000/usb@2,0/i2c-bridge@7';
const CONSOLE = `[    0.9] some kernel line
@@bench phy mvusb-1-1:1.0:00 ${PHY5}/ethernet-phy@0
@@bench i2c i2c-0 ${BRIDGE7}/interface@1,1
@@bench usb 1-1 ${PHY5}
@@bench trace
     kworker/0:1-15      [000] .N...     0.995655: mdio_access: mvusb-1-1:1.0 write phy:0x00 reg:0x12 val:0x0000
     kworker/0:1-15      [000] .....     0.996961: mdio_access: mvusb-1-1:1.0 read  phy:0x00 reg:0x13 val:0x7c00
            init-1       [000] .....     2.000000: tracing_mark_write: bench start
            init-1       [000] .....     2.273304: mdio_access: mvusb-1-1:1.0 write phy:0x00 reg:0x12 val:0x0000
            init-1       [000] .....     2.273311: xhci_urb_enqueue: ep2out-bulk: urb (____ptrval____) pipe 3221291520 slot 1 length 0/6 sgs 0/0 stream 0 flags 00000000
            init-1       [000] d....     2.273316: xhci_ring_ep_doorbell: Ring doorbell for Slot 1 ep2out
          <idle>-0       [000] d.h..     2.273526: irq_handler_entry: irq=16 name=xhci_hcd
          <idle>-0       [000] d.h..     2.273536: xhci_urb_giveback: ep2out-bulk: urb (____ptrval____) pipe 3221291520 slot 1 length 6/6 sgs 0/0 stream 0 flags 00000000
            init-1       [000] .....     2.273571: xhci_urb_enqueue: ep6in-bulk: urb (____ptrval____) pipe 3221422720 slot 1 length 0/2 sgs 0/0 stream 0 flags 00010200
            init-1       [000] d....     2.273577: xhci_ring_ep_doorbell: Ring doorbell for Slot 1 ep6in
          <idle>-0       [000] d.h..     2.273895: irq_handler_entry: irq=16 name=xhci_hcd
          <idle>-0       [000] d.h..     2.273904: xhci_urb_giveback: ep6in-bulk: urb (____ptrval____) pipe 3221422720 slot 1 length 2/2 sgs 0/0 stream 0 flags 00010200
            init-1       [000] .....     2.273934: mdio_access: mvusb-1-1:1.0 read  phy:0x00 reg:0x13 val:0x0000
              dd-132     [000] .....     4.548195: i2c_write: i2c-0 #0 a=050 f=0000 l=1 [9f]
              dd-132     [000] .....     4.548198: i2c_read: i2c-0 #1 a=050 f=0001 l=1
              dd-132     [000] .....     4.548855: i2c_reply: i2c-0 #1 a=050 f=0001 l=1 [ff]
              dd-132     [000] .....     4.548858: i2c_result: i2c-0 n=2 ret=2
            init-1       [000] .....     4.550465: tracing_mark_write: bench end
@@bench end
reboot: Power down
`;

test('the console gives the device map and the trace; reads are timed only after the start marker', (t) => {
  const report = parseBenchConsole(CONSOLE);
  t.deepEqual([...report.phys], [['mvusb-1-1:1.0:00', PHY5]]);
  t.deepEqual([...report.adapters], [[0, BRIDGE7]]);
  t.is(report.events.length, 18);
  t.deepEqual(report.events[0], {
    ts: 995655,
    name: 'mdio_access',
    body: 'mvusb-1-1:1.0 write phy:0x00 reg:0x12 val:0x0000',
  });
  // The probe-time pair at 0.995655 is before "bench start": only the rebind's pair counts.
  t.deepEqual(mdioReads(report), [{ device: PHY5, start: 2273304, end: 2273934 }]);
  t.deepEqual(smbusReads(report), [{ device: BRIDGE7, start: 4548195, end: 4548858 }]);
});

test('guest transfers pair enqueue, doorbell, interrupt and giveback per slot and endpoint', (t) => {
  const report = parseBenchConsole(CONSOLE);
  const transfers = guestTransfers(report.events);
  t.deepEqual(transfers, [
    { slot: 1, endpoint: 0x02, enqueue: 2273311, doorbell: 2273316, irq: 2273526, giveback: 2273536 },
    { slot: 1, endpoint: 0x86, enqueue: 2273571, doorbell: 2273577, irq: 2273895, giveback: 2273904 },
  ]);
  t.deepEqual([...slotsOfDevices(transfers, mdioReads(report))], [[PHY5, 1]]);
});

/** A pcap record as hw/usb/pcap.c writes it for a bulk packet. */
function rec(type: 'S' | 'C', id: bigint, endpoint: number, tsUs: number): UsbmonRecord {
  return { tsUs, type, id, xferType: 3, endpoint, devnum: 1, status: 0, length: 0, data: new Uint8Array(0) };
}

test('host records line up with the guest by order and id, and the legs add up to the guest-visible time', (t) => {
  const report = parseBenchConsole(CONSOLE);
  const guest = guestTransfers(report.events);
  // The host's wall clock runs 1e12 µs ahead of the guest's trace clock. Per transfer (host µs after the
  // doorbell): S at +4, in the emulator at +50, reply written at +60, completed at +90. The fastest
  // doorbell-to-S of the run defines the offset, so "guest -> QEMU" reads 0 here.
  const off = 1e12;
  const pcap: UsbmonRecord[] = [];
  const stamps: EmulatorStamp[] = [];
  guest.forEach((g, i) => {
    const id = 0x1000n + BigInt(i) * 0x10n;
    const h = g.doorbell + off;
    pcap.push(rec('S', id, g.endpoint, h + 4), rec('C', id, g.endpoint, h + 90));
    stamps.push(
      { dir: 'rx', id, endpoint: g.endpoint, us: h + 50 },
      { dir: 'tx', id, endpoint: g.endpoint, us: h + 60 },
    );
  });
  const timeline = deviceTimeline(guest, pcap, stamps);
  t.is(timeline.problem, undefined);
  const toHost = guestToHost(timeline.transfers);
  t.is(toHost(guest[0]?.doorbell ?? 0), (guest[0]?.doorbell ?? 0) + off + 4);
  const [row] = breakdown(mdioReads(report), timeline.transfers, toHost);
  t.deepEqual(row, {
    guestBefore: 7,
    guestSubmit: 5 + 6,
    toQemu: 0,
    toEmulator: 46 * 2,
    emulator: 10 * 2,
    fromEmulator: 30 * 2,
    // irq - doorbell is 210 and 318 on the guest clock; the doorbell maps onto S, and C is 86 after S.
    toGuestIrq: 210 - 86 + (318 - 86),
    guestIrq: 10 + 9,
    guestNext: 35,
    guestAfter: 30,
  });
  const total = Object.values(row ?? {}).reduce((a, b) => a + b, 0);
  t.is(total, 2273934 - 2273304, 'the legs partition the guest-visible read');
});

test('views that disagree are reported, not matched', (t) => {
  const guest = guestTransfers(parseBenchConsole(CONSOLE).events);
  t.regex(deviceTimeline(guest, [], []).problem ?? '', /guest 2 bulk transfers, QEMU 0, emulator 0/);
  const pcap = [rec('S', 1n, 0x86, 10), rec('S', 2n, 0x02, 20)];
  const stamps: EmulatorStamp[] = [
    { dir: 'rx', id: 1n, endpoint: 0x86, us: 11 },
    { dir: 'rx', id: 2n, endpoint: 0x02, us: 21 },
  ];
  t.regex(deviceTimeline(guest, pcap, stamps).problem ?? '', /transfer 0: endpoint or id mismatch/);
});
