import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DtcCompat } from '../../src/dts/compat.js';
import { DtsError } from '../../src/dts/diagnostics.js';
import { applyOverlayBlobs, OverlayErrorCode } from '../../src/dts/overlay.js';
import { DTC_GENERATIONS, findReferenceDtc, runTool, type ReferenceDtc } from './dtc-reference.js';
import { dtcTestsDir, existsSync, scratchDir } from './fixtures-io/reference-tools.js';

/**
 * dtc's own overlay test inputs: every base × every overlay (and the stacked chains of run_tests.sh),
 * compiled with each generation's `dtc -@`. Where that generation's fdtoverlay applies them, our blob must be
 * byte-identical; where it refuses, we must raise a DtsError naming the same libfdt error.
 */
const bases = ['overlay_base', 'overlay_base_manual_symbols', 'overlay_base_phandle', 'stacked_overlay_base', 'stacked_overlay_base_nolabel'];
const chains = [
  ['stacked_overlay_bar', 'stacked_overlay_baz'],
  ['stacked_overlay_bar', 'stacked_overlay_addlabel', 'stacked_overlay_baz'],
];

for (const generation of DTC_GENERATIONS) {
  const ref = findReferenceDtc(generation);
  const skipReason = !existsSync(dtcTestsDir) ? `${dtcTestsDir} is absent` : !ref ? `reference dtc ${generation} is absent` : undefined;
  if (skipReason || !ref) {
    test.skip(`dtc ${generation}: applyOverlayBlobs matches fdtoverlay on dtc test inputs (${skipReason ?? ''})`, () => {});
    continue;
  }
  conformance(generation, ref);
}

function run(ref: ReferenceDtc, tool: 'dtc' | 'fdtoverlay', args: string[], cwd?: string): { ok: boolean; stderr: string } {
  const r = runTool(ref[tool], args, cwd !== undefined ? { cwd } : {});
  return { ok: r.status === 0, stderr: r.stderr };
}

function conformance(generation: DtcCompat, ref: ReferenceDtc): void {
  test(`dtc ${generation}: applyOverlayBlobs matches fdtoverlay on dtc test inputs`, (t) => {
    const { dir, cleanup } = scratchDir();
    t.teardown(cleanup);
    const compiled = new Map<string, string>();
    const compile = (name: string): string | undefined => {
      const out = join(dir, `${name}.dtb`);
      if (!compiled.has(name)) {
        if (!run(ref, 'dtc', ['-q', '-@', '-I', 'dts', '-O', 'dtb', '-i', '.', '-o', out, `${name}.dts`], dtcTestsDir).ok) return undefined;
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
      const reference = run(ref, 'fdtoverlay', ['-i', baseFile ?? '', '-o', out, ...overlayFiles]);
      const label = [base, ...rest].join(' + ');
      let ours: Uint8Array | DtsError;
      try {
        ours = applyOverlayBlobs(readFileSync(baseFile ?? ''), overlayFiles.map((f) => readFileSync(f)), { compat: generation });
      } catch (e) {
        if (!(e instanceof DtsError)) throw e;
        ours = e;
      }
      if (!reference.ok) {
        if (!(ours instanceof DtsError)) problems.push(`${label}: fdtoverlay refused, we applied`);
        else {
          // fdtoverlay names the libfdt error (fdt_strerror); ours must be the same one.
          const code = ours.diagnostics[0]?.code;
          const name = Object.entries(OverlayErrorCode).find(([, c]) => c === code)?.[0] ?? code ?? '';
          if (reference.stderr.includes(name)) bothRefused++;
          else problems.push(`${label}: we refused with ${name}, fdtoverlay said ${reference.stderr.trim()}`);
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
