/**
 * The kbuild test: Linux's own `make ARCH=arm64 ... dtbs` with mdio-emu as $(DTC) and as fdtoverlay, against
 * the same make with the kernel's in-tree dtc (scripts/dtc, built by kbuild), DTB for DTB. Two object trees
 * (O=) over one read-only kernel source: `ref` as kbuild ships it, `ours` with DTC=bin/mdio-emu-dtc.js and
 * scripts/dtc/fdtoverlay replaced by a two-line wrapper around bin/mdio-emu-fdtoverlay.js (kbuild runs
 * `$(objtree)/scripts/dtc/fdtoverlay` by path: scripts/Makefile.dtbs cmd_fdtoverlay; the wrapper is newer
 * than its objects, so kbuild's if_changed keeps it).
 *
 * Then the dependency files: ours builds from a symlink farm of the source (the shared tree is never
 * written), so a .dtsi can be "touched" by giving it a fresh private copy; the next make must rebuild exactly
 * the targets whose dependencies, as the reference dtc and cpp wrote them into kbuild's .cmd files, include
 * that file, plus the composite DTBs made from them. (make -W cannot stand in: GNU make does not pass it to
 * the sub-makes kbuild runs.)
 *
 * Usage: tsx scripts/kbuild-dtbs.ts [--all] [--source DIR] [--jobs N] [--dtc PATH] [--in-process]
 *          [--fresh-reference]   (rebuild the reference's blobs too, so the two make times compare)
 *        tsx scripts/kbuild-dtbs.ts --fetch-only     (unpack the kernel source into the cache, print its path)
 *   (default: the fixed sample below; --all: `make dtbs`, the whole arm64 tree)
 * The kernel source is Debian's linux-source-7.2 from unstable, unpacked once into the shared cache
 * (`$MDIO_EMU_CACHE/linux-src/debian-<version>`, the layout the guest-kernel builds use), object trees under
 * `$MDIO_EMU_CACHE/kbuild-dtbs/`.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = process.env['MDIO_EMU_CACHE'] ?? join(homedir(), '.cache', 'mdio-emu');

/**
 * The CI sample: boards across vendors and SoC families, composite DTBs kbuild makes with fdtoverlay (one
 * and two overlays; their base DTBs are compiled with -@), and the AMD Seattle and APM boards, which pull
 * .dtsi files in with dtc's own /include/ (nested), so only dtc's -d output names them as dependencies.
 */
export const SAMPLE: readonly string[] = [
  'allwinner/sun50i-h6-pine-h64.dtb',
  'amd/amd-overdrive-rev-b0.dtb',
  'amd/amd-overdrive-rev-b1.dtb',
  'amlogic/meson-sm1-odroid-c4.dtb',
  'amlogic/meson-g12b-a311d-khadas-vim3-ts050.dtb',
  'apm/apm-mustang.dtb',
  'arm/juno-r2.dtb',
  'broadcom/bcm2711-rpi-4-b.dtb',
  'broadcom/bcm2712-rpi-5-b.dtb',
  'exynos/exynos850-e850-96.dtb',
  'freescale/imx8mp-evk.dtb',
  // A composite whose overlay sets a phandle its base node already has (libfdt 1.7 keeps the base's).
  'freescale/imx8mm-kontron-bl-lte.dtb',
  // `/delete-node/ &{noc_opp_table/opp-1000000000}`: dtc 1.7's label-relative path reference.
  'freescale/imx8mp-skov-revb-hdmi.dtb',
  'freescale/fsl-ls1028a-qds-13bb.dtb',
  'freescale/fsl-lx2160a-tqmlx2160a-mblx2160a-12-11-x.dtb',
  'hisilicon/hi3660-hikey960.dtb',
  'marvell/armada-3720-espressobin.dtb',
  'mediatek/mt8195-cherry-tomato-r2.dtb',
  'microchip/sparx5_pcb134.dtb',
  'nvidia/tegra194-p3509-0000+p3668-0000.dtb',
  'qcom/sdm845-db845c.dtb',
  'renesas/r8a77951-salvator-x-panel-aa104xd12.dtb',
  'rockchip/rk3399-rockpro64.dtb',
  'rockchip/rk3588-rock-5b.dtb',
  'rockchip/px30-ringneck-haikou-haikou-video-demo.dtb',
  'ti/k3-am642-evm.dtb',
  'ti/k3-am625-verdin-wifi-dahlia-dsi-to-hdmi.dtb',
  'xilinx/zynqmp-zcu102-rev1.0.dtb',
];

/** Files the dependency test marks as modified: one reached only through dtc's /include/, two through cpp. */
export const TOUCHED: readonly string[] = [
  'arch/arm64/boot/dts/amd/amd-seattle-clks.dtsi',
  'arch/arm64/boot/dts/rockchip/rk3399.dtsi',
  'arch/arm64/boot/dts/freescale/fsl-ls1028a.dtsi',
];

const DTS = 'arch/arm64/boot/dts';

function log(line: string): void {
  process.stderr.write(`kbuild-dtbs: ${line}\n`);
}

function sh(cmd: string, args: readonly string[], cwd?: string): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/**
 * Debian's linux-source-7.2, unpacked without its top directory into `$cache/linux-src/debian-<version>` with
 * a `.done` stamp `linux-source-7.2=<version>`, as the guest-kernel builds unpack it, so either finds the
 * other's tree. Nothing is written into it afterwards.
 */
export function kernelSource(line = '7.2'): string {
  const pkg = `linux-source-${line}`;
  const suiteScript = join(repo, 'scripts', 'debian-suite.sh');
  const version = sh('bash', [suiteScript, 'version', 'sid', pkg]).trim();
  if (!version || version === '(none)') throw new Error(`Debian unstable has no ${pkg}`);
  const pristine = join(cache, 'linux-src', `debian-${version}`);
  if (existsSync(`${pristine}.done`)) return pristine;
  log(`unpacking ${pkg} ${version} into ${pristine}`);
  // Under the tree's lock, which the guest-kernel builds take too (src/qemu/kernel-source.ts), so parallel
  // tests and builds unpack it once; whoever waited finds the stamp and stops.
  mkdirSync(dirname(pristine), { recursive: true });
  const script = `set -euo pipefail
p="$1"; pkg="$2"
[ -f "$p.done" ] && exit 0
rm -rf "$p.tmp" "$p.deb"; mkdir -p "$p.tmp"
bash "$3" download sid "$p.deb" "$pkg" >/dev/null
deb=$(ls "$p.deb"/*.deb | head -n 1)
dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" | xz -dc | tar -x -C "$p.tmp" --strip-components=1
rm -rf "$p"; mv "$p.tmp" "$p"; rm -rf "$p.deb"
echo "$pkg=$4" >"$p.done"`;
  sh('flock', [
    '-x',
    `${pristine}.lock`,
    'bash',
    '-c',
    script,
    'unpack',
    pristine,
    pkg,
    suiteScript,
    version,
  ]);
  return pristine;
}

/**
 * A tree of symlinks standing for `src`: the top entries link into it, and only the folders on the way to
 * `open` are real folders (of links), so a file there can be replaced by a private copy and back.
 */
function symlinkFarm(src: string, farm: string, open: readonly string[]): void {
  rmSync(farm, { recursive: true, force: true });
  mkdirSync(farm, { recursive: true });
  const linkAll = (from: string, to: string): void => {
    for (const e of readdirSync(from)) symlinkSync(join(from, e), join(to, e));
  };
  linkAll(src, farm);
  for (const rel of open) {
    const parts = dirname(rel).split('/');
    let at = '';
    for (const part of parts) {
      at = at ? `${at}/${part}` : part;
      const here = join(farm, at);
      if (!lstatSync(here).isSymbolicLink()) continue;
      rmSync(here);
      mkdirSync(here);
      linkAll(join(src, at), here);
    }
  }
}

/** "touch": the farm's link to `rel` becomes a copy with the current time; `untouch` puts the link back. */
function touch(src: string, farm: string, rel: string): void {
  rmSync(join(farm, rel));
  copyFileSync(join(src, rel), join(farm, rel));
}
function untouch(src: string, farm: string, rel: string): void {
  rmSync(join(farm, rel));
  symlinkSync(join(src, rel), join(farm, rel));
}

/** An already unpacked linux-source-`line` in the cache (newest Debian revision), without asking the mirror. */
export function cachedKernelSource(line = '7.2'): string | undefined {
  const dir = join(cache, 'linux-src');
  if (!existsSync(dir)) return undefined;
  const stamps = readdirSync(dir).filter((f) => f.startsWith(`debian-${line}.`) && f.endsWith('.done'));
  const newest = stamps.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).pop();
  return newest ? join(dir, newest.slice(0, -'.done'.length)) : undefined;
}

interface MakeResult {
  status: number | null;
  /** Targets make rebuilt, from kbuild's quiet `DTC`/`OVL` lines (objtree-relative). */
  rebuilt: string[];
  output: string;
}

function make(src: string, obj: string, args: readonly string[], jobs: number): MakeResult {
  const r = spawnSync(
    'nice',
    ['make', '-C', src, `O=${obj}`, 'ARCH=arm64', 'CROSS_COMPILE=aarch64-linux-gnu-', `-j${jobs}`, ...args],
    { encoding: 'utf8', maxBuffer: 512 << 20 },
  );
  const output = `${r.stdout}${r.stderr}`;
  const rebuilt = [...output.matchAll(/^\s+(?:DTC|OVL)\s+(?:\S+\s+)?(arch\/\S+\.dtbo?)$/gm)].map(
    (m) => m[1] ?? '',
  );
  return { status: r.status, rebuilt, output };
}

/** `make defconfig` once per object tree, and for ours the fdtoverlay wrapper after kbuild built its own. */
function prepare(src: string, obj: string, kind: 'ref' | 'ours', jobs: number, fdtoverlay = ''): void {
  mkdirSync(obj, { recursive: true });
  if (!existsSync(join(obj, '.config'))) {
    log(`${kind}: make defconfig`);
    const r = make(src, obj, ['defconfig'], jobs);
    if (r.status !== 0) throw new Error(`make defconfig failed:\n${r.output.slice(-3000)}`);
  }
  const r = make(src, obj, ['scripts_dtc'], jobs);
  if (r.status !== 0) throw new Error(`make scripts_dtc failed:\n${r.output.slice(-3000)}`);
  if (kind === 'ours') {
    const wrapper = join(obj, 'scripts/dtc/fdtoverlay');
    writeFileSync(wrapper, `#!/bin/sh\nexec ${fdtoverlay} "$@"\n`);
    chmodSync(wrapper, 0o755);
  }
}

/**
 * The command kbuild runs as our dtc or fdtoverlay: the native client of the warm tool server when the build
 * made one (dist/tools, docs/dtc.md), else (or with --in-process) a Node process per file through bin/.
 */
function ourTool(tool: 'dtc' | 'fdtoverlay', inProcess = false): string {
  const client = join(repo, 'dist/tools', `mdio-emu-${tool}`);
  if (!inProcess && existsSync(client)) return client;
  const entry = join(repo, 'bin', `mdio-emu-${tool}.js`);
  return tool === 'dtc' ? entry : `"${process.execPath}" "${entry}"`;
}

/** The objtree-relative files a target's .cmd (kbuild fixdep output) lists as dependencies, sorted. */
function dependencies(obj: string, target: string): string[] {
  const cmd = join(obj, dirname(target), `.${target.split('/').pop() ?? ''}.cmd`);
  if (!existsSync(cmd)) return [];
  const text = readFileSync(cmd, 'utf8');
  const deps = /^deps_[^\n]*:= \\\n((?:\s+.*\\\n)*)/m.exec(text)?.[1] ?? '';
  return deps
    .split('\n')
    .map((l) => l.replace(/\\$/, '').trim())
    .filter((l) => l && !l.startsWith('$(wildcard'))
    .sort();
}

/** The component DTBs of a composite, from its .cmd (`fdtoverlay -o $@ -i base.dtb a.dtbo ...`). */
function components(obj: string, target: string): string[] | undefined {
  const cmd = join(obj, dirname(target), `.${target.split('/').pop() ?? ''}.cmd`);
  if (!existsSync(cmd)) return undefined;
  const line = /^savedcmd_\S+ := (.*)$/m.exec(readFileSync(cmd, 'utf8'))?.[1] ?? '';
  if (!line.includes('fdtoverlay')) return undefined;
  return [...line.matchAll(/(\S+\.dtbo?)(?=\s|$)/g)].map((m) => m[1] ?? '').filter((f) => f !== target);
}

/** Every DTB and DTBO under the object tree's dts folder. */
function blobsUnder(obj: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name), `${rel}/${e.name}`);
      else if (/\.dtbo?$/.test(e.name)) out.push(`${rel}/${e.name}`);
    }
  };
  if (existsSync(join(obj, DTS))) walk(join(obj, DTS), DTS);
  return out.sort();
}

/**
 * Check names kbuild's DTC_FLAGS switch off that the reproduced dtc generation may lack (1.6.1 has no
 * interrupt_map: dtc 1.7.0 added it). dtc dies on an unknown check name, so when mdio-emu-dtc rejects one,
 * the build goes through a wrapper that drops that switch: it only silences a warning and cannot change a
 * DTB. Once mdio-emu reproduces a generation with the check, the probe passes and no wrapper is used.
 */
const NEWER_CHECK_SWITCHES = ['-Wno-interrupt_map'];

function dtcFor(dtc: string, dir: string): { path: string; dropped: string[] } {
  const dropped = NEWER_CHECK_SWITCHES.filter((sw) => {
    const r = spawnSync(dtc, ['-q', sw, '-O', 'dtb', '-o', '/dev/null', '-'], {
      input: '/dts-v1/;\n/ { };\n',
    });
    return r.status !== 0;
  });
  if (dropped.length === 0) return { path: dtc, dropped };
  const wrapper = join(dir, 'mdio-emu-dtc-wrapper');
  const cases = dropped.map((sw) => `${sw}) ;;`).join(' ');
  writeFileSync(
    wrapper,
    `#!/bin/bash\n# Drops ${dropped.join(' ')} (see scripts/kbuild-dtbs.ts NEWER_CHECK_SWITCHES).\nargs=()\nfor a in "$@"; do case "$a" in ${cases} *) args+=("$a") ;; esac; done\nexec "${dtc}" "\${args[@]}"\n`,
  );
  chmodSync(wrapper, 0o755);
  return { path: wrapper, dropped };
}

export interface KbuildReport {
  source: string;
  /** What kbuild ran as $(DTC). */
  dtc: string;
  /** Check switches of kbuild's command line that mdio-emu-dtc did not know and the build dropped. */
  droppedSwitches: string[];
  targets: number;
  identical: string[];
  different: string[];
  /** Built by the reference and not by us (our build failed for it). */
  missing: string[];
  ourFailures: string;
  dependencyMismatches: string[];
  touch: { file: string; expected: string[]; rebuilt: string[] }[];
  seconds: { ref: number; ours: number };
}

export function runKbuild(
  o: {
    all?: boolean;
    source?: string;
    jobs?: number;
    touch?: boolean;
    dtc?: string;
    inProcess?: boolean;
    freshReference?: boolean;
  } = {},
): KbuildReport {
  const src = o.source ?? kernelSource();
  const jobs = o.jobs ?? 2;
  const base = join(cache, 'kbuild-dtbs', src.split('/').pop() ?? 'linux');
  mkdirSync(base, { recursive: true });
  const unlock = lockExclusive(`${base}.lock`);
  try {
    return kbuildIn(src, base, jobs, o);
  } finally {
    unlock();
  }
}

/**
 * Holds flock(1) on `file` until the returned function is called (or this process ends: the lock's holder
 * reads our end of a pipe). The object trees are shared by every checkout on the machine, and two runs in
 * them at once would build into each other's trees.
 */
function lockExclusive(file: string): () => void {
  const ready = `${file}.${process.pid}.ready`;
  const holder = spawn('flock', ['-x', file, 'sh', '-c', ': >"$1"; exec cat >/dev/null', 'lock', ready], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; !existsSync(ready); waited += 100) {
    if (waited === 1000) log(`waiting for another kbuild run in this object tree (${file})`);
    if (waited > 3_600_000) throw new Error(`no lock on ${file} within an hour`);
    Atomics.wait(pause, 0, 0, 100);
  }
  rmSync(ready, { force: true });
  holder.unref();
  return () => {
    holder.stdin.end();
  };
}

function kbuildIn(
  src: string,
  base: string,
  jobs: number,
  o: Parameters<typeof runKbuild>[0] & object,
): KbuildReport {
  const ref = join(base, 'ref');
  const ours = join(base, 'ours');
  const { path: dtc, dropped } = dtcFor(o.dtc ?? ourTool('dtc', o.inProcess), base);
  const farm = join(base, 'src');
  symlinkFarm(src, farm, TOUCHED);
  prepare(src, ref, 'ref', jobs);
  prepare(farm, ours, 'ours', jobs, ourTool('fdtoverlay', o.inProcess));

  const goals = o.all ? ['dtbs'] : SAMPLE;
  const oursTargets = o.all ? blobsUnder(ours) : SAMPLE.map((t) => `${DTS}/${t}`);
  // Our outputs are always rebuilt: make cannot see that the compiler behind bin/ changed.
  for (const t of oursTargets) rmSync(join(ours, t), { force: true });
  if (o.all) rmSync(join(ours, DTS), { recursive: true, force: true });
  // The reference's blobs stay from run to run (they do not change); to time both builds alike, rebuild them.
  if (o.freshReference) rmSync(join(ref, DTS), { recursive: true, force: true });

  let started = performance.now();
  const refRun = make(src, ref, ['-k', ...goals], jobs);
  const refSeconds = (performance.now() - started) / 1000;
  if (refRun.status !== 0)
    log(`reference make exited ${String(refRun.status)}:\n${refRun.output.slice(-2000)}`);
  started = performance.now();
  const oursRun = make(farm, ours, ['-k', `DTC=${dtc}`, ...goals], jobs);
  const oursSeconds = (performance.now() - started) / 1000;

  // The sample's goals and, for composites, their bases and overlays (the reference tree may hold more from
  // an earlier whole-tree run).
  const targets = o.all
    ? blobsUnder(ref)
    : [...new Set(SAMPLE.flatMap((g) => [`${DTS}/${g}`, ...(components(ref, `${DTS}/${g}`) ?? [])]))].sort();
  const report: KbuildReport = {
    source: src,
    dtc,
    droppedSwitches: dropped,
    targets: targets.length,
    identical: [],
    different: [],
    missing: [],
    ourFailures:
      oursRun.status === 0
        ? ''
        : oursRun.output
            .split('\n')
            .filter((l) => /error|Error|FATAL|\*\*\*/.test(l))
            .slice(0, 40)
            .join('\n'),
    dependencyMismatches: [],
    touch: [],
    seconds: { ref: refSeconds, ours: oursSeconds },
  };
  for (const t of targets) {
    const a = join(ref, t);
    const b = join(ours, t);
    if (!existsSync(b)) report.missing.push(t);
    else if (readFileSync(a).equals(readFileSync(b))) report.identical.push(t);
    else report.different.push(t);
    const depsRef = dependencies(ref, t);
    const depsOurs = dependencies(ours, t)
      .map((d) => (d.startsWith(`${farm}/`) ? src + d.slice(farm.length) : d))
      .sort();
    if (existsSync(b) && depsRef.join('\n') !== depsOurs.join('\n')) report.dependencyMismatches.push(t);
  }

  if (o.touch !== false && !o.all)
    for (const rel of TOUCHED) {
      const file = join(src, rel);
      // Expected from the reference's dependency lists: the DTBs that name the file, then every composite
      // built from one of those.
      const expected = new Set(targets.filter((t) => dependencies(ref, t).includes(file)));
      for (const t of targets) if (components(ref, t)?.some((c) => expected.has(c))) expected.add(t);
      touch(src, farm, rel);
      let r: MakeResult;
      try {
        r = make(farm, ours, [`DTC=${dtc}`, ...goals], jobs);
      } finally {
        untouch(src, farm, rel);
      }
      report.touch.push({
        file: rel,
        expected: [...expected].sort(),
        rebuilt: [...new Set(r.rebuilt)].sort(),
      });
      if (r.status !== 0) log(`make after touching ${rel} exited ${String(r.status)}`);
      // The link is older than the new outputs again, so the next make rebuilds nothing; check that too.
      const settled = make(farm, ours, [`DTC=${dtc}`, ...goals], jobs);
      if (settled.rebuilt.length > 0) log(`make after restoring ${rel} rebuilt ${settled.rebuilt.join(' ')}`);
    }
  return report;
}

function formatReport(r: KbuildReport): string {
  const lines = [
    `kernel source: ${r.source}`,
    `DTC=${r.dtc}`,
    ...(r.droppedSwitches.length
      ? [`dropped from kbuild's DTC_FLAGS (checks the reproduced dtc lacks): ${r.droppedSwitches.join(' ')}`]
      : []),
    `DTBs/DTBOs built by the reference: ${r.targets}; identical: ${r.identical.length}; different: ${r.different.length}; not built by mdio-emu: ${r.missing.length}`,
    `make time: reference ${r.seconds.ref.toFixed(1)} s, mdio-emu ${r.seconds.ours.toFixed(1)} s`,
  ];
  for (const t of r.different) lines.push(`  different: ${t}`);
  for (const t of r.missing) lines.push(`  not built: ${t}`);
  if (r.ourFailures) lines.push(`mdio-emu build errors:\n${r.ourFailures}`);
  for (const t of r.dependencyMismatches) lines.push(`  dependency list differs: ${t}`);
  for (const t of r.touch) {
    const ok = t.expected.join(' ') === t.rebuilt.join(' ');
    lines.push(`touch ${t.file}: ${ok ? 'make rebuilt exactly' : 'MISMATCH:'} ${t.rebuilt.length} target(s)`);
    if (!ok) lines.push(`  expected: ${t.expected.join(' ')}`, `  rebuilt:  ${t.rebuilt.join(' ')}`);
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  if (args.includes('--fetch-only')) {
    console.log(kernelSource());
    process.exit(0);
  }
  const value = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const source = value('--source');
  const jobs = value('--jobs');
  const dtc = value('--dtc');
  const report = runKbuild({
    all: args.includes('--all'),
    ...(source ? { source } : {}),
    ...(jobs ? { jobs: Number(jobs) } : {}),
    ...(dtc ? { dtc } : {}),
    inProcess: args.includes('--in-process'),
    freshReference: args.includes('--fresh-reference'),
  });
  console.log(formatReport(report));
  const ok =
    report.different.length === 0 &&
    report.missing.length === 0 &&
    report.dependencyMismatches.length === 0 &&
    report.touch.every((t) => t.expected.join() === t.rebuilt.join());
  process.exitCode = ok ? 0 : 1;
}
