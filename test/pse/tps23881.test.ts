import test from 'ava';
import { VirtualClock, ms } from '../../src/clock.js';
import { I2cBus, SmbusClient, type I2cTraceEvent } from '../../src/i2c/index.js';
import type { RegisterEvent } from '../../src/regs/index.js';
import { dualSignaturePd, pd } from '../../src/pse/powered-device.js';
import { generateTps23881Firmware } from '../../src/pse/tps23881-firmware.js';
import { Tps23881, type Tps23881Options } from '../../src/pse/tps23881.js';
import {
  Tps23881Driver,
  PARITY_CONF,
  SRAM_CONF,
  ENXIO,
  ENOENT,
  ERANGE,
  ETIMEDOUT,
  EINVAL,
} from './tps23881-driver.js';

const ADDR = 0x20;
const fw = generateTps23881Firmware();
const files = { parity: fw.parity, sram: fw.sram };

function rig(options: Tps23881Options = {}) {
  const events: I2cTraceEvent[] = [];
  const regEvents: RegisterEvent[] = [];
  const bus = new I2cBus((e) => events.push(e));
  let irq = false;
  const model = new Tps23881({
    emit: (e) => regEvents.push(e),
    onInterrupt: (level) => (irq = level),
    ...options,
  });
  bus.attach(ADDR, model);
  const client = new SmbusClient(bus, ADDR);
  const driver = new Tps23881Driver(client);
  return { bus, model, driver, events, regEvents, client, irq: () => irq };
}

/** The ti,tps23881.yaml example: PI 0 = 4-pair on channels 0 and 1, PI 1 = 2-pair on channel 2. */
const EXAMPLE_PIS = [{ pairsetChannels: [0, 1] }, { pairsetChannels: [2] }];

/** Probe, matrix and IRQ set-up as tps23881_i2c_probe runs them (pse_controller_register calls setup_pi_matrix). */
function bound(options: Tps23881Options = {}, pis = EXAMPLE_PIS) {
  const r = rig(options);
  const variant = options.variant ?? 'tps23881';
  const ok = r.driver.probe(variant === 'tps23881' ? { devId: 0x22, firmware: files } : { devId: 0x24 });
  if (ok !== 0) throw new Error(`probe failed: ${ok} ${r.driver.log.join('; ')}`);
  if (r.driver.setupPiMatrix(pis) !== 0) throw new Error('setup_pi_matrix failed');
  if (r.driver.setupIrq() !== 0) throw new Error('setup_irq failed');
  return r;
}

const unmodelled = (events: RegisterEvent[]) => events.filter((e) => e.type === 'reg.unmodelled');

test('probe: DEVID 0x22, parity and SRAM download of the firmware files, FWREV 14, then configuration B', (t) => {
  const { driver, model, events } = rig();
  t.is(driver.probe({ devId: 0x22, firmware: files }), 0);
  t.deepEqual(driver.log, ['Firmware revision 0xe']);
  t.deepEqual(model.firmwareReport, {
    state: 'sram',
    parityBytes: fw.parity.length,
    sramBytes: fw.sram.length,
  });
  // The wire sequence: DEVID read, then exactly the driver's preparation tables and the streamed bytes.
  const writes = events
    .filter((e): e is Extract<I2cTraceEvent, { type: 'i2c.write' }> => e.type === 'i2c.write')
    .map((e) => [...e.data]);
  t.deepEqual(writes[0], [0x43]);
  const expected: number[][] = [
    ...PARITY_CONF.map(([r, v]) => [r, v]),
    ...[...fw.parity].map((b) => [0x61, b]),
    ...SRAM_CONF.map(([r, v]) => [r, v]),
    ...[...fw.sram].map((b) => [0x61, b]),
    [0x60, 0x18],
  ];
  t.deepEqual(writes.slice(1, 1 + expected.length), expected);
  // GEN_MASK read back and rewritten with NBITACC (bit 5) set; the power-on value keeps INTEN (bit 7).
  t.deepEqual(writes.slice(-2), [[0x17], [0x17, 0x80 | 0x20]]);
});

test('the firmware check: one flipped byte, a short image or another file set all end in safe mode (FWREV 0xff)', (t) => {
  const flipped = Uint8Array.from(fw.sram);
  flipped[300] = (flipped[300] ?? 0) ^ 0x01;
  const cases = [
    {
      firmware: { parity: fw.parity, sram: flipped },
      why: /SRAM image differs from the firmware file at byte 300/,
    },
    {
      firmware: { parity: fw.parity.subarray(0, 100), sram: fw.sram },
      why: /parity image differs .* at byte 100/,
    },
    {
      firmware: (({ parity, sram }) => ({ parity, sram }))(generateTps23881Firmware({ sramBytes: 64 })),
      why: /SRAM image differs/,
    },
  ];
  for (const c of cases) {
    const { driver, model } = rig();
    t.is(driver.probe({ devId: 0x22, firmware: c.firmware }), -ENXIO);
    t.deepEqual(driver.log, ['Device entered safe mode']);
    t.is(model.firmwareState, 'safe-mode');
    t.regex(model.firmwareReport.mismatch ?? '', c.why);
  }
  // The model can be told to expect other images (a user's own files).
  const other = generateTps23881Firmware({ parityBytes: 16, sramBytes: 32 });
  const custom = rig({ firmware: other });
  t.is(custom.driver.probe({ devId: 0x22, firmware: { parity: other.parity, sram: other.sram } }), 0);
});

test('probe fails as the driver does: wrong ID, missing firmware file', (t) => {
  const a = rig();
  t.is(a.driver.probe({ devId: 0x24 }), -ENXIO, 'a TPS23881 is not a TPS23881B');
  t.deepEqual(a.driver.log, ['Wrong device ID']);
  t.is(rig().driver.probe({ devId: 0x22, firmware: { parity: fw.parity, sram: undefined } }), -ENOENT);
});

test('TPS23881B: ID 0x24, no download, ROM firmware revision 0x00; the TPS23881 driver data is refused', (t) => {
  const { driver, model } = rig({ variant: 'tps23881b' });
  t.is(driver.probe({ devId: 0x24 }), 0);
  t.deepEqual(driver.log, ['Firmware revision 0x0 (ROM firmware)']);
  t.deepEqual(model.downloaded, { parity: 0, sram: 0 });
  t.is(rig({ variant: 'tps23881b' }).driver.probe({ devId: 0x22, firmware: files }), -ENXIO);
});

test('an absent chip NACKs: the probe read of DEVID returns -ENXIO', (t) => {
  let present = false;
  const { driver } = rig({ isPresent: () => present });
  t.is(driver.probe({ devId: 0x22, firmware: files }), -ENXIO);
  present = true;
  t.is(driver.probe({ devId: 0x22, firmware: files }), 0);
});

test('setup_irq without an interrupt fails as 6.17+ does: "interrupt is missing", -EINVAL', (t) => {
  const { driver } = rig();
  t.is(driver.probe({ devId: 0x22, firmware: files }), 0);
  t.is(driver.setupIrq(0), -EINVAL);
  t.true(driver.log.includes('interrupt is missing'));
});

test('every register the 7.2 driver touches is modelled and every bit of both quads is declared', (t) => {
  const r = bound();
  const { driver, model, regEvents } = r;
  model.attachPd([0, 1], pd(6, 50_000));
  model.attachPd(2, pd(4, 20_000));
  driver.irqHandler();
  for (const id of [0, 1]) {
    t.is(driver.piEnable(id), 0);
    driver.getAdminState(id);
    driver.getPwStatus(id);
    driver.getPwClass(id);
    driver.getActualPwMw(id);
    driver.getPwLimitMw(id);
    driver.getPwReqMw(id);
    t.is(driver.setPwLimit(id, 12_000), 0);
    t.is(driver.piDisable(id), 0);
  }
  model.overTemperature();
  driver.irqHandler();
  t.deepEqual(unmodelled(regEvents), []);
  for (const m of model.maps()) t.deepEqual(m.undeclared(), [], m.name);
  // The check is live: an access to an address the chip does not have is reported.
  r.client.readByteData(0x50);
  t.deepEqual(
    unmodelled(regEvents).map((e) => e.address),
    [0x50],
  );
});

test('power-on INT: supply events are pending at reset, RESET.CLRAIN in setup_irq releases the pin', (t) => {
  const r = rig();
  t.true(r.irq(), 'SUPPLY/FAULT EVENT resets to VPUV|VDWRN|VDUV, INTERRUPT MASK to SUMSK, GEN_MASK to INTEN');
  t.is(r.client.readByteData(0x00), 0x80, 'INTERRUPT.SUPF');
  t.is(r.driver.probe({ devId: 0x22, firmware: files }), 0);
  t.is(r.driver.setupPiMatrix(EXAMPLE_PIS), 0);
  t.is(r.driver.setupIrq(), 0);
  t.false(r.irq());
});

test('port matrix and enabling a 4-pair PI with a class 6 PD: ethtool sees enabled, delivering, class 6, 60 W', (t) => {
  const { driver, model, client } = bound();
  // Identity matrix for this layout: logical n on physical n in both quads (2 bits per logical channel).
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
  const { driver, model } = bound();
  model.attachPd(2, pd(4, 20_000));
  t.is(driver.piEnable(1), 0);
  t.is(driver.getPwStatus(1), 1);
  t.is(driver.getPwClass(1), 4);
  t.is(driver.getPwReqMw(1), 30000);
  t.is(driver.getPwLimitMw(1), 30000);
});

test('every class 0-8 and both signatures: the DISC code the driver turns into a power request', (t) => {
  const cases = [
    // [PD, channels, PI, requested mW, assigned class]
    [pd(0), [2], 1, 15500, 0],
    [pd(1), [2], 1, 4000, 1],
    [pd(2), [2], 1, 7000, 2],
    [pd(3), [2], 1, 15500, 3],
    [pd(4), [2], 1, 30000, 4],
    [pd(5, 25_000), [2], 1, 30000, 4], // demoted to class 4 on a 2-pair port; the PD stays within it
    [pd(5), [0, 1], 0, 45000, 5],
    [pd(6), [0, 1], 0, 60000, 6],
    [pd(7), [0, 1], 0, 75000, 7],
    [pd(8), [0, 1], 0, 90000, 8],
    [dualSignaturePd(4, 4), [0, 1], 0, 30000, 4],
    [dualSignaturePd(5, 5), [0, 1], 0, 45000, 5],
  ] as const;
  for (const [device, chans, pi, mW, cls] of cases) {
    const { driver, model } = bound();
    model.attachPd(chans, device);
    t.is(
      driver.getPwReqMw(pi),
      mW,
      `class ${device.pdClass}${device.dualSignature ? ' dual' : ''} on ${chans.length * 2} pairs`,
    );
    const what = `class ${device.pdClass}${device.dualSignature ? ' dual' : ''} on ${chans.length * 2} pairs`;
    t.is(driver.piEnable(pi), 0);
    t.is(driver.getPwStatus(pi), 1, what);
    t.is(driver.getPwClass(pi), cls, what);
  }
});

test('invalid signatures and a classification overcurrent: never powered, detection reports a disconnection', (t) => {
  for (const signature of ['short', 'low', 'high'] as const) {
    const { driver, model, irq } = bound();
    model.attachPd(2, pd(2, undefined, signature));
    t.true(irq());
    const n = driver.irqHandler();
    t.false(irq());
    t.deepEqual(n instanceof Map ? [...(n.get(1) ?? [])] : n, ['disconnection'], signature);
    t.is(driver.piEnable(1), 0);
    t.is(driver.getPwStatus(1), 0, `${signature} signature: no power`);
  }
  const { driver, model } = bound();
  model.attachPd(2, { ...pd(3), classOvercurrent: true });
  t.is(driver.getPwReqMw(1), -ERANGE, 'class code 7: tps23881_power_class_table gives -ERANGE');
  t.is(driver.piEnable(1), 0);
  t.is(driver.getPwStatus(1), 0, 'classification failed: semi-auto does not power it');
});

test('a PI in the second quad (channel 5) reads from the high byte of every word', (t) => {
  const { driver, model, client } = bound({}, [{ pairsetChannels: [5] }]);
  t.is(driver.port[0]!.chan[0], 4, 'the driver gives it logical channel 4');
  // tps23881_set_ports_conf() writes BIT(lgcl) | BIT(lgcl + 4) = BIT(4) | BIT(8): detection for channel 4
  // (high byte bit 0) but the class-enable bit of channel 0 (low byte bit 4), not of channel 4 (bit 12).
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

test('power limits: c33-pse-avail-pw-limit on a 2-pair and a 4-pair PI reads back, and survives a disable', (t) => {
  const { driver, model } = bound();
  model.attachPd([0, 1], pd(6, 20_000));
  model.attachPd(2, pd(4, 10_000));
  t.is(driver.setPwLimit(1, 1000), -ERANGE, 'below TPS23881_MIN_PI_PW_LIMIT_MW');
  t.is(driver.setPwLimit(1, 12_000), 0);
  t.is(driver.getPwLimitMw(1), 12_000);
  t.is(driver.piEnable(1), 0);
  t.is(
    driver.getPwLimitMw(1),
    12_000,
    'manual policing (FOLDBACK.TPON) keeps the chip from setting the class limit',
  );
  t.is(driver.setPwLimit(0, 40_000), 0);
  t.is(driver.piEnable(0), 0);
  t.is(driver.getPwLimitMw(0), 40_000, "4P POLICE shows up in both channels' 2-pair registers");
  t.is(driver.piDisable(1), 0);
  t.is(
    driver.getPwLimitMw(1),
    12_000,
    'tps23881_pi_disable writes the saved policy back after PWOFF reset it',
  );
});

test('interrupts: detection and classification raise INT, the 7.2 IRQ handler notifies and frees the line', (t) => {
  const { driver, model, irq } = bound();
  t.false(irq(), 'RESET.CLRAIN cleared the events of the initial detection cycle');
  model.attachPd(2, pd(2));
  t.true(irq());
  const notifs = driver.irqHandler();
  t.true(notifs instanceof Map);
  if (notifs instanceof Map) t.deepEqual([...(notifs.get(1) ?? [])].sort(), ['classification', 'detection']);
  t.false(irq(), 'reading DETECTION EVENT at its clear-on-read address released INT');

  t.is(driver.piEnable(1), 0);
  model.removePd(2);
  // DC disconnect is enabled by pi_enable: the port turns off, DISF is flagged and detection reads open.
  t.is(driver.getPwStatus(1), 0);
  t.true(irq());
  const again = driver.irqHandler();
  t.true(again instanceof Map && again.get(1)?.has('disconnection'), 'detection now reads open circuit');
  t.false(irq());
});

test('overload past the policing limit: PCUT, over-current and disconnection, saved policy written again', (t) => {
  const { driver, model, irq, client } = bound();
  model.attachPd(2, pd(1, 3_000));
  driver.irqHandler();
  t.is(driver.setPwLimit(1, 5_000), 0);
  t.is(driver.piEnable(1), 0);
  t.is(driver.getPwLimitMw(1), 5_000);
  t.true(model.overload(2));
  t.is(driver.getPwStatus(1), 0);
  t.is(client.readWordData(0x1e + 2) & 0xff, 0xff, 'the chip reset the policing register');
  t.true(irq());
  const n = driver.irqHandler();
  t.deepEqual(n instanceof Map ? [...(n.get(1) ?? [])].sort() : n, ['disconnection', 'over-current']);
  t.false(irq(), 'reading FAULT EVENT at its clear-on-read address released INT');
  t.is(driver.getPwLimitMw(1), 5_000, 'tps23881_irq_event_over_current re-applied pw_pol');
});

test('over-temperature: SUPF with TSD notifies every PI and the SUPPLY/FAULT EVENT read frees INT', (t) => {
  const { driver, model, irq } = bound();
  model.attachPd(2, pd(2));
  driver.irqHandler();
  driver.piEnable(1);
  model.overTemperature();
  t.is(driver.getPwStatus(1), 0);
  t.true(irq());
  const n = driver.irqHandler();
  t.true(n instanceof Map);
  if (n instanceof Map) {
    t.deepEqual([...n.keys()].sort(), [0, 1]);
    t.true(n.get(0)?.has('over-temp'));
  }
  t.false(irq());
});

test('interrupt storm: events the handler does not read keep INT asserted, and the driver logs it', (t) => {
  // An ILIM fault sets INTERRUPT.IFAULT through START/ILIM EVENT, which tps23881_irq_event_handler never
  // reads (it reads FAULT EVENT for IFAULT): the line stays asserted and the handler gives up after 11 reads.
  const { driver, model, irq, client } = bound();
  model.attachPd(2, pd(2));
  driver.irqHandler();
  driver.piEnable(1);
  driver.irqHandler();
  t.false(irq());
  t.true(model.currentLimitFault(2));
  t.true(irq());
  t.is(driver.irqHandler(), -ETIMEDOUT);
  t.true(driver.log.includes('interrupt never freed'));
  t.true(irq(), 'the pin is still asserted: the kernel would run the handler again at the next poll');
  // A handler that reads the even (read-only) twin instead of the clear-on-read address frees nothing either.
  client.readWordData(0x08);
  t.true(irq());
  client.readWordData(0x09);
  t.false(irq(), 'the clear-on-read address releases it');
});

test('a class 5 single-signature PD: the DISC code 8 the driver skips as "unknown class" (no classification event)', (t) => {
  const { driver, model } = bound();
  model.attachPd([0, 1], pd(5));
  const n = driver.irqHandler();
  t.true(n instanceof Map);
  // tps23881_irq_event_classification: `if (!val || val == 0x8 || val == 0xf) continue;` while
  // tps23881_power_class_table[8] is 45000: pse_core never learns a PD is there (isr_pd_detected stays false).
  if (n instanceof Map) t.deepEqual([...(n.get(0) ?? [])], ['detection']);
});

test('with a clock, a port cut for overcurrent waits out the cool-down before it detects again', (t) => {
  const clock = new VirtualClock();
  const { driver, model, irq } = bound({ clock, coolDownNs: ms(1000) });
  model.attachPd(2, pd(2, 5_000));
  driver.irqHandler();
  driver.piEnable(1);
  model.setLoad(2, 20_000); // past the 7 W class 2 limit, and it stays there
  t.is(driver.getPwStatus(1), 0);
  driver.irqHandler();
  // pse_core answers the disconnection with pi_disable: PWOFF, then detection and classification enabled again.
  t.is(driver.piDisable(1), 0);
  t.false(irq(), 'cooling down: no detection cycle yet');
  clock.advance(ms(999));
  t.false(irq());
  clock.advance(ms(1));
  t.true(irq(), 'detection ran after the cool-down');
  const n = driver.irqHandler();
  t.true(n instanceof Map && n.get(1)?.has('classification'));
});
