import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [join(repo, 'bin', 'mdio-emu.js'), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
};

test('record a scenario, verify it, diff it, and see a tampered copy fail with the line named', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-cli-'));
  try {
    const gen = cli(
      'scenario',
      'generate',
      '--out',
      dir,
      '--name',
      'late',
      '--phys',
      '2',
      '--ordering',
      'phy-first',
    );
    t.is(gen.status, 0, gen.err);
    t.deepEqual(gen.out.trim().split('\n'), [
      `wrote ${join(dir, 'late.dts')}`,
      `wrote ${join(dir, 'late.scenario.json')}`,
    ]);
    const trace = join(dir, 'late.trace');
    const run = cli('scenario', 'run', join(dir, 'late.scenario.json'), '--trace', trace);
    t.is(run.status, 0, run.out + run.err);
    t.regex(run.out, /^PASS: (\d+)\/\1 expectations held/m);

    const verify = cli('replay', 'verify', '--dts', join(dir, 'late.dts'), trace);
    t.is(verify.status, 0, verify.out + verify.err);
    t.regex(verify.out, / 0 difference\(s\)/);
    t.is(cli('trace', 'diff', trace, trace).status, 0);

    // Flip the link bit of the last BMSR read: verify and diff both point at that line.
    const lines = readFileSync(trace, 'utf8').split('\n');
    const last = lines.findLastIndex((l) => / r \d+ 0x01 0x[0-9a-f]{4} ok$/.test(l));
    const value = Number.parseInt(lines[last]!.split(' ')[7]!.slice(2), 16);
    lines[last] = lines[last]!.replace(
      /0x[0-9a-f]{4} ok$/,
      `0x${(value ^ 0x0004).toString(16).padStart(4, '0')} ok`,
    );
    const tampered = join(dir, 'tampered.trace');
    writeFileSync(tampered, lines.join('\n'));
    const bad = cli('replay', 'verify', '--dts', join(dir, 'late.dts'), tampered);
    t.is(bad.status, 1);
    t.regex(
      bad.out,
      new RegExp(
        `^${tampered}:line ${last + 1}: read /mdio-0 phy \\d reg 0x01 = 0x[0-9a-f]{4} recorded, model answered 0x[0-9a-f]{4} at `,
        'm',
      ),
    );
    const diff = cli('trace', 'diff', trace, tampered);
    t.is(diff.status, 1);
    t.regex(
      diff.out,
      new RegExp(`^~ .*:${last + 1} .*:${last + 1} {2}read /mdio-0 phy \\d reg 0x01: 0x[0-9a-f]{4} in`, 'm'),
    );

    // A writer killed mid-line: the reader drops the partial line and says so.
    const text = readFileSync(trace, 'utf8');
    writeFileSync(join(dir, 'cut.trace'), text.slice(0, text.length - 7));
    const cut = cli('replay', 'verify', '--dts', join(dir, 'late.dts'), join(dir, 'cut.trace'));
    t.is(cut.status, 0, cut.out + cut.err);
    t.regex(cut.err, /last line is incomplete/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('replay verify accepts mdio_access text and maps the kernel bus onto the DT bus', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-cli-'));
  try {
    // Only the mvusb bus of the capture: a PHY at address 0 that answered 0x0141/0x0dd1 (an 88E1510 of
    // revision 1), so the board names that ID and the Marvell model answers it, revision bits included.
    writeFileSync(
      join(dir, 'board.dts'),
      '/dts-v1/;\n/ {\n\tmdio {\n\t\t#address-cells = <1>;\n\t\t#size-cells = <0>;\n\n\t\tethernet-phy@0 {\n\t\t\tcompatible = "ethernet-phy-id0141.0dd1";\n\t\t\treg = <0>;\n\t\t};\n\t};\n};\n',
    );
    const capture = readFileSync(join(repo, 'test', 'replay', 'fixtures', 'mvusb-pse-late.trace.txt'), 'utf8')
      .split('\n')
      .filter((l) => !l.includes('xgmac'));
    writeFileSync(join(dir, 'kernel.txt'), capture.join('\n'));
    const r = cli('replay', 'verify', '--dts', join(dir, 'board.dts'), join(dir, 'kernel.txt'));
    t.regex(r.out, /buses: mvusb-1-1:1\.0 -> \/mdio$/m);
    // The ID reads agree. The one difference: the capture's PHY kept 0x1140 after a bare `BMCR = 0x8000`,
    // while the 88E1510 applies the AN_ENABLE/speed/duplex bits written with RESET (datasheet reg 0_0.15).
    t.regex(r.out, /^6 transactions, 4 reads, 1 difference\(s\)$/m);
    t.regex(r.out, /line 18: read mvusb-1-1:1\.0 phy 0 reg 0x00 = 0x1140 recorded, model answered 0x0000/);
    t.is(r.status, 1, r.out + r.err);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
