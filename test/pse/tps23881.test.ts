import test from 'ava';
import { I2cBus, SmbusClient, type I2cTraceEvent } from '../../src/i2c/index.js';
import { Tps23881 } from '../../src/pse/tps23881.js';
import { pd } from '../../src/pse/powered-device.js';
import { Tps23881Driver, PARITY_CONF, SRAM_CONF, ENXIO, ENOENT } from './tps23881-driver.js';

const ADDR = 0x20;
const parity = new Uint8Array(64).fill(0x5a);
const sram = new Uint8Array(128).fill(0xa5);

function rig(model = new Tps23881()) {
  const events: I2cTraceEvent[] = [];
  const bus = new I2cBus((e) => events.push(e));
  bus.attach(ADDR, model);
  const driver = new Tps23881Driver(new SmbusClient(bus, ADDR));
  return { bus, model, driver, events };
}

/** The ti,tps23881.yaml example: PI 0 = 4-pair on channels 0 and 1, PI 1 = 2-pair on channel 2. */
const EXAMPLE_PIS = [{ pairsetChannels: [0, 1] }, { pairsetChannels: [2] }];

test('probe: DEVID 0x22, parity and SRAM download, FWREV of the SRAM code, then configuration B', (t) => {
  const { driver, model, events } = rig(new Tps23881({ sramFirmwareRevision: 14 }));
  t.is(driver.probe({ devId: 0x22, firmware: { parity, sram } }), 0);
  t.deepEqual(driver.log, ['Firmware revision 0xe']);
  t.deepEqual(model.downloaded, { parity: parity.length, sram: sram.length });
  // The wire sequence: DEVID read, then exactly the driver's preparation tables and the streamed bytes.
  const writes = events
    .filter((e): e is Extract<I2cTraceEvent, { type: 'i2c.write' }> => e.type === 'i2c.write')
    .map((e) => [...e.data]);
  t.deepEqual(writes[0], [0x43]);
  const expected: number[][] = [
    ...PARITY_CONF.map(([r, v]) => [r, v]),
    ...[...parity].map((b) => [0x61, b]),
    ...SRAM_CONF.map(([r, v]) => [r, v]),
    ...[...sram].map((b) => [0x61, b]),
    [0x60, 0x18],
  ];
  t.deepEqual(writes.slice(1, 1 + expected.length), expected);
  // GEN_MASK read back and rewritten with NBITACC (bit 5) set; the power-on value keeps INTEN (bit 7).
  t.deepEqual(writes.slice(-2), [[0x17], [0x17, 0x80 | 0x20]]);
});

test('probe fails as the driver does: wrong ID, missing firmware file, and a rejected image (safe mode, FWREV 0xff)', (t) => {
  t.is(rig().driver.probe({ devId: 0x24 }), -ENXIO, 'a TPS23881 is not a TPS23881B');
  t.is(rig().driver.probe({ devId: 0x22, firmware: { parity, sram: undefined } }), -ENOENT);
  const bad = rig(new Tps23881({ acceptFirmware: () => false }));
  t.is(bad.driver.probe({ devId: 0x22, firmware: { parity, sram } }), -ENXIO);
  t.deepEqual(bad.driver.log, ['Device entered safe mode']);
  t.is(bad.model.firmwareState, 'safe-mode');
});

test('TPS23881B: ID 0x24, no download, ROM firmware revision 0x00', (t) => {
  const { driver, model } = rig(new Tps23881({ variant: 'tps23881b' }));
  t.is(driver.probe({ devId: 0x24 }), 0);
  t.deepEqual(driver.log, ['Firmware revision 0x0 (ROM firmware)']);
  t.deepEqual(model.downloaded, { parity: 0, sram: 0 });
});

test('an absent chip NACKs: the probe read of DEVID returns -ENXIO', (t) => {
  let present = false;
  const { driver } = rig(new Tps23881({ isPresent: () => present }));
  t.is(driver.probe({ devId: 0x22, firmware: { parity, sram } }), -ENXIO);
  present = true;
  t.is(driver.probe({ devId: 0x22, firmware: { parity, sram } }), 0);
});

test('port matrix and enabling a 4-pair PI with a class 6 PD: ethtool sees enabled, delivering, class 6, 60 W', (t) => {
  const { driver, model, bus } = rig();
  t.is(driver.probe({ devId: 0x22, firmware: { parity, sram } }), 0);
  t.is(driver.setupPiMatrix(EXAMPLE_PIS), 0);
  // Identity matrix for this layout: logical n on physical n in both quads (2 bits per logical channel).
  const client = new SmbusClient(bus, ADDR);
  t.is(client.readWordData(0x26), 0xe4e4);
  t.is(client.readWordData(0x29), 0x003f, '4-pair pair 1-2 (0xf), 2-pair pair 3-4 (0x3)');
  t.is(client.readWordData(0x12), 0xaaaa, 'semi-auto on every channel');

  model.attachPd([0, 1], pd(6, 50_000));
  // Detection and classification ran (semi-auto): DISC for channel 0 holds class code 9 (class 6, 4-pair), detect 4 (valid).
  t.is(client.readWordData(0x0c) & 0xff, 0x94);
  t.is(driver.getPwStatus(0), 0, 'semi-auto waits for PWON');
  t.is(driver.getPwReqMw(0), 60000, 'tps23881_power_class_table[9]');

  t.is(driver.piEnable(0), 0);
  t.is(driver.getAdminState(0), 1);
  t.is(driver.getPwStatus(0), 1);
  t.is(driver.getPwClass(0), 6);
  t.is(driver.getPwLimitMw(0), 60000, 'class 6 allocation over both channels');
  const uV = driver.getVoltageUv();
  t.true(Math.abs(uV - 54_000_000) <= 3662, `VPWR ${uV} uV is 54 V within one LSB`);
  const mW = driver.getActualPwMw(0);
  t.true(Math.abs(mW - 50_000) <= 100, `actual power ${mW} mW is the PD's 50 W within measurement steps`);

  // PI 1 (channel 2) has nothing connected: enabling leaves it not delivering.
  t.is(driver.piEnable(1), 0);
  t.is(driver.getPwStatus(1), 0);

  t.is(driver.piDisable(0), 0);
  t.is(driver.getPwStatus(0), 0);
  t.is(driver.getAdminState(0), 0);
});

test('a class 4 PD on a 2-pair PI: class 4, 30 W requested and allocated', (t) => {
  const { driver, model } = rig();
  driver.probe({ devId: 0x22, firmware: { parity, sram } });
  driver.setupPiMatrix(EXAMPLE_PIS);
  model.attachPd(2, pd(4, 20_000));
  t.is(driver.piEnable(1), 0);
  t.is(driver.getPwStatus(1), 1);
  t.is(driver.getPwClass(1), 4);
  t.is(driver.getPwReqMw(1), 30000);
  t.is(driver.getPwLimitMw(1), 30000);
});

test('a PI in the second quad (channel 5) reads from the high byte of every word', (t) => {
  const { driver, model, bus } = rig();
  driver.probe({ devId: 0x22, firmware: { parity, sram } });
  t.is(driver.setupPiMatrix([{ pairsetChannels: [5] }]), 0);
  t.is(driver.port[0]!.chan[0], 4, 'the driver gives it logical channel 4');
  // tps23881_set_ports_conf() writes BIT(lgcl) | BIT(lgcl + 4) = BIT(4) | BIT(8): detection for channel 4
  // (high byte bit 0) but the class-enable bit of channel 0 (low byte bit 4), not of channel 4 (bit 12).
  const client = new SmbusClient(bus, ADDR);
  t.is(client.readWordData(0x14), 0x0110);
  model.attachPd(5, pd(3, 10_000));
  t.is(client.readWordData(0x0c) >> 8, 0x04, 'detection valid, classification not run');
  t.is(driver.piEnable(0), 0);
  t.is(driver.getPwStatus(0), 1);
  const mW = driver.getActualPwMw(0);
  t.true(Math.abs(mW - 10_000) <= 100, `${mW} mW`);
  // tps23881_pi_disable() re-enables with the quad layout (bits 8 and 12), so classification runs from then on.
  t.is(driver.piDisable(0), 0);
  t.is(client.readWordData(0x14) & 0x1100, 0x1100);
  t.is(driver.piEnable(0), 0);
  t.is(driver.getPwStatus(0), 1);
  t.is(driver.getPwClass(0), 3);
  t.is(driver.getPwReqMw(0), 15500);
});

test('interrupts: detection and classification raise INT, the driver handler notifies and frees the line', (t) => {
  let irq = false;
  const { driver, model } = rig(new Tps23881({ onInterrupt: (level) => (irq = level) }));
  driver.probe({ devId: 0x22, firmware: { parity, sram } });
  driver.setupPiMatrix(EXAMPLE_PIS);
  t.is(driver.setupIrq(), 0);
  t.false(irq, 'RESET.CLRAIN cleared the events of the initial detection cycle');
  model.attachPd(2, pd(2));
  t.true(irq);
  const notifs = driver.irqHandler();
  t.true(notifs instanceof Map);
  if (notifs instanceof Map) t.deepEqual([...(notifs.get(1) ?? [])].sort(), ['classification', 'detection']);
  t.false(irq, 'reading DET_EVENT (clear on read) released INT');

  t.is(driver.piEnable(1), 0);
  model.removePd(2);
  // DC disconnect is enabled by pi_enable: the port turns off and DISF is flagged.
  t.is(driver.getPwStatus(1), 0);
  t.true(irq);
  const again = driver.irqHandler();
  t.true(again instanceof Map);
  if (again instanceof Map) t.true(again.get(1)?.has('disconnection'), 'detection now reads open circuit');
  t.false(irq);
});

test('overload past the policing limit cuts power and reports an over-current fault', (t) => {
  let irq = false;
  const { driver, model } = rig(new Tps23881({ onInterrupt: (level) => (irq = level) }));
  driver.probe({ devId: 0x22, firmware: { parity, sram } });
  driver.setupPiMatrix(EXAMPLE_PIS);
  driver.setupIrq();
  model.attachPd(2, pd(1, 3_000));
  driver.irqHandler();
  driver.piEnable(1);
  t.is(driver.getPwLimitMw(1), 4000, 'class 1: 4 W');
  model.setLoad(2, 6_000);
  t.is(driver.getPwStatus(1), 0);
  t.true(irq);
  const n = driver.irqHandler();
  t.true(n instanceof Map && n.get(1)?.has('over-current'));
});
