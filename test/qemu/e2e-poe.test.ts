import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseGuestTrace } from '../../src/qemu/guest-observations.js';
import { parseSmbusTrace, type ChipFirmware, type I2cReplayResult } from '../../src/qemu/i2c-replay.js';
import { TPS23881_FIRMWARE_FILES } from '../../src/pse/index.js';
import type { RunReport } from '../../src/scenario/index.js';
import { failed, newestGuest, output, runOnce, traceLines } from './newest-guest.js';

/**
 * PoE at register level, end to end: the newest Debian kernel (Linux 7.2) under stock QEMU, its own
 * hid-cp2112 and tps23881 drivers against the CP2112 and TPS23881 models, Debian's ethtool 7.2 in the guest.
 * Expected values come from the kernel sources (drivers/net/pse-pd/tps23881.c, pse_core.c), IEEE 802.3
 * (class power, Table 33-6), the firmware files the guest was given, and the guest's own traces; the
 * run's verdicts are checked, never trusted alone.
 */
const PSE = '/pcie@10000000/usb@2,0/device@6/i2c/ethernet-pse@20';

const { kernel, missing } = await newestGuest();

/** `Clause 33 PSE <field>: <value>` of a --show-pse output. */
const field = (lines: readonly string[], name: string): string | undefined =>
  lines
    .find((l) => l.startsWith(`Clause 33 PSE ${name}: `))
    ?.slice(`Clause 33 PSE ${name}: `.length)
    .trim();
const i2c = (r: RunReport) =>
  r.details.i2c as { transfers: number; chips: ChipFirmware[]; replay: I2cReplayResult | null };
/** The guest's console: every kernel message as a kmsg record (`6,257,3082955,-;tps23881 0-0020: ...`). */
const kernelLog = (r: RunReport): string[] =>
  readFileSync(r.files.console ?? '', 'utf8')
    .split(/\r?\n/)
    .flatMap((l) => {
      const m = /^\d+,\d+,\d+,[^;]*;(.*)$/.exec(l);
      return m ? [m[1] ?? ''] : [];
    });
/** `Events: ...` lines of `ethtool --monitor`, in order. */
const events = (lines: readonly string[]): string[] =>
  lines.filter((l) => l.startsWith('Events: ')).map((l) => l.slice('Events: '.length));
/** The handler's interrupt count in /proc/interrupts (`18:  10  cp2112-gpio  3 Level  pse-0-0020:tps23881-irq`). */
const irqCount = (lines: readonly string[]): number | undefined => {
  const m = /^\s*\d+:\s+(\d+)\s+cp2112-gpio\s+3\s+Level\s+pse-0-0020:tps23881-irq$/.exec(
    lines.find((l) => l.includes('tps23881-irq')) ?? '',
  );
  return m ? Number(m[1]) : undefined;
};
/** How the run's classifier says each PSE-powered PHY got its PSE: [PHY path, behaviour]. */
const pseAttach = (r: RunReport): [string, string][] =>
  (r.details.pseAttach as { phy: string; behaviour: string }[]).map((f) => [f.phy, f.behaviour]);

if (missing && process.env.CI === 'true') {
  test('PoE end-to-end prerequisites are installed (CI)', (t) => {
    t.fail(`CI must run the PoE end-to-end tests, but ${missing}`);
  });
} else if (missing) {
  console.log(`test/qemu/e2e-poe: skipping the PoE end-to-end tests: ${missing}`);
  test.skip(`PoE end-to-end tests (${missing})`, () => {});
} else if (kernel) {
  const run = runOnce(kernel);

  test.serial(
    'tps23881 binds through the CP2112 after downloading the firmware files the guest holds, byte for byte',
    async (t) => {
      const r = await run('tps23881');
      t.is(r.end.reason, 'settled', r.end.detail);
      t.true(r.pass, failed(r));
      // A busy host can make hid-cp2112 time out during the probe; the scenario binds again (at most 5 times).
      t.log(output(r, 'tps-bound').join(' '));
      t.true(
        kernelLog(r).some((l) => /tps23881 0-0020: Firmware revision 0xe$/.test(l)),
        'the driver read FWREV 14 after the download (tps23881_i2c_probe)',
      );
      // What the guest wrote into SRAM_DATA (0x61) between the SRAM_CTRL (0x60) steps is what the files hold.
      const writes = parseSmbusTrace(traceLines(r)).filter((x) => x.op === 'write');
      const parts: number[][] = [];
      for (const w of writes) {
        if (w.command === 0x60) parts.push([]);
        else if (w.command === 0x61) parts.at(-1)?.push(w.data[0] ?? -1);
      }
      const files = [TPS23881_FIRMWARE_FILES.parity, TPS23881_FIRMWARE_FILES.sram].map((rel) => [
        ...readFileSync(join(reportFirmware(r), rel)),
      ]);
      t.deepEqual(
        parts.filter((p) => p.length > 0),
        files,
        'the SMBus byte writes to SRAM_DATA are the two files in order',
      );
      t.deepEqual(
        i2c(r).chips.map((c) => [c.path, c.variant, c.firmware.state, c.firmware.mismatch]),
        [[PSE, 'tps23881', 'sram', undefined]],
        'the model checked the download and runs the SRAM code',
      );
      t.regex(
        output(r, 'monitor').join('\n'),
        /cp2112-gpio\s+3\s+Level\s+pse-0-0020:tps23881-irq/,
        'the interrupt is CP2112 GPIO 3, level (low), named by pse_core',
      );
    },
  );

  test.serial(
    'ethtool --show-pse reports admin state, detection status, class, actual power and class limits',
    async (t) => {
      const r = await run('tps23881');
      const before = output(r, 'monitor');
      t.is(field(before, 'Admin State'), 'disabled', 'tps23881 starts with its ports off');
      t.is(field(output(r, 'enable'), 'Admin State'), 'enabled');
      // IEEE 802.3 Table 33-6: class 2 and 4 PSE output power 7.0 and 30.0 W; the PD draws 80 % of it.
      for (const [step, cls, limit] of [
        ['powered', '2', 7000],
        ['powered4', '4', 30000],
      ] as const) {
        const out = output(r, step);
        t.is(field(out, 'Power Detection Status'), 'delivering power', step);
        t.is(field(out, 'Power Class'), cls, step);
        t.is(Number(field(out, 'Available Power Limit')), limit, step);
        // Actual power: the driver's product of the channel's current and voltage registers.
        const actual = Number(field(out, 'Actual Power'));
        t.true(Math.abs(actual - limit * 0.8) <= 10, `${step}: actual ${actual} mW`);
      }
      t.deepEqual(
        output(r, 'powered').filter((l) => l.startsWith('\t\t')),
        ['\t\tmin 2000', '\t\tmax 99900'],
        'limit range of tps23881_pi_get_pw_limit_ranges(): 2 W to 99.9 W',
      );
      // tps23881_ethtool_get_status() knows only delivering and disabled: a PD-less enabled port is "disabled".
      t.is(field(output(r, 'unpowered'), 'Power Detection Status'), 'disabled');
      t.is(field(output(r, 'unpowered'), 'Power Class'), undefined);
    },
  );

  test.serial('PD actions reach the driver as PSE events, which ethtool --monitor prints', async (t) => {
    const r = await run('tps23881');
    const seen = events(output(r, 'events'));
    t.log(seen.join(' | '));
    // Class 2 connects (detection, then classification 1.5 s later), leaves, class 4 connects and overloads.
    const want = ['detection', 'classification', 'disconnection', 'detection', 'classification'];
    t.deepEqual(seen.slice(0, 1), ['detection']);
    // A transfer hid-cp2112 timed out on while pse_core powers the PI adds "software power control error" to
    // the classification's notification; the scenario then cycles the admin state (docs/guest-kernel.md).
    let at = 0;
    for (const w of want) {
      const i = seen.findIndex((e, k) => k >= at && e.split(' ')[0] === w);
      t.true(i >= at, `"${w}" after event ${at}: ${seen.join(', ')}`);
      at = i + 1;
    }
    t.true(
      seen.slice(at).some((e) => /\bover-current\b/.test(e)),
      'the overload is an over-current event (tps23881_irq_event_over_current)',
    );
    t.not(field(output(r, 'after-overload'), 'Power Detection Status'), 'delivering power');
    // The invalid signature is detected as no PD: never classified, never powered.
    const invalidAt = seen.lastIndexOf('classification');
    t.true(invalidAt < seen.length - 1, 'events follow the last classification');
    t.not(field(output(r, 'invalid'), 'Power Detection Status'), 'delivering power');
  });

  test.serial(
    'every interrupt is released: no "interrupt never freed", a handful of interrupts per event',
    async (t) => {
      const r = await run('tps23881');
      t.false(kernelLog(r).some((l) => /interrupt never freed/.test(l)));
      const count = irqCount(output(r, 'events'));
      const pseEvents = events(output(r, 'events')).length;
      t.log(`${count ?? '?'} interrupts for ${pseEvents} PSE events`);
      // An INT pin left low is handled on every 10-jiffy GPIO poll: hundreds over this run.
      t.true(count !== undefined && count >= pseEvents / 2 && count <= 3 * pseEvents + 5, String(count));
    },
  );

  test.serial(
    'the admin disable reaches the chip: the driver writes its power-off pushbutton, the model acknowledges',
    async (t) => {
      const r = await run('tps23881');
      const lines = traceLines(r);
      const index = r.steps.findIndex((s) => s.id === 'disable');
      const from = parseGuestTrace(lines).find(
        (g) => g.kind === 'marker' && g.text.startsWith(`mdio-emu step ${index} `),
      );
      t.truthy(from);
      // PW_EN (0x19): bits 7:4 switch channels off (tps23881_pi_disable()).
      const offWrites = parseSmbusTrace(lines).filter(
        (x) => x.ts >= (from?.ts ?? Infinity) && x.op === 'write' && x.command === 0x19,
      );
      t.true(
        offWrites.some((x) => ((x.data[0] ?? 0) & 0xf0) !== 0 && x.res === 0),
        JSON.stringify(offWrites),
      );
      t.is(field(output(r, 'disable'), 'Admin State'), 'disabled');
    },
  );

  test.serial("the guest's SMBus trace replays against a fresh TPS23881 with zero differences", async (t) => {
    const r = await run('tps23881');
    const replay = i2c(r).replay;
    t.truthy(replay);
    t.deepEqual(replay?.differences, []);
    t.true((replay?.reads ?? 0) > 100, `reads ${replay?.reads ?? 0}`);
    t.is(replay?.checked, parseSmbusTrace(traceLines(r)).length);
    t.deepEqual(replay?.busMap, { 'i2c-0': '/pcie@10000000/usb@2,0/device@6/i2c' });
    t.log(
      `${replay?.checked ?? 0} transfers, ${replay?.reads ?? 0} reads, timing ${replay?.timing ?? '?'}, ` +
        `${replay?.guestTimeouts ?? 0} timed out in the guest`,
    );
    const verdict = r.expectations.find((e) => e.expectation.kind === 'replay-verify');
    t.is(verdict?.status, 'held', verdict?.message);
  });

  test.serial('TPS23881B: ROM firmware, no download, a class 3 PD powered', async (t) => {
    const r = await run('tps23881b');
    t.true(r.pass, failed(r));
    t.true(kernelLog(r).some((l) => /tps23881 0-0020: Firmware revision 0x0 \(ROM firmware\)$/.test(l)));
    const xfers = parseSmbusTrace(traceLines(r));
    t.false(
      xfers.some((x) => x.op === 'write' && (x.command === 0x60 || x.command === 0x61)),
      'no SRAM_CTRL or SRAM_DATA writes (tps23881_info[TPS23881B] names no firmware)',
    );
    t.deepEqual(xfers.find((x) => x.op === 'read' && x.command === 0x43)?.data, [0x24], 'DEVID reads 0x24');
    t.deepEqual(
      i2c(r).chips.map((c) => [c.variant, c.firmware.state]),
      [['tps23881b', 'rom']],
    );
    t.is(field(output(r, 'powered'), 'Power Class'), '3');
    // Class 3 is 15.4 W (Table 33-6); the chip's policing register counts 0.5 W (TPS23881_MW_STEP).
    t.true(Math.abs(Number(field(output(r, 'powered'), 'Available Power Limit')) - 15400) <= 250);
    // c33-pse-avail-pw-limit: tps23881_pi_set_pw_limit() sets manual policing (FOLDBACK) and the channel's
    // 2P POLICE (0x1e-0x21, by the channel PORT_MAP gave the PI) to 13000 / 500 = 26 steps, which the driver
    // reads back; the 12.3 W PD stays powered under it.
    const limit = output(r, 'limit');
    t.is(field(limit, 'Available Power Limit'), '13000');
    t.is(field(limit, 'Power Detection Status'), 'delivering power');
    const police = parseSmbusTrace(traceLines(r)).filter(
      (x) => x.op === 'write' && x.command >= 0x1e && x.command <= 0x21,
    );
    t.true(
      police.some((x) => x.data.includes(26) && x.res === 0),
      JSON.stringify(police),
    );
    t.deepEqual(i2c(r).replay?.differences, []);
  });

  test.serial(
    'Linux 7.2 drops a classification that arrives in the same interrupt as its detection (known bug)',
    async (t) => {
      const r = await run('tps23881-one-irq');
      t.true(r.pass, failed(r));
      t.deepEqual(
        events(output(r, 'events')).slice(0, 1),
        ['detection classification'],
        'the driver reports both in one notification',
      );
      const out = output(r, 'powered');
      t.is(field(out, 'Power Class'), '2', 'the chip classified the PD');
      t.is(field(out, 'Admin State'), 'enabled');
      t.is(field(out, 'Power Detection Status'), 'disabled', 'but pse_core never powered it');
      const bug = r.expectations.find((e) => e.expectation.knownBug !== undefined);
      t.is(bug?.status, 'expected-failure', bug?.message);
    },
  );
  test.serial(
    "7.2 retries a PHY's deferred probe without end while its PSE driver never loads",
    async (t) => {
      const r = await run('tps23881-pse-never');
      t.true(r.pass, failed(r));
      const lan = '/pcie@10000000/usb@2,0/ethernet@5';
      const attempts = r.deferrals.find((d) => d.node === lan)?.attempts ?? 0;
      t.log(`${attempts} probe attempts of lan78xx in the 3 s wait`);
      // Linux 6.1 defers such a probe once or twice (test/qemu/e2e.test.ts, pse-late); 7.2 keeps going.
      t.true(attempts >= 5, String(attempts));
      t.false(output(r, 'wait').includes('eth0'));
      // Each attempt registers the PHY before its PSE lookup and removes it on the deferral; the run ends
      // mid-attempt with one registered, which is still no attach without the PSE.
      t.deepEqual(pseAttach(r), [[`${lan}/mdio/ethernet-phy@1`, 'probe-time-deferral']]);
    },
  );

  test.serial(
    'tps23881 loaded late: the deferred lan78xx probe binds once the controller registers',
    async (t) => {
      const r = await run('tps23881-late');
      t.true(r.pass, failed(r));
      const lan = '/pcie@10000000/usb@2,0/ethernet@5';
      const attempts = r.deferrals.find((d) => d.node === lan)?.attempts ?? 0;
      t.log(`${attempts} probe attempts of lan78xx before tps23881 registered`);
      t.true(attempts >= 1, String(attempts));
      // lan78xx never bound before the controller did: probe-time deferral, not a notifier-based attach.
      t.deepEqual(pseAttach(r), [[`${lan}/mdio/ethernet-phy@1`, 'probe-time-deferral']]);
      const attached = output(r, 'attached');
      t.true(attached.includes('eth0'), attached.join('\n'));
      t.truthy(field(attached, 'Admin State'), 'ethtool --show-pse answers for the late PSE');
      t.deepEqual(i2c(r).replay?.differences, []);
    },
  );

  test.serial(
    '7.2 Oopses in pse_ethtool_get_status() after tps23881 is unbound under the PHY (known bug)',
    async (t) => {
      const r = await run('tps23881-removed');
      t.is(output(r, 'show')[0], 'PSE attributes for eth0:', 'the PSE was reachable before the unbind');
      const oops = r.reports.find((k) => k.report === 'oops' && k.frames.includes('pse_ethtool_get_status'));
      t.truthy(oops, JSON.stringify(r.reports));
      t.log(`kernel reports: ${r.reports.map((k) => k.title).join('; ') || 'none'}`);
      const bug = r.expectations.find((e) => e.expectation.knownBug !== undefined);
      t.is(bug?.status, 'expected-failure', bug?.message);
    },
  );
}

/** The firmware directory the run packed into the guest's /lib/firmware. */
function reportFirmware(r: RunReport): string {
  const dir = r.files.firmware;
  if (dir === undefined) throw new Error('the report names no firmware directory');
  return dir;
}
