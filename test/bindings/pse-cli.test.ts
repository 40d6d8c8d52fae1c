import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const fixtures = join(here, 'fixtures');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import=tsx', join(repo, 'cli', 'index.ts'), ...args], {
    cwd: repo,
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dtcAvailable = spawnSync('dtc', ['--version']).status === 0;

test('pse map prints each PHY with controller, PI and pairsets (DTS through our compiler)', (t) => {
  const r = cli('pse', 'map', join(fixtures, 'pse-tps23881.dts'));
  t.is(r.status, 0, r.stderr);
  const c = '/i2c/ethernet-pse@20';
  t.deepEqual(r.stdout.trim().split('\n'), [
    `/mdio/ethernet-phy@0 -> ${c} pi 0 (${c}/pse-pis/pse-pi@0) pairsets alternative-a=${c}/channels/channel@0(ch0), alternative-b=${c}/channels/channel@1(ch1)`,
    `/mdio/ethernet-phy@1 -> ${c} pi 1 (${c}/pse-pis/pse-pi@1) pairsets alternative-a=${c}/channels/channel@2(ch2)`,
  ]);
});

(dtcAvailable ? test : test.skip)(
  'pse map reads a DTB compiled by the reference dtc and agrees with the DTS result (--json)',
  (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'pse-map-'));
    try {
      const dtb = join(dir, 'pse.dtb');
      execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-o', dtb, join(fixtures, 'pse-tps23881.dts')]);
      const fromDtb = cli('pse', 'map', dtb, '--json');
      const fromDts = cli('pse', 'map', join(fixtures, 'pse-tps23881.dts'), '--json');
      t.is(fromDtb.status, 0, fromDtb.stderr);
      const a = JSON.parse(fromDtb.stdout) as { links: { phy: string; pi: number }[] };
      const b = JSON.parse(fromDts.stdout) as { links: unknown[] };
      t.deepEqual(a.links, b.links);
      t.deepEqual(
        a.links.map((l) => [l.phy, l.pi]),
        [
          ['/mdio/ethernet-phy@0', 0],
          ['/mdio/ethernet-phy@1', 1],
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
if (!dtcAvailable) console.log('dtc not installed: the DTB cross-check is skipped');

test('pse map exits 1 and names the offending nodes of a broken tree', (t) => {
  const r = cli('pse', 'map', join(fixtures, 'pse-broken.dts'));
  t.is(r.status, 1);
  t.regex(r.stderr, /error PSE1003: \/mdio\/ethernet-phy@1: /, 'PI shared with ethernet-phy@0');
  t.regex(r.stderr, /error PSE1002: \/mdio\/ethernet-phy@2: /, 'extra cell for #pse-cells = <0>');
  t.regex(r.stderr, /error PSE1002: \/mdio\/ethernet-phy@3: /, 'regulator has no #pse-cells');
  t.regex(r.stderr, /warning PSE1005: \/ethernet-pse-1: /, 'unused controller');
  t.regex(r.stderr, /ethernet-phy@1, \/mdio\/ethernet-phy@2, \/mdio\/ethernet-phy@3/);
  t.is(r.stdout.trim(), '/mdio/ethernet-phy@0 -> /ethernet-pse pi 0');
});

test('pse map and phy list show the CP2112 a TPS23881 sits behind, with its port, adapter and interrupt GPIO', (t) => {
  const file = join(fixtures, 'pse-cp2112-tps23881.dts');
  const via =
    'via CP2112 usb10c4,ea90 at /usb/device@6 (port 6), i2c /usb/device@6/i2c @0x20, INT on GPIO 3 level-low';
  const map = cli('pse', 'map', file);
  t.is(map.status, 0, map.stderr);
  t.is(map.stdout.trim().split('\n')[1], `    ${via}`);
  const json = JSON.parse(cli('pse', 'map', file, '--json').stdout) as {
    controllers: {
      path: string;
      bus?: { bridge: string; port: number; clockHz: number; interrupt: { line: number } };
    }[];
  };
  t.like(json.controllers[0]?.bus, { bridge: 'cp2112', port: 6, clockHz: 400_000, interrupt: { line: 3 } });
  const list = cli('phy', 'list', file);
  t.is(list.status, 0, list.stderr);
  t.is(
    list.stdout,
    `/usb/ethernet@5/mdio\t1\t0x01410dd0\tc22\tmarvell-88e1510\tpse /usb/device@6/i2c/ethernet-pse@20 pi 0 ${via}\n`,
  );
});

test('pse map --kernel 7.2 warns about a TPS23881 without an interrupt; a bad version is a usage error', (t) => {
  const plain = cli('pse', 'map', join(fixtures, 'pse-tps23881.dts'));
  t.notRegex(plain.stderr, /interrupt is missing/);
  const r = cli('pse', 'map', '--kernel', '7.2', join(fixtures, 'pse-tps23881.dts'));
  t.is(r.status, 0);
  t.regex(r.stderr, /warning PSE1017: \/i2c\/ethernet-pse@20: .*"interrupt is missing"/);
  t.is(cli('pse', 'map', '--kernel', '7.2', join(fixtures, 'pse-cp2112-tps23881.dts')).stderr, '');
  t.is(cli('pse', 'map', '--kernel', 'seven', join(fixtures, 'pse-tps23881.dts')).status, 2);
});

test('pse firmware writes the two files the tps23881 driver requests, byte for byte what the model accepts', async (t) => {
  const { generateTps23881Firmware } = await import('../../src/pse/tps23881-firmware.js');
  const { readFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'tps-fw-'));
  try {
    const r = cli('pse', 'firmware', dir);
    t.is(r.status, 0, r.stderr);
    const fw = generateTps23881Firmware();
    t.deepEqual(new Uint8Array(readFileSync(join(dir, 'ti/tps23881/tps23881-parity-14.bin'))), fw.parity);
    t.deepEqual(new Uint8Array(readFileSync(join(dir, 'ti/tps23881/tps23881-sram-14.bin'))), fw.sram);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
