import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DtsError } from '../../src/dts/diagnostics.js';
import { readDtb } from '../../src/dts/dtb-read.js';
import { applyOverlay, applyOverlayBlobs, OverlayErrorCode } from '../../src/dts/overlay.js';
import { printDts } from '../../src/dts/print.js';
import { findNodeByPath } from '../../src/dts/tree.js';
import { dtcCompile, dtcToDts, fixturePath, hasTool, run, scratchDir } from './fixtures-io/reference-tools.js';
import { systemCompat } from './dtc-reference.js';

/**
 * Overlay application against Debian's fdtoverlay (libfdt fdt_overlay_apply): the base is compiled with
 * `dtc -@`, the overlays are /plugin/ sources compiled with `dtc -@`, and our blob must equal fdtoverlay's
 * byte for byte; the tree must print as `dtc -I dtb -O dts` prints fdtoverlay's output.
 */

const missing = ['dtc', 'fdtoverlay'].filter((tool) => !hasTool(tool));
const refTest = missing.length > 0 ? test.skip : test;
if (missing.length > 0) console.log(`skipping overlay comparisons: ${missing.join(', ')} not installed`);

function compileFixture(name: string, flags = ['-@']): Buffer {
  return dtcCompile(readFileSync(fixturePath(`${name}.dts`), 'latin1'), flags);
}

/** fdtoverlay's output, or undefined when it refuses the overlays. */
function fdtoverlay(base: Uint8Array, overlays: Uint8Array[]): Buffer | undefined {
  const { dir, cleanup } = scratchDir();
  try {
    writeFileSync(join(dir, 'base.dtb'), base);
    const names = overlays.map((o, i) => {
      const file = join(dir, `o${i}.dtbo`);
      writeFileSync(file, o);
      return file;
    });
    const r = run('fdtoverlay', ['-i', join(dir, 'base.dtb'), '-o', join(dir, 'out.dtb'), ...names]);
    return r.ok ? readFileSync(join(dir, 'out.dtb')) : undefined;
  } finally {
    cleanup();
  }
}

const scenarios: string[][] = [
  ['overlay-phy'],
  ['overlay-paths'],
  ['overlay-explicit'],
  ['overlay-alias'],
  ['overlay-phy', 'overlay-paths', 'overlay-stacked'],
  ['overlay-phy', 'overlay-paths', 'overlay-stacked', 'overlay-explicit', 'overlay-alias'],
  ['overlay-explicit', 'overlay-phy', 'overlay-alias'],
];

for (const scenario of scenarios) {
  refTest(`applyOverlayBlobs equals fdtoverlay byte for byte: ${scenario.join(' + ')}`, (t) => {
    const base = compileFixture('overlay-base');
    const overlays = scenario.map((name) => compileFixture(name));
    const reference = fdtoverlay(base, overlays);
    if (!reference) return t.fail('fdtoverlay refused a scenario meant to apply');
    t.true(Buffer.from(applyOverlayBlobs(base, overlays, { compat: systemCompat })).equals(reference));

    let tree = readDtb(base);
    for (const overlay of overlays) tree = applyOverlay(tree, readDtb(overlay), { compat: systemCompat });
    t.is(printDts(tree, { compat: systemCompat }), dtcToDts(reference, 'dtb'));
  });
}

refTest('the same overlay applied to a base without -@ fails where fdtoverlay fails', (t) => {
  const base = compileFixture('overlay-base', []);
  const overlay = compileFixture('overlay-phy');
  t.is(fdtoverlay(base, [overlay]), undefined);
  const err = t.throws(() => applyOverlayBlobs(base, [overlay], { compat: systemCompat }), { instanceOf: DtsError });
  t.is(err.diagnostics[0]?.code, OverlayErrorCode.FDT_ERR_NOTFOUND);
});

refTest('an unknown label, a missing target path and a target with no phandle fail as in fdtoverlay', (t) => {
  const base = compileFixture('overlay-base');
  const cases: [string, string][] = [
    ['/dts-v1/;\n/plugin/;\n&nosuchlabel { x = <1>; };\n', OverlayErrorCode.FDT_ERR_NOTFOUND],
    ['/dts-v1/;\n/plugin/;\n&{/no/such/node} { x = <1>; };\n', OverlayErrorCode.FDT_ERR_NOTFOUND],
    ['/dts-v1/;\n/plugin/;\n/ { fragment@0 { __overlay__ { x = <1>; }; }; };\n', OverlayErrorCode.FDT_ERR_BADOVERLAY],
    ['/dts-v1/;\n/plugin/;\n/ { fragment@0 { target = <0xffffffff>; __overlay__ { x = <1>; }; }; };\n', OverlayErrorCode.FDT_ERR_BADPHANDLE],
  ];
  for (const [source, code] of cases) {
    const overlay = dtcCompile(source, ['-@']);
    t.is(fdtoverlay(base, [overlay]), undefined, source);
    const err = t.throws(() => applyOverlayBlobs(base, [overlay], { compat: systemCompat }), { instanceOf: DtsError }, source);
    t.is(err.diagnostics[0]?.code, code, source);
  }
});

refTest('applyOverlay leaves its inputs untouched and renumbers overlay phandles above the base', (t) => {
  const base = readDtb(compileFixture('overlay-base'));
  const overlay = readDtb(compileFixture('overlay-phy'));
  const before = [printDts(base), printDts(overlay)];
  const merged = applyOverlay(base, overlay, { compat: systemCompat });
  t.deepEqual([printDts(base), printDts(overlay)], before);
  // The base defines phandles 1..3 (mdio0, phy0, pse); the overlay's own two (led1, phy1) follow.
  const phy1 = findNodeByPath(merged.root, '/soc/mdio@1000/ethernet-phy@1');
  const led = findNodeByPath(merged.root, '/soc/mdio@1000/ethernet-phy@1/led@0');
  t.deepEqual([phy1?.phandle, led?.phandle].sort(), [4, 5]);
});
