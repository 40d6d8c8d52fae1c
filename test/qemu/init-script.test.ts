import test from 'ava';
import { spawnSync } from 'node:child_process';
import { generateInitScript, type GuestModule } from '../../src/qemu/init-script.js';
import { readAgentScript } from '../../src/qemu/initramfs.js';
import { parseScenario } from '../../src/scenario/index.js';

const modules = new Map<string, GuestModule>([
  ['at24', { name: 'at24', file: 'at24.ko', depends: ['regmap_i2c'] }],
  ['regmap_i2c', { name: 'regmap_i2c', file: 'regmap-i2c.ko', depends: [] }],
  ['mdio_mvusb', { name: 'mdio_mvusb', file: 'mdio-mvusb.ko', depends: [] }],
]);

const { scenario } = parseScenario(
  JSON.stringify({
    dts: 'x.dts',
    steps: [
      { action: 'load-module', module: 'mdio-mvusb' },
      { delayMs: 100, action: 'load-module', module: 'at24' },
      { action: 'unbind', bus: 'platform', driver: 'PSE regulator', device: "it's" },
      { delayMs: 250, action: 'usb-disconnect', device: '&mvusb' },
      { action: 'pse-unregister', controller: '/ethernet-pse' },
    ],
    expect: [],
  }),
  'x.scenario.json',
);

test('the generated /init is valid sh: one function per step, dependencies first, sysfs names quoted', async (t) => {
  const script = generateInitScript({
    scenario,
    modules,
    watchPaths: ['/a', '/b'],
    eepromReads: [],
    agent: await readAgentScript(),
  });
  const check = spawnSync('sh', ['-n'], { input: script });
  t.is(check.status, 0, check.stderr.toString());
  const insmods = [...script.matchAll(/insmod \/lib\/modules\/'([^']+)'/g)].map((m) => m[1]);
  t.deepEqual(insmods, ['mdio-mvusb.ko', 'regmap-i2c.ko', 'at24.ko']);
  t.true(script.includes(`write_sysfs 'it'\\''s' '/sys/bus/platform/drivers/PSE regulator/unbind'`));
  // The delay is the guest's own (usleep, microseconds), before the start is logged with the kernel's timestamp.
  t.regex(
    script,
    /step_3\(\) \{\n {2}usleep 250000\n {2}trace_mark 'step 3 usb-disconnect'\n {2}log step 3 start\n\}/,
  );
  // A hardware step only announces its start: the host carries it out, so it runs no command and logs no end.
  t.false(/run_logged 3 /.test(script));
  t.regex(script, /step_4\(\) \{[^}]*pse_unbind '\/ethernet-pse'/);
});

test('the agent answers the host: `s N` runs step N and logs start and end to the kernel log', (t) => {
  // Run the generated script's step part with stub helpers in a plain sh: what it logs is what the host reads.
  const script = generateInitScript({ scenario, modules, watchPaths: [], eepromReads: [], agent: 'true' });
  const body = script.replace(/^true$/m, '');
  const stubs = `log() { echo "LOG $*"; }\ntrace_mark() { :; }\nusleep() { :; }\nrun_logged() { shift; echo "RUN $*"; return 0; }\nwrite_sysfs() { :; }\npse_unbind() { :; }\n`;
  const r = spawnSync('sh', ['-c', `${stubs}${body}\nstep_1\nstep_3`], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n'), [
    'LOG step 1 start',
    'RUN insmod /lib/modules/regmap-i2c.ko',
    'RUN insmod /lib/modules/at24.ko',
    'LOG step 1 done rc=0',
    'LOG step 3 start',
  ]);
});
