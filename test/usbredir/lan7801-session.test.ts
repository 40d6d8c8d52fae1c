import test from 'ava';
import { ms, VirtualClock } from '../../src/clock.js';
import { MdioBus } from '../../src/mdio/index.js';
import { EthernetCable } from '../../src/net/index.js';
import { createPhy, GIGABIT_SWITCH_PORT, RTL8211F_ID } from '../../src/phy/index.js';
import { Lan7801 } from '../../src/usbredir/devices/lan7801.js';
import { encodeTxTransfer, parseRxTransfer } from '../../src/usbredir/devices/lan7801-frames.js';
import { UsbredirHostSession } from '../../src/usbredir/session.js';
import { FakeGuest, only } from './fake-guest.js';

/** One adapter behind a usbredir session, its guest scripted as QEMU forwards lan78xx's requests. */
function station(clock: VirtualClock, mac: number[]) {
  const bus = new MdioBus({ name: 'mdio', clock });
  const phy = createPhy(RTL8211F_ID, { clock, name: 'ethernet-phy@1' });
  bus.attach(1, phy);
  phy.setPartner(GIGABIT_SWITCH_PORT);
  const dev = new Lan7801({ mdio: bus, phy, macAddress: Uint8Array.from(mac) });
  // The session only sends from start(), after `guest` exists.
  const session = new UsbredirHostSession(dev, { send: (b) => guest.feed(b) });
  const guest = new FakeGuest((b) => session.receive(b));
  session.start();
  guest.hello();
  let id = 100n;
  const writeReg = (index: number, value: number): void => {
    const data = new Uint8Array(4);
    new DataView(data.buffer).setUint32(0, value >>> 0, true);
    guest.send({
      type: 'control_packet',
      id: id++,
      endpoint: 0x00,
      request: 0xa0,
      requestType: 0x40,
      status: 0,
      value: 0,
      index,
      length: 4,
      data,
    });
  };
  // The end state of lan78xx_reset + lan78xx_open: BIR, RFE broadcast, RX/TX MAC and FIFOs on.
  writeReg(0x80, 0x40);
  writeReg(0xb0, 0x400);
  writeReg(0x104, (1522 << 16) | 1);
  writeReg(0xc0, 0x8000_0000);
  writeReg(0x108, 1);
  writeReg(0xc4, 0x8000_0000);
  writeReg(0x98, 1 << 17); // INT_EP_CTL: PHY interrupt on the interrupt endpoint
  guest.take();
  return { dev, phy, guest, session };
}

test('two adapters on a cable through usbredir: bulk OUT on one completes a waiting bulk IN on the other', (t) => {
  const clock = new VirtualClock();
  const macA = [0x02, 0, 0, 0, 0, 0xa];
  const macB = [0x02, 0, 0, 0, 0, 0xb];
  const a = station(clock, macA);
  const b = station(clock, macB);
  const cable = new EthernetCable(a.dev, b.dev);
  a.dev.connect(cable.endA);
  b.dev.connect(cable.endB);
  clock.advance(ms(3000)); // autoneg on both PHYs
  b.guest.bulkIn(1n, 0x81, 16384);
  t.deepEqual(only(b.guest.take(), 'bulk_packet'), [], 'nothing yet: the IN waits (NAK)');
  const frame = new Uint8Array(64);
  frame.set(macB, 0);
  frame.set(macA, 6);
  frame.set([0x88, 0xb5], 12);
  a.guest.bulkOut(2n, 0x02, encodeTxTransfer([{ cmdA: 64 | 0x0040_0000, cmdB: 0, data: frame }]));
  t.like(only(a.guest.take(), 'bulk_packet')[0], { id: 2n, status: 0, length: 72 });
  const [done] = only(b.guest.take(), 'bulk_packet');
  t.is(done?.id, 1n);
  const rx = parseRxTransfer(done!.data);
  t.deepEqual(rx[0]?.data.subarray(0, 64), frame);
  t.deepEqual(a.guest.errors, []);
  t.deepEqual(b.guest.errors, []);
});

test('interrupt receiving: a cable pull at the RTL8211F reaches the guest as an interrupt_packet with INT_STS.PHY_INT', (t) => {
  const clock = new VirtualClock();
  const s = station(clock, [0x02, 0, 0, 0, 0, 1]);
  clock.advance(ms(3000));
  // rtl8211f_config_intr: INER (page 0xa42 reg 18) link change enable, then ack by reading INSR (reg 29 on page 0xa43).
  const mdioWrite = (reg: number, value: number): void => {
    s.dev.writeRegister(0x124, value);
    s.dev.writeRegister(0x120, (1 << 11) | (reg << 6) | 0x2 | 1);
  };
  const mdioRead = (reg: number): number => {
    s.dev.writeRegister(0x120, (1 << 11) | (reg << 6) | 1);
    return s.dev.readRegister(0x124);
  };
  // phy_read_paged / phy_write_paged: page select is register 0x1f (rtl821x_write_page), restored after.
  mdioWrite(0x1f, 0xa43);
  mdioRead(0x1d); // RTL8211F_INSR
  mdioWrite(0x1f, 0xa42);
  mdioWrite(0x12, 0x0010); // RTL821x_INER: RTL8211F_INER_LINK_STATUS
  mdioWrite(0x1f, 0);
  s.guest.send({ type: 'start_interrupt_receiving', id: 9n, endpoint: 0x83 });
  s.guest.take();
  s.phy.unplug();
  clock.advance(ms(10));
  const reports = only(s.guest.take(), 'interrupt_packet');
  t.is(reports.length, 1);
  t.is(
    new DataView(reports[0]!.data.buffer, reports[0]!.data.byteOffset).getUint32(0, true) & 0x0002_0000,
    0x0002_0000,
  );
});
