import test from 'ava';
import { spawnSync } from 'node:child_process';
import { generateInitScript, type GuestModule } from '../../src/qemu/init-script.js';
import { readInitShell } from '../../src/qemu/initramfs.js';
import { parseScenario } from '../../src/scenario/index.js';

const modules = new Map<string, GuestModule>([
  ['at24', { name: 'at24', file: 'at24.ko', depends: ['regmap_i2c'] }],
  ['regmap_i2c', { name: 'regmap_i2c', file: 'regmap-i2c.ko', depends: [] }],
  ['mdio_mvusb', { name: 'mdio_mvusb', file: 'mdio-mvusb.ko', depends: [] }],
]);

const scenario = parseScenario(
  JSON.stringify({
    dts: 'x.dts',
    clock: 'wall',
    timeline: [
      { at: 0, action: 'load-module', module: 'mdio-mvusb' },
      { at: 100, action: 'load-module', module: 'at24' },
      { at: 200, action: 'unbind', bus: 'platform', driver: 'PSE regulator', device: "it's" },
      { at: 300, action: 'usb-disconnect', device: '&mvusb' },
    ],
    expect: [],
  }),
);

test('the generated /init is valid sh, loads dependencies first and quotes sysfs names', async (t) => {
  const script = generateInitScript({
    scenario,
    modules,
    watchPaths: ['/a', '/b'],
    eepromReads: [],
    shell: await readInitShell(),
  });
  const check = spawnSync('sh', ['-n'], { input: script });
  t.is(check.status, 0, check.stderr.toString());
  const insmods = [...script.matchAll(/insmod \/lib\/modules\/'([^']+)'/g)].map((m) => m[1]);
  t.deepEqual(insmods, ['mdio-mvusb.ko', 'regmap-i2c.ko', 'at24.ko']);
  t.true(script.includes(`write_sysfs 'it'\\''s' '/sys/bus/platform/drivers/PSE regulator/unbind'`));
  // Emulator-side actions are only announced to the host: no guest command runs for them.
  t.true(script.includes(`mark action '"index":3'`));
  t.false(/run_logged 3 /.test(script));
});
