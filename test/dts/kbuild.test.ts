import test from 'ava';
import { spawnSync } from 'node:child_process';
import { cachedKernelSource, runKbuild, SAMPLE, TOUCHED } from '../../scripts/kbuild-dtbs.js';

/**
 * The kbuild test (scripts/kbuild-dtbs.ts): Linux 7.2's own `make ARCH=arm64` over a fixed sample of boards
 * with mdio-emu-dtc as $(DTC) and mdio-emu-fdtoverlay as kbuild's fdtoverlay gives the same DTBs, byte for
 * byte, as the in-tree dtc and fdtoverlay kbuild builds itself; the dependency lists kbuild keeps from our -d
 * files equal the reference's; and touching a .dtsi (reached through cpp's #include or dtc's /include/)
 * makes the next make rebuild exactly the boards that include it and the composite DTBs made from them.
 * Needs the unpacked linux-source-7.2 in the cache (scripts/setup.sh), the arm64 cross compiler and make.
 */

const source = cachedKernelSource('7.2');
const missing = !source
  ? 'linux-source-7.2 is not unpacked in the cache (scripts/setup.sh does it)'
  : ['make', 'aarch64-linux-gnu-gcc', 'flex', 'bison'].find((tool) => spawnSync('which', [tool]).status !== 0);

if (missing) {
  console.log(`skipping the kbuild test: ${missing}`);
  test.skip('make dtbs with mdio-emu as DTC and fdtoverlay matches the in-tree dtc', () => undefined);
} else {
  test.serial('make dtbs with mdio-emu as DTC and fdtoverlay matches the in-tree dtc', (t) => {
    t.timeout(20 * 60_000);
    const r = runKbuild({ ...(source ? { source } : {}) });
    t.log(`DTC=${r.dtc}; reference ${r.seconds.ref.toFixed(1)} s, mdio-emu ${r.seconds.ours.toFixed(1)} s; dropped: ${r.droppedSwitches.join(' ') || 'nothing'}`);
    // Every sample goal plus the bases and overlays of its composites.
    t.true(r.targets > SAMPLE.length, `only ${r.targets} blobs built by the reference`);
    t.deepEqual(r.missing, [], r.ourFailures);
    t.deepEqual(r.different, []);
    t.is(r.identical.length, r.targets);
    t.deepEqual(r.dependencyMismatches, []);
    t.is(r.touch.length, TOUCHED.length);
    for (const touched of r.touch) {
      t.true(touched.expected.length > 0, `${touched.file}: no sample board includes it`);
      t.deepEqual(touched.rebuilt, touched.expected, touched.file);
    }
  });
}
