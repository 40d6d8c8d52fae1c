import test from 'ava';
import { generateInitScript } from '../../src/qemu/init-script.js';
import { readInitShell } from '../../src/qemu/initramfs.js';
import { spawnSync } from 'node:child_process';
import { ConfigError } from '../../src/scenario/errors.js';
import { parseScenario } from '../../src/scenario/index.js';
import { parseQemuScenario, qemuActionSide } from '../../src/scenario/qemu-kinds.js';

const file = (timeline: unknown[], expect: unknown[]): string =>
  JSON.stringify({ dts: 'x.dts', clock: 'wall', timeline, expect });
const timeline = [
  { at: 0, id: 'load', action: 'load-module', module: 'lan78xx' },
  { at: 100, id: 'show', action: 'run', command: "ethtool --show-pse eth0 | grep 'Admin State'" },
  { at: 200, id: 'out', action: 'cable-unplug', phy: '&lan_phy' },
  { at: 300, action: 'cable-plug', phy: '/a/b' },
];

test('QEMU kinds parse: run, cable actions, command-output, guest-frames and replay-verify', (t) => {
  const s = parseQemuScenario(
    file(timeline, [
      { kind: 'command-output', event: 'show', pattern: 'enabled$', rc: 0 },
      { kind: 'guest-frames', device: '&lan7801', frames: 'icmp-echo-request', min: 2 },
      { kind: 'replay-verify' },
      { kind: 'traces-agree' },
    ]),
  );
  t.deepEqual(
    s.timeline.map((e) => qemuActionSide(e.action)),
    ['guest', 'guest', 'emulator', 'emulator'],
  );
  t.deepEqual(s.expect[0], { kind: 'command-output', event: 'show', pattern: 'enabled$', rc: 0 });
});

test('the plain parser (emulator-only and older callers) still rejects the QEMU kinds', (t) => {
  const err = t.throws(() => parseScenario(file(timeline, [])), { instanceOf: ConfigError });
  t.is(err.code, 'SCN004');
});

test('command-output must name a run entry, with a valid pattern and exit code', (t) => {
  const bad = (e: unknown): ConfigError =>
    t.throws(() => parseQemuScenario(file(timeline, [e])), { instanceOf: ConfigError });
  t.is(bad({ kind: 'command-output', event: 'load', pattern: 'x' }).code, 'SCN006');
  t.is(bad({ kind: 'command-output', event: 'nope', pattern: 'x' }).code, 'SCN006');
  t.is(bad({ kind: 'command-output', event: 'show', pattern: '(' }).code, 'SCN002');
  t.is(bad({ kind: 'command-output', event: 'show', pattern: 'x', rc: 256 }).code, 'SCN002');
  t.is(bad({ kind: 'guest-frames', device: '&x', frames: 'udp' }).code, 'SCN004');
  t.is(bad({ kind: 'replay-verify', extra: 1 }).code, 'SCN005');
});

test('run entries become logged `sh -c` commands in valid sh; cable entries run nothing in the guest', async (t) => {
  const scenario = parseQemuScenario(file(timeline, []));
  const script = generateInitScript({
    scenario,
    modules: new Map([['lan78xx', { name: 'lan78xx', file: 'lan78xx.ko', depends: [] }]]),
    watchPaths: [],
    eepromReads: [],
    shell: await readInitShell(),
  });
  t.is(spawnSync('sh', ['-n'], { input: script }).status, 0);
  t.true(script.includes(`run_logged 1 sh -c 'ethtool --show-pse eth0 | grep '\\''Admin State'\\'''`));
  t.false(/run_logged [23] /.test(script));
  t.true(script.includes(`mark action '"index":2'`));
});
