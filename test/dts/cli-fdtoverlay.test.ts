import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTool } from './fixtures-io/reference-tools.js';
import { DTC_GENERATIONS, findReferenceDtc, missingReason, runTool, testDir, type ReferenceDtc } from './dtc-reference.js';

/**
 * `mdio-emu-fdtoverlay --compat G` against fdtoverlay of each generation G (scripts/dtc-reference.ts) on the command lines kbuild runs for composite DTBs
 * (scripts/Makefile.dtbs: `fdtoverlay -o $@ -i base.dtb overlay.dtbo...`), and on its failure paths: the
 * output bytes, what is left on disk, and the exit status.
 */

const repo = join(testDir, '../..');
const ours = join(repo, 'bin/mdio-emu-fdtoverlay.js');

const SOURCES: Record<string, string> = {
  'base.dts': `/dts-v1/;
/ {
\t#address-cells = <1>; #size-cells = <1>;
\tsoc: soc { #address-cells = <1>; #size-cells = <1>; ranges;
\t\tuart0: serial@1000 { reg = <0x1000 0x100>; status = "disabled"; };
\t\ti2c1: i2c@2000 { reg = <0x2000 0x100>; #address-cells = <1>; #size-cells = <0>; status = "disabled"; };
\t};
\tleds { compatible = "gpio-leds"; };
};
`,
  'uart.dtso': `/dts-v1/;
/plugin/;
&uart0 { status = "okay"; current-speed = <115200>; };
`,
  'sensor.dtso': `/dts-v1/;
/plugin/;
&i2c1 {
\tstatus = "okay";
\ttmp: sensor@48 { compatible = "ti,tmp102"; reg = <0x48>; };
};
/ { fragment@9 { target-path = "/leds"; __overlay__ { led0 { label = "heartbeat"; sensor = <&tmp>; }; }; }; };
`,
  'stacked.dtso': `/dts-v1/;
/plugin/;
&tmp { interrupt-parent = <&uart0>; };
`,
  'missing.dtso': `/dts-v1/;
/plugin/;
&no_such_label { status = "okay"; };
`,
};

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-fdtoverlay-'));
  for (const [name, text] of Object.entries(SOURCES)) {
    writeFileSync(join(dir, name), text);
    const blob = name.replace(/\.dts$/, '.dtb').replace(/\.dtso$/, '.dtbo');
    const r = spawnSync('dtc', ['-q', '-@', '-O', 'dtb', '-o', blob, name], { cwd: dir });
    // The same base without __symbols__, as kbuild's bases are when -@ is forgotten.
    if (name === 'base.dts') spawnSync('dtc', ['-q', '-O', 'dtb', '-o', 'base-nosymbols.dtb', name], { cwd: dir });
    if (r.status !== 0) throw new Error(`dtc failed on ${name}: ${r.stderr.toString()}`);
  }
  return dir;
}

function both(reference: ReferenceDtc, args: readonly string[]): { ref: { status: number | null; stdout: Buffer; stderr: string }; got: { status: number | null; stdout: Buffer; stderr: string }; refOut?: Buffer; gotOut?: Buffer } {
  const dirs = [scratch(), scratch()] as const;
  try {
    const ref = runTool(reference.fdtoverlay, args, { cwd: dirs[0] });
    const spawned = spawnSync(process.execPath, [ours, '--compat', reference.generation, ...args], { cwd: dirs[1] });
    const got = { status: spawned.status, stdout: spawned.stdout, stderr: spawned.stderr.toString('latin1') };
    const out = (d: string): Buffer | undefined => (existsSync(join(d, 'out.dtb')) ? readFileSync(join(d, 'out.dtb')) : undefined);
    const refOut = out(dirs[0]);
    const gotOut = out(dirs[1]);
    return { ref, got, ...(refOut ? { refOut } : {}), ...(gotOut ? { gotOut } : {}) };
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

const cases: [string, string[]][] = [
  ['one overlay (kbuild argument order)', ['-o', 'out.dtb', '-i', 'base.dtb', 'uart.dtbo']],
  ['three overlays stacked, the last using a label the second added', ['-i', 'base.dtb', '-o', 'out.dtb', 'uart.dtbo', 'sensor.dtbo', 'stacked.dtbo']],
  ['long options', ['--input=base.dtb', '--output', 'out.dtb', 'sensor.dtbo']],
  ['a reference the base cannot resolve fails', ['-i', 'base.dtb', '-o', 'out.dtb', 'uart.dtbo', 'missing.dtbo']],
  ['a base without __symbols__ fails (1.7 adds a hint)', ['-i', 'base-nosymbols.dtb', '-o', 'out.dtb', 'uart.dtbo']],
  ['an unreadable overlay fails', ['-i', 'base.dtb', '-o', 'out.dtb', 'nope.dtbo']],
  ['no overlays: usage', ['-i', 'base.dtb', '-o', 'out.dtb']],
  ['no input: usage', ['-o', 'out.dtb', 'uart.dtbo']],
  ['an unknown option: usage', ['-x', '-i', 'base.dtb', '-o', 'out.dtb', 'uart.dtbo']],
  ['-V', ['-V']],
  ['-h', ['-h']],
  ['-v lists the files', ['-v', '-i', 'base.dtb', '-o', 'out.dtb', 'uart.dtbo']],
];

const skip = ['dtc', 'fdtoverlay'].find((tool) => !hasTool(tool));
for (const generation of DTC_GENERATIONS) {
  const reference = findReferenceDtc(generation);
  if (skip || !reference) {
    test.skip(`mdio-emu-fdtoverlay --compat ${generation} (${skip ? `${skip} is not installed` : (missingReason(generation) ?? 'no reference')})`, () => undefined);
    continue;
  }
  for (const [name, args] of cases)
    test(`fdtoverlay ${reference.version}: ${name}`, (t) => {
      const { ref, got, refOut, gotOut } = both(reference, args);
      t.is(got.status, ref.status, `ours: ${got.stderr}\nfdtoverlay: ${ref.stderr}`);
      t.true(got.stdout.equals(ref.stdout), `stdout: ours ${got.stdout.toString()} vs ${ref.stdout.toString()}`);
      // fdtoverlay's messages carry no source positions, so they are compared as they are.
      // glibc names the program by its argv[0], a long path for an unpacked reference.
      const named = (text: string): string => text.replace(/^\S*fdtoverlay: /gm, 'fdtoverlay: ');
      t.is(named(got.stderr), named(ref.stderr));
      if (refOut === undefined) t.is(gotOut, undefined);
      else t.true(gotOut?.equals(refOut), 'output blob differs');
    });
}
