import test from 'ava';
import { crc32 } from 'node:zlib';
import { ms, VirtualClock } from '../../src/clock.js';
import { MdioBus } from '../../src/mdio/index.js';
import { createPhy, GIGABIT_SWITCH_PORT, MARVELL_88E1510_ID, type Phy } from '../../src/phy/index.js';
import { FrameCollector } from '../../src/net/index.js';
import { Status } from '../../src/usbredir/codec/constants.js';
import { encodeConfigurationDescriptor, encodeDeviceDescriptor } from '../../src/usbredir/descriptors.js';
import { Lan7801, type Lan7801TraceEvent } from '../../src/usbredir/devices/lan7801.js';
import { encodeTxTransfer, parseRxTransfer } from '../../src/usbredir/devices/lan7801-frames.js';
import {
  EINVAL,
  INT_STS_PHY_INT_,
  Lan78xxDriver,
  MAC_CR_AUTO_DUPLEX_,
  MAC_CR_AUTO_SPEED_,
  MAC_CR_GMII_EN_,
  MAF_HI,
  MAF_HI_VALID_,
  MAF_LO,
  etherCrc,
  E2P_CMD,
  MAC_CR,
  MAC_RX,
  MII_ACC,
  INT_STS,
} from './lan78xx-driver.js';

const EP_IN = 0x81,
  EP_OUT = 0x02,
  EP_INT = 0x83;
// lan78xx.h command-word bits, restated here from the header (not imported from the model).
const TX_CMD_A_FCS_ = 0x0040_0000,
  TX_CMD_A_IPE_ = 0x0400_0000,
  TX_CMD_A_TPE_ = 0x0200_0000,
  TX_CMD_A_LSO_ = 0x0800_0000,
  TX_CMD_A_IVTG_ = 0x0100_0000;
const RX_CMD_A_LEN_MASK_ = 0x3fff,
  RX_CMD_A_FVTG_ = 0x0080_0000,
  RX_CMD_A_ICSM_ = 0x4000,
  RX_CMD_A_BAM_ = 0x0200_0000;

interface Rig {
  clock: VirtualClock;
  bus: MdioBus;
  phy: Phy;
  dev: Lan7801;
  drv: Lan78xxDriver;
  wire: FrameCollector;
  trace: Lan7801TraceEvent[];
  notified: number[];
}

function rig(options: { eeprom?: Uint8Array; partner?: boolean } = {}): Rig {
  const clock = new VirtualClock();
  const bus = new MdioBus({ name: '/usb/ethernet@5/mdio', clock });
  const phy = createPhy(MARVELL_88E1510_ID, { clock, name: '/usb/ethernet@5/mdio/ethernet-phy@1' });
  bus.attach(1, phy);
  if (options.partner ?? true) phy.setPartner(GIGABIT_SWITCH_PORT);
  const trace: Lan7801TraceEvent[] = [];
  const wire = new FrameCollector();
  const dev = new Lan7801({
    mdio: bus,
    phy,
    wire,
    trace: (e) => trace.push(e),
    ...(options.eeprom ? { eeprom: options.eeprom } : {}),
  });
  const notified: number[] = [];
  dev.setInNotifier((ep) => notified.push(ep));
  return { clock, bus, phy, dev, drv: new Lan78xxDriver(dev), wire, trace, notified };
}

/** Probe, open, and wait for autoneg with the gigabit switch port: the state `ip link set eth0 up` leaves. */
function upRig(): Rig {
  const r = rig();
  r.drv.lan78xx_reset();
  r.drv.lan78xx_open();
  r.clock.advance(ms(3000));
  return r;
}

function frameTo(dst: number[], src: number[], type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = type >> 8;
  f[13] = type & 0xff;
  f.set(payload, 14);
  return f;
}

test('descriptors: 0424:7801, vendor class, bulk IN 1, bulk OUT 2, interrupt IN 3 as the interface third endpoint', (t) => {
  const { dev } = rig();
  const d = encodeDeviceDescriptor(dev.descriptors);
  t.is(d[8]! | (d[9]! << 8), 0x0424);
  t.is(d[10]! | (d[11]! << 8), 0x7801);
  const c = encodeConfigurationDescriptor(dev.descriptors, dev.descriptors.configurations[0]!);
  // lan78xx_probe: bNumEndpoints >= 3, pipe 1 bulk IN, pipe 2 bulk OUT, endpoint[2] interrupt IN.
  t.is(c[9 + 4], 3);
  const eps = [0, 1, 2].map((i) => c.subarray(18 + 7 * i, 25 + 7 * i));
  t.deepEqual(
    eps.map((e) => [e[2], e[3]! & 3]),
    [
      [0x81, 2],
      [0x02, 2],
      [0x83, 3],
    ],
  );
});

test('lan78xx_reset: LiteReset completes, ID_REV gives chip 7801, no EEPROM (timeout) and blank OTP leave a random MAC', (t) => {
  const { dev, drv } = rig();
  t.is(drv.lan78xx_reset(), 0);
  t.is(drv.chipid, 0x7801);
  t.is(drv.macSource, 'random');
  t.is(drv.eepromResult, -EINVAL);
  // lan78xx_wait_eeprom saw EPC_TIMEOUT with EPC_BUSY clear: what a LAN78xx does with nothing on the EEPROM pins.
  const e2p = drv.log.filter((a) => a.op === 'r' && a.index === E2P_CMD).map((a) => a.value);
  t.true(e2p.some((v) => (v & 0x400) !== 0 && (v & 0x8000_0000) === 0));
  t.is(drv.otpResult, -EINVAL, 'blank OTP: signature is neither 0xF3 nor 0xF7');
  t.deepEqual(dev.macAddress, drv.mac, 'RX_ADDRL/H hold the address the driver chose');
  t.is(drv.read_reg(MAF_HI(0)), (drv.mac[4]! | (drv.mac[5]! << 8) | MAF_HI_VALID_) >>> 0);
  const macCr = drv.read_reg(MAC_CR);
  t.is(macCr & MAC_CR_GMII_EN_, 0, 'LAN7801 only has RGMII');
  t.is(macCr & (MAC_CR_AUTO_DUPLEX_ | MAC_CR_AUTO_SPEED_), MAC_CR_AUTO_DUPLEX_ | MAC_CR_AUTO_SPEED_);
  t.is((drv.read_reg(MAC_RX) >>> 16) & 0x3fff, 1500 + 14 + 4 + 4, 'RX_MAX_FRAME_LEN(mtu) + FCS');
});

test('EEPROM with the 0xA5 signature: the autoloaded RX_ADDR is valid and the driver keeps it', (t) => {
  const mac = [0x00, 0x80, 0x0f, 0x78, 0x01, 0x42];
  const { drv } = rig({ eeprom: Uint8Array.from([0xa5, ...mac, ...new Array<number>(505).fill(0xff)]) });
  t.is(drv.lan78xx_reset(), 0);
  t.is(drv.macSource, 'registers');
  t.deepEqual(Array.from(drv.mac), mac);
  const sig = new Uint8Array(6);
  t.is(drv.lan78xx_read_eeprom(1, 6, sig), 0);
  t.deepEqual(Array.from(sig), mac);
});

test('MII_ACC/MII_DATA reach the PHY on the MDIO bus: IDs of the 88E1510, 0xffff from empty addresses, writes land', (t) => {
  const { drv, trace, bus } = rig();
  drv.lan78xx_reset();
  t.is(drv.mdiobus_read(1, 2), MARVELL_88E1510_ID >>> 16);
  t.is(drv.mdiobus_read(1, 3), MARVELL_88E1510_ID & 0xffff);
  // of_mdiobus_register / phy_find_first scan: an empty address reads all ones (no PHY drives MDIO).
  t.is(drv.mdiobus_read(7, 2), 0xffff);
  t.is(drv.mdiobus_write(1, 4, 0x01e1), 0);
  t.is(bus.read(1, 4) & 0x0fff, 0x01e1 & 0x0fff, 'ANAR written through the adapter');
  // BUSY reads clear after the access; the address fields stay readable (datasheet MII_ACC is R/W).
  const acc = drv.read_reg(MII_ACC);
  t.is(acc & 1, 0);
  t.is((acc >> 11) & 0x1f, 1);
  t.is((acc >> 6) & 0x1f, 4);
  t.deepEqual(trace.filter((e) => e.event === 'lan7801.mdio').slice(0, 3), [
    { event: 'lan7801.mdio', op: 'read', phy: 1, reg: 2, value: 0x0141 },
    { event: 'lan7801.mdio', op: 'read', phy: 1, reg: 3, value: MARVELL_88E1510_ID & 0xffff },
    { event: 'lan7801.mdio', op: 'read', phy: 7, reg: 2, value: 0xffff },
  ]);
});

test('unknown registers read 0, swallow writes and are reported once', (t) => {
  const { drv, trace } = rig();
  t.is(drv.read_reg(0x7fc), 0);
  drv.write_reg(0x7fc, 0x1234);
  t.is(drv.read_reg(0x7fc), 0);
  t.deepEqual(
    trace.filter((e) => e.event === 'lan7801.unimplemented'),
    [{ event: 'lan7801.unimplemented', address: 0x7fc, op: 'read' }],
  );
});

test("the register file is DSL data: every bit declared, and the driver's reset and open touch no unmodelled register", (t) => {
  const { dev, drv, trace } = upRig();
  t.deepEqual(dev.registers.undeclared(), []);
  t.deepEqual(
    trace.filter((e) => e.event === 'lan7801.unimplemented'),
    [],
  );
  // The check above is live on this very rig: a register the chip model lacks shows up in the same trace.
  drv.read_reg(0x7fc);
  t.deepEqual(
    trace.filter((e) => e.event === 'lan7801.unimplemented'),
    [{ event: 'lan7801.unimplemented', address: 0x7fc, op: 'read' }],
  );
  // Commands are self-clearing fields named as lan78xx.h names the bits.
  const mii = dev.registers.get('MII_ACC');
  t.like(
    mii.fields.find((f) => f.offset === 0),
    { name: 'MII_BUSY', access: 'sc' },
  );
  t.like(
    dev.registers.get('MAC_RX').fields.find((f) => f.offset === 1),
    { name: 'RXD', access: 'ro' },
  );
});

test('stop_hw: clearing MAC_RX.RXEN shows MAC_RX.RXD so lan78xx_stop_rx_path does not time out', (t) => {
  const { drv } = upRig();
  t.is(drv.stop_rx_mac(), 0);
});

/** marvell.c with a valid irq: m88e1318_config_init routes INTn (page 3 reg 16... LED_TCR), marvell_config_intr unmasks. */
function enableMarvellInterrupt(drv: Lan78xxDriver): void {
  drv.mdiobus_write(1, 22, 3); // MII_MARVELL_LED_PAGE
  const tcr = drv.mdiobus_read(1, 0x12);
  drv.mdiobus_write(1, 0x12, ((tcr & ~0x8000) | 0x0080 | 0x0800) & 0xffff); // ~FORCE_INT, INTn_ENABLE | INT_ACTIVE_LOW
  drv.mdiobus_write(1, 22, 0);
  drv.mdiobus_read(1, 0x13); // marvell_ack_interrupt
  drv.mdiobus_write(1, 0x12, 0x6400); // MII_M1011_IMASK_INIT
}

test('cable pulled: PHY INTn → INT_STS.PHY_INT → one 4-byte report on the interrupt endpoint; ack re-arms it', (t) => {
  const r = upRig();
  r.drv.unmask_phy_irq();
  enableMarvellInterrupt(r.drv);
  r.drv.mdiobus_read(1, 0x13);
  r.drv.ack_phy_interrupt();
  while (r.dev.dataIn(EP_INT, 16)) {
    /* drain reports from autoneg */
  }
  t.is(r.dev.dataIn(EP_INT, 16), undefined, 'nothing pending: NAK');
  r.notified.length = 0;
  r.phy.unplug();
  r.clock.advance(ms(10));
  t.true(r.notified.includes(EP_INT));
  const report = r.dev.dataIn(EP_INT, 16);
  t.is(report?.status, Status.success);
  t.is(report?.data?.length, 4);
  t.is(new DataView(report!.data!.buffer).getUint32(0, true) & INT_STS_PHY_INT_, INT_STS_PHY_INT_);
  t.is(r.dev.dataIn(EP_INT, 16), undefined, 'one report per event, not one per poll');
  // phy_interrupt → marvell_handle_interrupt reads IEVENT (INTn released); lan78xx_link_reset acks INT_STS.
  r.drv.mdiobus_read(1, 0x13);
  r.drv.ack_phy_interrupt();
  t.is(r.drv.read_reg(INT_STS) & INT_STS_PHY_INT_, 0);
  t.false(r.phy.status.up);
  r.phy.plug();
  r.clock.advance(ms(3000));
  t.true(r.phy.status.up);
  const again = r.dev.dataIn(EP_INT, 16);
  t.is(
    new DataView(again!.data!.buffer).getUint32(0, true) & INT_STS_PHY_INT_,
    INT_STS_PHY_INT_,
    'link up reported too',
  );
});

test('TX: frames packed as lan78xx_tx_buf_fill reach the wire, short frames padded to 60 bytes, nothing while the cable is out', (t) => {
  const r = upRig();
  const a = frameTo([1, 2, 3, 4, 5, 6], [2, 0, 0, 0, 0, 1], 0x88b5, new Uint8Array(100).fill(0xab));
  const b = frameTo([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [2, 0, 0, 0, 0, 1], 0x88b5, Uint8Array.of(1, 2, 3)); // 17 bytes
  const transfer = encodeTxTransfer([
    { cmdA: a.length | TX_CMD_A_FCS_, cmdB: 0, data: a },
    { cmdA: b.length | TX_CMD_A_FCS_, cmdB: 0, data: b },
  ]);
  t.is(transfer.length, 8 + 114 + 2 + 8 + 17, 'second header aligned to 4 bytes');
  t.is(r.dev.dataOut(EP_OUT, transfer), Status.success);
  t.deepEqual(r.wire.frames[0], a);
  t.is(r.wire.frames[1]!.length, 60);
  t.deepEqual(r.wire.frames[1]!.subarray(0, 17), b);
  t.true(r.wire.frames[1]!.subarray(17).every((x) => x === 0));
  r.phy.unplug();
  r.clock.advance(ms(10));
  r.dev.dataOut(EP_OUT, transfer);
  t.is(r.wire.frames.length, 2);
  t.is(r.dev.counters.txDropped, 2);
});

function ipv4Udp(payload: Uint8Array): Uint8Array {
  const ip = new Uint8Array(20 + 8 + payload.length);
  ip.set([0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0, 192, 168, 7, 1, 192, 168, 7, 2]);
  ip[2] = ip.length >> 8;
  ip[3] = ip.length & 0xff;
  ip.set([0x30, 0x39, 0x00, 0x35, (8 + payload.length) >> 8, (8 + payload.length) & 0xff, 0, 0], 20);
  ip.set(payload, 28);
  return frameTo([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1], 0x0800, ip);
}

/** RFC 1071 verification: the one's complement sum over the covered bytes, checksum included, is 0xffff. */
function onesSum(parts: Uint8Array[]): number {
  let s = 0;
  for (const p of parts) for (let i = 0; i < p.length; i += 2) s += (p[i]! << 8) | (p[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

test('TX checksum offload (TX_CMD_A IPE|TPE): IPv4 header and UDP checksums verify per RFC 1071', (t) => {
  const r = upRig();
  const f = ipv4Udp(new TextEncoder().encode('hello from the emulated LAN7801'));
  r.dev.dataOut(
    EP_OUT,
    encodeTxTransfer([{ cmdA: f.length | TX_CMD_A_FCS_ | TX_CMD_A_IPE_ | TX_CMD_A_TPE_, cmdB: 0, data: f }]),
  );
  const out = r.wire.frames[0]!;
  t.is(onesSum([out.subarray(14, 34)]), 0xffff);
  const udp = out.subarray(34, 14 + ((out[16]! << 8) | out[17]!));
  const pseudo = Uint8Array.of(...out.subarray(26, 34), 0, 17, udp.length >> 8, udp.length & 0xff);
  t.is(onesSum([pseudo, udp]), 0xffff);
  t.not((udp[6]! << 8) | udp[7]!, 0);
});

test('TX segmentation offload (LSO, MSS in TX_CMD_B): 3000 payload bytes at MSS 1448 become 3 segments', (t) => {
  const r = upRig();
  const payload = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
  const ip = new Uint8Array(20 + 20 + payload.length);
  ip.set([0x45, 0, ip.length >> 8, ip.length & 0xff, 0, 7, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
  ip.set([0x9c, 0x40, 0x00, 0x50, 0, 0, 0x10, 0, 0, 0, 0, 0, 0x50, 0x19, 0xff, 0xff, 0, 0, 0, 0], 20); // seq 0x1000, ACK|PSH|FIN
  ip.set(payload, 40);
  const f = frameTo([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1], 0x0800, ip);
  r.dev.dataOut(
    EP_OUT,
    encodeTxTransfer([
      {
        cmdA: f.length | TX_CMD_A_FCS_ | TX_CMD_A_LSO_ | TX_CMD_A_IPE_ | TX_CMD_A_TPE_,
        cmdB: (1448 << 16) >>> 0,
        data: f,
      },
    ]),
  );
  t.is(r.wire.frames.length, 3);
  const seqs = r.wire.frames.map((s) => new DataView(s.buffer).getUint32(14 + 20 + 4));
  t.deepEqual(seqs, [0x1000, 0x1000 + 1448, 0x1000 + 2896]);
  t.deepEqual(
    r.wire.frames.map((s) => s.length - 54),
    [1448, 1448, 104],
  );
  t.deepEqual(
    r.wire.frames.map((s) => s[14 + 20 + 13]! & 0x09),
    [0, 0, 0x09],
    'FIN|PSH only on the last',
  );
  for (const s of r.wire.frames) {
    t.is(onesSum([s.subarray(14, 34)]), 0xffff);
    const tcp = s.subarray(34);
    t.is(
      onesSum([Uint8Array.of(...s.subarray(26, 34), 0, 6, tcp.length >> 8, tcp.length & 0xff), tcp]),
      0xffff,
    );
  }
  t.deepEqual(Uint8Array.from(r.wire.frames.flatMap((s) => Array.from(s.subarray(54)))), payload);
});

test('TX VLAN insertion (TX_CMD_A IVTG, tag in TX_CMD_B)', (t) => {
  const r = upRig();
  const f = frameTo([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1], 0x88b5, new Uint8Array(60));
  r.dev.dataOut(
    EP_OUT,
    encodeTxTransfer([{ cmdA: f.length | TX_CMD_A_FCS_ | TX_CMD_A_IVTG_, cmdB: 0x2064, data: f }]),
  );
  t.deepEqual(Array.from(r.wire.frames[0]!.subarray(12, 18)), [0x81, 0x00, 0x20, 0x64, 0x88, 0xb5]);
});

test('RX: frames for our address come out of bulk IN as lan78xx_rx parses them, with a zlib-CRC32 FCS', (t) => {
  const r = upRig();
  const mac = Array.from(r.dev.macAddress);
  const a = frameTo(mac, [2, 9, 9, 9, 9, 9], 0x88b5, new Uint8Array(50).fill(7));
  const b = frameTo(
    [0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    [2, 9, 9, 9, 9, 9],
    0x0806,
    new Uint8Array(46).fill(1),
  );
  r.dev.receive(a);
  r.dev.receive(b);
  t.true(r.notified.includes(EP_IN));
  const got = r.dev.dataIn(EP_IN, 16384);
  const frames = parseRxTransfer(got!.data!);
  t.is(frames.length, 2);
  for (const [f, sent] of [
    [frames[0]!, a],
    [frames[1]!, b],
  ] as const) {
    t.is(
      f.cmdA & RX_CMD_A_LEN_MASK_,
      sent.length + 4,
      'RX_CMD_A length includes the FCS (frame_len = size - ETH_FCS_LEN)',
    );
    t.deepEqual(f.data.subarray(0, sent.length), sent);
    t.is(new DataView(f.data.buffer, f.data.byteOffset).getUint32(sent.length, true), crc32(sent));
    t.truthy(f.cmdA & RX_CMD_A_ICSM_, 'no hardware checksum: the stack checks in software');
  }
  t.truthy(frames[1]!.cmdA & RX_CMD_A_BAM_);
  t.is(r.dev.dataIn(EP_IN, 16384), undefined, 'empty with USB_CFG0.BIR set: NAK');
});

test('RX filter: other unicast dropped unless promiscuous; multicast by perfect filter and by ether_crc hash', (t) => {
  const r = upRig();
  const other = frameTo([2, 1, 1, 1, 1, 1], [2, 9, 9, 9, 9, 9], 0x88b5, new Uint8Array(46));
  r.dev.receive(other);
  t.is(r.dev.dataIn(EP_IN, 16384), undefined);
  const mcPerfect = [0x33, 0x33, 0, 0, 0, 1];
  const mcHashed = Array.from({ length: 33 }, (_, i) => Uint8Array.of(0x01, 0x00, 0x5e, 0, 1, i));
  r.drv.lan78xx_set_multicast([Uint8Array.from(mcPerfect), ...mcHashed]);
  r.dev.receive(frameTo(mcPerfect, [2, 9, 9, 9, 9, 9], 0x86dd, new Uint8Array(46)));
  r.dev.receive(frameTo(Array.from(mcHashed[32]!), [2, 9, 9, 9, 9, 9], 0x0800, new Uint8Array(46))); // 34th: hash only
  // An address whose hash bit the driver did not set is filtered.
  const used = new Set([Uint8Array.from(mcPerfect), ...mcHashed].map((a) => (etherCrc(a) >>> 23) & 0x1ff));
  const unused = Array.from({ length: 256 }, (_, i) => Uint8Array.of(0x01, 0x00, 0x5e, 0x7f, 0, i)).find(
    (a) => !used.has((etherCrc(a) >>> 23) & 0x1ff),
  )!;
  r.dev.receive(frameTo(Array.from(unused), [2, 9, 9, 9, 9, 9], 0x0800, new Uint8Array(46)));
  t.is(parseRxTransfer(r.dev.dataIn(EP_IN, 16384)!.data!).length, 2);
  r.drv.lan78xx_set_multicast([], { promisc: true });
  r.dev.receive(other);
  t.is(parseRxTransfer(r.dev.dataIn(EP_IN, 16384)!.data!).length, 1);
  t.is(r.drv.read_reg(MAF_LO(1)), 0);
});

test('RX VLAN strip (RFE_CTL_VLAN_STRIP): tag moves to RX_CMD_B with RX_CMD_A FVTG', (t) => {
  const r = upRig();
  const mac = Array.from(r.dev.macAddress);
  const tagged = frameTo(
    mac,
    [2, 9, 9, 9, 9, 9],
    0x8100,
    Uint8Array.of(0x00, 0x05, 0x08, 0x00, ...new Array<number>(46).fill(0)),
  );
  r.dev.receive(tagged);
  const [f] = parseRxTransfer(r.dev.dataIn(EP_IN, 16384)!.data!);
  t.truthy(f!.cmdA & RX_CMD_A_FVTG_);
  t.is(f!.cmdB & 0xffff, 5);
  t.deepEqual(Array.from(f!.data.subarray(12, 14)), [0x08, 0x00]);
});

test('bulk IN respects the URB size and BURST_CAP: frames never split across transfers', (t) => {
  const r = upRig();
  const mac = Array.from(r.dev.macAddress);
  for (let i = 0; i < 20; i++)
    r.dev.receive(frameTo(mac, [2, 9, 9, 9, 9, i], 0x88b5, new Uint8Array(1500 - 14 + 14)));
  const sizes: number[] = [];
  let total = 0;
  for (let got = r.dev.dataIn(EP_IN, 16384); got; got = r.dev.dataIn(EP_IN, 16384)) {
    sizes.push(got.data!.length);
    total += parseRxTransfer(got.data!).length;
  }
  t.is(total, 20);
  t.true(sizes.every((s) => s <= 16384));
});
