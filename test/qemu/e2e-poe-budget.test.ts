import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseSmbusTrace, type I2cReplayResult } from '../../src/qemu/i2c-replay.js';
import type { RunReport } from '../../src/scenario/index.js';
import { failed, newestGuest, output, runOnce, traceLines } from './newest-guest.js';

/**
 * PoE budgets, priorities and 4-pair PDs end to end: Linux 7.2 under stock QEMU with two LAN7801s, one per PI
 * of a TPS23881 behind a CP2112 (dts/qemu-tps23881-budget.dts), Debian's ethtool 7.2 in the guest. Expected
 * values come from the kernel sources (pse_core.c's static budget strategy, tps23881_power_class_table,
 * tps23881_pi_get_pw_limit(), the regulator core's power budget), from the device tree (45000 mW, 100000 mW)
 * and from the guest's own outputs; the runs' verdicts are checked, never trusted alone.
 */
const { kernel, missing } = await newestGuest();

/** The `ethtool --show-pse <ifname>` block of a step's output (from its header to the next header). */
const showPse = (lines: readonly string[], ifname: string): string[] => {
  const at = lines.lastIndexOf(`PSE attributes for ${ifname}:`);
  if (at < 0) return [];
  const end = lines.findIndex((l, i) => i > at && l.startsWith('PSE attributes for '));
  return lines.slice(at + 1, end < 0 ? undefined : end);
};
/** `Clause 33 PSE <name>: <value>` or `<name>: <value>` of a --show-pse block. */
const field = (block: readonly string[], name: string): string | undefined => {
  for (const prefix of [`Clause 33 PSE ${name}: `, `${name}: `]) {
    const line = block.find((l) => l.startsWith(prefix));
    if (line !== undefined) return line.slice(prefix.length).trim();
  }
  return undefined;
};
/** vpwr's `power_requested_milliwatt/power_budget_milliwatt` as the scenario prints them. */
const vpwr = (lines: readonly string[]): [number, number] | undefined => {
  const m = /^vpwr (\d+)\/(\d+) mW$/.exec(lines.findLast((l) => l.startsWith('vpwr ')) ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
};
/** `ethtool --monitor`'s notifications, in order: [ifname, events]. */
const notifications = (lines: readonly string[]): [string, string][] => {
  const out: [string, string][] = [];
  lines.forEach((l, i) => {
    const m = /^PSE event for (\S+):$/.exec(l);
    const ev = lines[i + 1];
    if (m && ev?.startsWith('Events: ')) out.push([m[1] ?? '', ev.slice('Events: '.length).trim()]);
  });
  return out;
};
/** The regulator core's refusals, `vpwr: power requested <req> mW out of budget <left> mW`, in order. */
const refusals = (r: RunReport): [number, number][] =>
  readFileSync(r.files.console ?? '', 'utf8')
    .split(/\r?\n/)
    .flatMap((l) => {
      const m = /^\d+,\d+,\d+,[^;]*;.*vpwr: power requested (\d+) mW out of budget (-?\d+) mW$/.exec(l);
      return m ? [[Number(m[1]), Number(m[2])] as [number, number]] : [];
    });
/** Runs of equal [requested, left] pairs: [requested, left, count]. */
const runs = (pairs: readonly [number, number][]): [number, number, number][] =>
  pairs.reduce<[number, number, number][]>((out, [a, b]) => {
    const last = out.at(-1);
    if (last && last[0] === a && last[1] === b) last[2]++;
    else out.push([a, b, 1]);
    return out;
  }, []);
const replay = (r: RunReport) => (r.details.i2c as { replay: I2cReplayResult | null }).replay;

/** tps23881_power_class_table: what the driver asks pse_core to allocate for a class code. */
const REQUEST_MW = { class3: 15_500, class4: 30_000, class8: 90_000 } as const;

if (missing && process.env.CI === 'true') {
  test('PoE budget end-to-end prerequisites are installed (CI)', (t) => {
    t.fail(`CI must run the PoE budget end-to-end tests, but ${missing}`);
  });
} else if (missing) {
  console.log(`test/qemu/e2e-poe-budget: skipping the PoE budget end-to-end tests: ${missing}`);
  test.skip(`PoE budget end-to-end tests (${missing})`, () => {});
} else if (kernel) {
  const run = runOnce(kernel);

  test.serial(
    'two LAN7801s, one per PI: eth0 is USB2 port 1 (PI 0), eth1 port 3 (PI 1), one power domain of 45000 mW',
    async (t) => {
      const r = await run('tps23881-budget');
      t.is(r.end.reason, 'settled', r.end.detail);
      t.true(r.pass, failed(r));
      t.deepEqual(output(r, 'names'), ['eth0 02:00:5e:10:00:01 1-1', 'eth1 02:00:5e:10:00:02 1-3']);
      const prio = output(r, 'prio');
      const [eth0, eth1] = [showPse(prio, 'eth0'), showPse(prio, 'eth1')];
      t.log([...eth0, ...eth1].join('\n'));
      // pse_ethtool_get_status(), static strategy: prio_max = nr_lines - 1 (tps23881: 8 lines).
      t.is(field(eth0, 'Max allowed priority'), '7');
      t.is(field(eth1, 'Max allowed priority'), '7');
      t.is(field(eth0, 'Priority'), '1', 'ethtool --set-pse eth0 prio 1');
      t.is(field(eth1, 'Priority'), '0');
      // Both PIs' regulators share the vpwr supply: one domain (ids are allocated from 1).
      t.truthy(field(eth0, 'Power domain index'));
      t.is(field(eth0, 'Power domain index'), field(eth1, 'Power domain index'));
      t.deepEqual(vpwr(prio), [0, 45_000], 'nothing requested before a PD is classified');
    },
  );

  test.serial(
    'the priority-0 PD takes the budget: eth0 goes off with an over-budget event, comes back when eth1 empties',
    async (t) => {
      const r = await run('tps23881-budget');
      const low = showPse(output(r, 'low-powered'), 'eth0');
      t.is(field(low, 'Power Detection Status'), 'delivering power');
      t.is(field(low, 'Power Class'), '4');
      t.deepEqual(vpwr(output(r, 'low-powered')), [REQUEST_MW.class4, 45_000]);

      const high = output(r, 'high-powered');
      t.is(field(showPse(high, 'eth1'), 'Power Detection Status'), 'delivering power');
      t.is(field(showPse(high, 'eth1'), 'Power Class'), '4', 'a class 4 PD on the 4-pair PI');
      t.is(field(showPse(high, 'eth0'), 'Admin State'), 'enabled', 'pse_core keeps the admin state');
      t.is(field(showPse(high, 'eth0'), 'Power Detection Status'), 'disabled');
      t.deepEqual(vpwr(high), [REQUEST_MW.class4, 45_000], 'one 30000 mW request held, by eth1');

      const back = output(r, 'low-back');
      t.is(field(showPse(back, 'eth0'), 'Power Detection Status'), 'delivering power');
      t.is(field(showPse(back, 'eth1'), 'Power Detection Status'), 'disabled');
      t.deepEqual(vpwr(back), [REQUEST_MW.class4, 45_000]);

      const ntf = notifications(output(r, 'events'));
      t.log(ntf.map(([i, e]) => `${i}: ${e}`).join(' | '));
      const overBudget = ntf.findIndex(([i, e]) => i === 'eth0' && /over-budget|over budget/.test(e));
      t.true(overBudget >= 0, 'pse_disable_pi_pol() notifies ETHTOOL_PSE_EVENT_OVER_BUDGET');
      t.false(
        ntf.some(([i, e]) => i === 'eth1' && /error/.test(e)),
        "pse_set_config_isr() swallows the outer loop's -ERANGE: no software power control error for eth1",
      );
    },
  );

  test.serial(
    "the regulator core's refusals: every turn of the allocation loop asks again, from priority 7 down",
    async (t) => {
      const r = await run('tps23881-budget');
      // pse_pi_allocate_pw_budget_static_prio() calls regulator_request_power_budget() once per turn, from
      // _prio = nr_lines (8) down to the PI's own priority, and each refusal is logged: eth1 (priority 0) is
      // refused 9 times (the last after the nested retry had already powered it), eth0 (priority 1), classified
      // again, 8 times; 45000 - 30000 = 15000 left each time. eth1's departure powers eth0 at the first request.
      t.deepEqual(runs(refusals(r)), [[REQUEST_MW.class4, 15_000, 9 + 8]]);
      t.deepEqual(replay(r)?.differences, []);
      t.is(replay(r)?.checked, parseSmbusTrace(traceLines(r)).length);
    },
  );

  test.serial(
    'a preempting request that fits twice is kept twice: vpwr leaks 15500 mW and eth0 never gets power back (7.2)',
    async (t) => {
      const r = await run('tps23881-budget-leak');
      t.true(r.pass, failed(r));
      const high = output(r, 'high-powered');
      t.is(field(showPse(high, 'eth1'), 'Power Detection Status'), 'delivering power');
      t.is(field(showPse(high, 'eth1'), 'Power Class'), '3');
      t.is(field(showPse(high, 'eth0'), 'Power Detection Status'), 'disabled');
      // Two requests of 15500 mW for the one class 3 PI (pse_pi_allocate_pw_budget_static_prio()).
      t.deepEqual(vpwr(high), [2 * REQUEST_MW.class3, 45_000]);
      const after = output(r, 'after-leave');
      t.is(field(showPse(after, 'eth1'), 'Power Detection Status'), 'disabled');
      t.is(field(showPse(after, 'eth0'), 'Power Detection Status'), 'disabled', 'never powered again');
      t.deepEqual(vpwr(after), [REQUEST_MW.class3, 45_000], 'held for nothing');
      // eth1 (priority 0): refused at priorities 8 down to 1, then the 9th request fits (after the nested
      // one); eth0 (priority 1), classified again: 8 refusals against 31000 held, and 8 more after eth1 left.
      t.deepEqual(runs(refusals(r)), [
        [REQUEST_MW.class3, 15_000, 8],
        [REQUEST_MW.class4, 45_000 - 2 * REQUEST_MW.class3, 8],
        [REQUEST_MW.class4, 45_000 - REQUEST_MW.class3, 8],
      ]);
      const bugs = r.expectations.filter((e) => e.expectation.knownBug !== undefined);
      t.true(bugs.length > 0);
      for (const b of bugs) t.is(b.status, 'expected-failure', b.message);
      t.deepEqual(replay(r)?.differences, []);
    },
  );

  test.serial(
    'a 4-pair single-signature class 8 PD: class 8, 90000 mW requested and policed, both channels measured',
    async (t) => {
      const r = await run('tps23881-4pair');
      t.true(r.pass, failed(r));
      const eth1 = showPse(output(r, 'class8'), 'eth1');
      t.log(eth1.join('\n'));
      t.is(field(eth1, 'Power Detection Status'), 'delivering power');
      t.is(field(eth1, 'Power Class'), '8');
      // tps23881_pi_get_pw_limit(): the two channels' 2-pair policing, 90 steps of 0.5 W each.
      t.is(Number(field(eth1, 'Available Power Limit')), 90_000);
      // The PD draws 80 % of 90 W; tps23881_pi_get_actual_pw() adds both channels' currents.
      const actual = Number(field(eth1, 'Actual Power'));
      t.true(Math.abs(actual - 72_000) <= 30, `actual ${actual} mW`);
      t.deepEqual(vpwr(output(r, 'class8')), [REQUEST_MW.class8, 100_000]);
      t.deepEqual(vpwr(output(r, 'unpowered8')), [0, 100_000], 'the disconnection frees it');
    },
  );

  test.serial(
    'a 4-pair PI disabled once never detects again: the second class 8 PD is not even notified (7.2)',
    async (t) => {
      const r = await run('tps23881-4pair');
      const eth1 = showPse(output(r, 'again'), 'eth1');
      t.is(field(eth1, 'Admin State'), 'enabled');
      t.is(field(eth1, 'Power Detection Status'), 'disabled');
      t.is(field(eth1, 'Power Class'), undefined, 'logical channel 0 never classified it');
      t.deepEqual(vpwr(output(r, 'again')), [0, 100_000]);
      // The first PD's three notifications and nothing for the second (tps23881_set_notifs_helper() looks at
      // chan[0], whose detection tps23881_pi_disable() left off).
      t.deepEqual(notifications(output(r, 'events')), [
        ['eth1', 'detection'],
        ['eth1', 'classification'],
        ['eth1', 'disconnection'],
      ]);
      // DET_CLA_EN (0x14) as the driver last wrote it: DETE2/CLE2 (0x22) without DETE1/CLE1 (0x11).
      const detCla = parseSmbusTrace(traceLines(r)).filter((x) => x.op === 'write' && x.command === 0x14);
      t.is((detCla.at(-1)?.data[0] ?? -1) & 0x33, 0x22, JSON.stringify(detCla.at(-1)));
      const bug = r.expectations.find((e) => e.expectation.knownBug !== undefined);
      t.is(bug?.status, 'expected-failure', bug?.message);
      t.deepEqual(replay(r)?.differences, []);
    },
  );

  test.serial(
    'a 4-pair single-signature class 5 PD is detected, shown as class 5, never classified for pse_core (7.2)',
    async (t) => {
      const r = await run('tps23881-4pair-ds');
      t.true(r.pass, failed(r));
      const eth1 = showPse(output(r, 'class5'), 'eth1');
      t.is(field(eth1, 'Admin State'), 'enabled');
      t.is(field(eth1, 'Power Detection Status'), 'disabled');
      t.is(field(eth1, 'Power Class'), '5', "the chip's assigned class, read by tps23881_pi_get_pw_class()");
      t.deepEqual(vpwr(output(r, 'class5')), [0, 100_000], 'nothing was ever requested');
      const bugs = r.expectations.filter((e) =>
        e.expectation.knownBug?.some((b) => b.name === 'tps23881-class5-unreported'),
      );
      t.is(bugs.length, 2, 'delivering power, 45000 mW held');
      for (const b of bugs) t.is(b.status, 'expected-failure', b.message);
      // Detection, the departure, then the dual-signature PD's detection and classification.
      t.deepEqual(notifications(output(r, 'events')), [
        ['eth1', 'detection'],
        ['eth1', 'disconnection'],
        ['eth1', 'detection'],
        ['eth1', 'classification'],
      ]);
    },
  );

  test.serial(
    "a dual-signature PD on the 4-pair PI: powered, but class and budget are pairset A's alone",
    async (t) => {
      const r = await run('tps23881-4pair-ds');
      const eth1 = showPse(output(r, 'dual'), 'eth1');
      t.log(eth1.join('\n'));
      t.is(field(eth1, 'Power Detection Status'), 'delivering power');
      t.is(field(eth1, 'Power Class'), '3', 'tps23881_pi_get_pw_class() reads logical channel 0 (pairset A)');
      // Policing per pairset at its class power: 15.4 W is 31 steps of 0.5 W, 30 W is 60.
      t.is(Number(field(eth1, 'Available Power Limit')), 15_500 + 30_000);
      // The PD draws 80 % of 15.4 + 30 W over both pairsets, which the driver measures...
      const actual = Number(field(eth1, 'Actual Power'));
      t.true(Math.abs(actual - 36_320) <= 30, `actual ${actual} mW`);
      // ...while pse_core budgets pairset A's class 3 only.
      t.deepEqual(vpwr(output(r, 'dual')), [REQUEST_MW.class3, 100_000]);
      t.deepEqual(replay(r)?.differences, []);
    },
  );
}
