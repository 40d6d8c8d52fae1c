import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DtsError } from '../../src/dts/diagnostics.js';
import { applyOverlayBlobs, OverlayErrorCode } from '../../src/dts/overlay.js';
import { dtcTestsDir, existsSync, hasTool, run, scratchDir } from './fixtures-io/reference-tools.js';

/**
 * dtc's own overlay test inputs: every base × every overlay (and the stacked chains of run_tests.sh),
 * compiled with `dtc -@`. Where fdtoverlay applies them, our blob must be byte-identical; where it refuses,
 * we must raise a DtsError.
 */

const skipReason = !existsSync(dtcTestsDir) ? `${dtcTestsDir} is absent` : ['dtc', 'fdtoverlay'].find((tool) => !hasTool(tool));

/**
 * The references: the installed fdtoverlay (dtc 1.6.1's libfdt), and Debian 13's 1.7.2 unpacked in the shared
 * cache (scripts/debian-suite.sh, run with its own loader), whose libfdt keeps base phandles
 * (applyOverlayBlobs keepBasePhandles).
 */
const cache = process.env['MDIO_EMU_CACHE'] ?? join(homedir(), '.cache', 'mdio-emu');
const trixie = join(cache, 'dtc-trixie');
const references: { name: string; tool: string; prefix: string[]; keepBasePhandles: boolean; missing: string | undefined }[] = [
  { name: 'fdtoverlay 1.6.1', tool: 'fdtoverlay', prefix: [], keepBasePhandles: false, missing: undefined },
  {
    name: 'fdtoverlay 1.7.2',
    tool: join(trixie, 'usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'),
    prefix: ['--library-path', join(trixie, 'usr/lib/x86_64-linux-gnu'), join(trixie, 'usr/bin/fdtoverlay')],
    keepBasePhandles: true,
    missing: existsSync(join(trixie, 'usr/bin/fdtoverlay')) ? undefined : `${trixie} has no fdtoverlay (Debian 13's device-tree-compiler, unpacked by scripts/debian-suite.sh)`,
  },
];
const bases = ['overlay_base', 'overlay_base_manual_symbols', 'overlay_base_phandle', 'stacked_overlay_base', 'stacked_overlay_base_nolabel'];
const chains = [
  ['stacked_overlay_bar', 'stacked_overlay_baz'],
  ['stacked_overlay_bar', 'stacked_overlay_addlabel', 'stacked_overlay_baz'],
];

for (const reference of references) {
const skip = skipReason ?? reference.missing;
if (skip) {
  console.log(`skipping ${reference.name} conformance: ${skip}`);
  test.skip(`applyOverlayBlobs matches ${reference.name} on dtc test inputs`, () => {});
} else {
  test(`applyOverlayBlobs matches ${reference.name} on dtc test inputs`, (t) => {
    const { dir, cleanup } = scratchDir();
    t.teardown(cleanup);
    const compiled = new Map<string, string>();
    const compile = (name: string): string | undefined => {
      const out = join(dir, `${name}.dtb`);
      if (!compiled.has(name)) {
        if (!run('dtc', ['-q', '-@', '-I', 'dts', '-O', 'dtb', '-i', '.', '-o', out, `${name}.dts`], dtcTestsDir).ok) return undefined;
        compiled.set(name, out);
      }
      return compiled.get(name);
    };
    const overlays = readdirSync(dtcTestsDir)
      .filter((f) => /^(overlay_overlay|overlay_bad_fixup|stacked_overlay_(bar|baz|addlabel))\w*\.dts$/.test(f))
      .map((f) => f.replace(/\.dts$/, ''));
    const combos = [...bases.flatMap((b) => overlays.map((o) => [b, o])), ...bases.map((b) => [b, ...(chains[0] ?? [])]), ...bases.map((b) => [b, ...(chains[1] ?? [])])];
    let identical = 0;
    let bothRefused = 0;
    const problems: string[] = [];
    for (const [base, ...rest] of combos) {
      const files = [base, ...rest].map((n) => compile(n ?? ''));
      if (files.some((f) => f === undefined)) continue;
      const [baseFile, ...overlayFiles] = files as string[];
      const out = join(dir, 'out.dtb');
      const applied = run(reference.tool, [...reference.prefix, '-i', baseFile ?? '', '-o', out, ...overlayFiles]);
      const label = [base, ...rest].join(' + ');
      let ours: Uint8Array | DtsError;
      try {
        ours = applyOverlayBlobs(readFileSync(baseFile ?? ''), overlayFiles.map((f) => readFileSync(f)), { keepBasePhandles: reference.keepBasePhandles });
      } catch (e) {
        if (!(e instanceof DtsError)) throw e;
        ours = e;
      }
      if (!applied.ok) {
        if (!(ours instanceof DtsError)) problems.push(`${label}: fdtoverlay refused, we applied`);
        else {
          // fdtoverlay names the libfdt error (fdt_strerror); ours must be the same one.
          const code = ours.diagnostics[0]?.code;
          const name = Object.entries(OverlayErrorCode).find(([, c]) => c === code)?.[0] ?? code ?? '';
          if (applied.stderr.includes(name)) bothRefused++;
          else problems.push(`${label}: we refused with ${name}, fdtoverlay said ${applied.stderr.trim()}`);
        }
      } else if (ours instanceof DtsError) {
        problems.push(`${label}: we refused (${ours.message}), fdtoverlay applied`);
      } else if (Buffer.from(ours).equals(readFileSync(out))) {
        identical++;
      } else {
        problems.push(`${label}: bytes differ`);
      }
    }
    t.log(`${identical} byte-identical, ${bothRefused} refused by both, of ${combos.length} combinations`);
    t.deepEqual(problems, []);
    t.true(identical > 10);
  });
}
}
