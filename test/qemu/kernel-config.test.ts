import test from 'ava';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkConfig, fragmentsFor, requestedOptions, VANISHED } from '../../src/qemu/kernel-config.js';

const scripts = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts');
const read = (f: string): string => readFileSync(join(scripts, f), 'utf8');

test('fragments per version and variant', (t) => {
  t.deepEqual(fragmentsFor('6.1', 'plain'), ['guest-kernel.config']);
  t.deepEqual(fragmentsFor('6.1', 'kasan'), ['guest-kernel.config', 'guest-kernel-kasan.config']);
  t.deepEqual(fragmentsFor('6.11', 'plain'), ['guest-kernel.config']);
  t.deepEqual(fragmentsFor('6.12', 'lockdep'), [
    'guest-kernel.config',
    'guest-kernel-6.12.config',
    'guest-kernel-lockdep.config',
  ]);
  t.deepEqual(fragmentsFor('7.2', 'plain'), [
    'guest-kernel.config',
    'guest-kernel-6.12.config',
    'guest-kernel-7.2.config',
  ]);
  t.deepEqual(fragmentsFor('7.10', 'kasan').at(-1), 'guest-kernel-kasan.config');
});

test('every fragment file exists and asks for something', (t) => {
  for (const v of ['6.1', '7.2'])
    for (const variant of ['plain', 'kasan', 'lockdep'] as const)
      for (const f of fragmentsFor(v, variant)) t.true(requestedOptions([read(f)]).size > 0, f);
});

test('the lockdep variant asks for lock proving with symbolised frames', (t) => {
  const want = requestedOptions([read('guest-kernel-lockdep.config')]);
  for (const s of [
    'PROVE_LOCKING',
    'DEBUG_LOCK_ALLOC',
    'LOCKDEP',
    'DEBUG_MUTEXES',
    'DEBUG_ATOMIC_SLEEP',
    'KALLSYMS',
    'STACKTRACE',
  ])
    t.is(want.get(s), 'y', s);
});

test('requested options: the last fragment wins, "is not set" asks for absence', (t) => {
  const want = requestedOptions([
    'CONFIG_A=m\n# comment\nCONFIG_B=y\n',
    'CONFIG_A=y\n# CONFIG_C is not set\n',
  ]);
  t.deepEqual(
    [...want],
    [
      ['A', 'y'],
      ['B', 'y'],
      ['C', 'n'],
    ],
  );
});

/** A .config that has every requested option, as olddefconfig writes it (plus unrelated lines). */
function fullConfig(fragments: string[]): string {
  const lines = [
    '#',
    '# Automatically generated file; DO NOT EDIT.',
    'CONFIG_CC_IS_GCC=y',
    '# CONFIG_FOO is not set',
  ];
  for (const [s, v] of requestedOptions(fragments))
    lines.push(v === 'n' ? `# CONFIG_${s} is not set` : `CONFIG_${s}=${v}`);
  return `${lines.join('\n')}\n`;
}
const without = (config: string, symbol: string): string =>
  config
    .split('\n')
    .filter((l) => !l.startsWith(`CONFIG_${symbol}=`))
    .join('\n');

const frags72 = fragmentsFor('7.2', 'plain').map(read);
const frags61 = fragmentsFor('6.1', 'plain').map(read);

test('a complete .config passes on every version', (t) => {
  t.deepEqual(checkConfig({ fragments: frags72, config: fullConfig(frags72), version: '7.2' }), {
    dropped: [],
    vanished: [],
  });
  t.deepEqual(checkConfig({ fragments: frags61, config: fullConfig(frags61), version: '6.1' }).dropped, []);
});

test('a requested option missing from .config fails the check', (t) => {
  const r = checkConfig({
    fragments: frags72,
    config: without(fullConfig(frags72), 'PSE_REGULATOR'),
    version: '7.2',
  });
  t.deepEqual(r.dropped, ['CONFIG_PSE_REGULATOR=m']);
  // Built in where a module was asked for is a change too: the guest insmods the .ko.
  const y = fullConfig(frags72).replace('CONFIG_HID_CP2112=m', 'CONFIG_HID_CP2112=y');
  t.deepEqual(checkConfig({ fragments: frags72, config: y, version: '7.2' }).dropped, [
    'CONFIG_HID_CP2112=m',
  ]);
});

test('MDIO_DEVICE and MDIO_BUS may vanish after 6.12, and only there, and only if the tree has no such symbol', (t) => {
  const config = without(without(fullConfig(frags72), 'MDIO_DEVICE'), 'MDIO_BUS');
  const r = checkConfig({ fragments: frags72, config, version: '7.2' });
  t.deepEqual(r.dropped, []);
  t.deepEqual(
    r.vanished.map((v) => v.symbol),
    ['MDIO_DEVICE', 'MDIO_BUS'],
  );
  t.true(VANISHED.every((v) => v.why.length > 0));

  // 6.1 and 6.12 still have them: missing there is a dropped option.
  const c61 = without(fullConfig(frags61), 'MDIO_DEVICE');
  t.deepEqual(checkConfig({ fragments: frags61, config: c61, version: '6.1' }).dropped, [
    'CONFIG_MDIO_DEVICE=y',
  ]);
  t.deepEqual(checkConfig({ fragments: frags72, config, version: '6.12' }).dropped, [
    'CONFIG_MDIO_DEVICE=y',
    'CONFIG_MDIO_BUS=y',
  ]);
  // A newer tree that still defines the symbol but lost it to a dependency: dropped, not vanished.
  const defined = checkConfig({
    fragments: frags72,
    config,
    version: '7.2',
    defined: (s) => s === 'MDIO_BUS',
  });
  t.deepEqual(defined.dropped, ['CONFIG_MDIO_BUS=y']);
  t.deepEqual(
    defined.vanished.map((v) => v.symbol),
    ['MDIO_DEVICE'],
  );
  // Missing anything else besides still fails.
  const more = without(config, 'USB_LAN78XX');
  t.deepEqual(checkConfig({ fragments: frags72, config: more, version: '7.2' }).dropped, [
    'CONFIG_USB_LAN78XX=m',
  ]);
});

test('an option asked to be unset fails when set', (t) => {
  const fr = ['CONFIG_A=y\n# CONFIG_B is not set\n'];
  t.deepEqual(checkConfig({ fragments: fr, config: 'CONFIG_A=y\n', version: '7.2' }).dropped, []);
  t.deepEqual(checkConfig({ fragments: fr, config: 'CONFIG_A=y\nCONFIG_B=y\n', version: '7.2' }).dropped, [
    '# CONFIG_B is not set (got y)',
  ]);
});
