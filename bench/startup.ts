/**
 * Start-up of the installed CLI, one process per run as build systems start it, side by side with the
 * references in the same run (runs interleaved, medians of wall time):
 *   - `mdio-emu --version` against `node -e 0` (target: within 2x);
 *   - `mdio-emu-dtc` (and `mdio-emu dtc`) on a board tree against dtc on the same input, as kbuild runs it:
 *     cpp first, then the compiler on cpp's output (target: within 3x of dtc's wall time per file);
 *   - the native client (dist/tools/mdio-emu-dtc, cli/standalone/dtc-client.c) against dtc, with its tool
 *     server warm (started and given 30 runs of the board first, the steady state of a long build);
 *   - the whole per-file step: cpp + dtc against cpp + mdio-emu-dtc, and against `mdio-emu-dtc --cpp`
 *     doing both in one process;
 *   - a build's sequence: BENCH_STARTUP_BOARDS (default 40) arm64 boards spread over the vendors,
 *     preprocessed beforehand, each compiled once in turn by dtc, by the native client starting from no
 *     server (its start and warm-up included), and by bin/mdio-emu-dtc.js; totals and the mean per file.
 * The board is Raspberry Pi 4 (bcm2711-rpi-4-b) from a kernel source tree (DTS_CORPUS_SRC, the unpacked
 * Linux in the mdio-emu cache, or .cache/kernel-src), else the repository's own dts/default-board.dts.
 * Needs `npm run build` (dist/); BENCH_STARTUP_RUNS sets the runs per command (default 15).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const node = process.execPath;

/** A kernel tree with the Raspberry Pi 4 board (arm64 layout of 6.5+ or the older arch/arm one). */
function raspberryPi4(): { dts: string; includes: string[] } | undefined {
  const roots: string[] = [];
  if (process.env['DTS_CORPUS_SRC']) roots.push(process.env['DTS_CORPUS_SRC']);
  const cache = process.env['MDIO_EMU_CACHE'] ?? join(homedir(), '.cache', 'mdio-emu');
  for (const parent of [join(cache, 'linux-src'), join(repo, '.cache', 'kernel-src')])
    if (existsSync(parent)) for (const d of readdirSync(parent).sort().reverse()) roots.push(join(parent, d));
  roots.push(join(cache, 'linux-source-6.1'));
  for (const root of roots) {
    for (const dir of ['arch/arm64/boot/dts/broadcom', 'arch/arm/boot/dts/broadcom', 'arch/arm/boot/dts']) {
      const dts = join(root, dir, 'bcm2711-rpi-4-b.dts');
      if (existsSync(dts))
        return { dts, includes: [join(root, 'scripts/dtc/include-prefixes'), join(root, dir)] };
    }
  }
  return undefined;
}

interface Timed {
  label: string;
  argv: string[];
  shell?: boolean;
  env?: NodeJS.ProcessEnv;
  samples: number[];
}

function time(cmd: Timed): void {
  const options = {
    stdio: ['ignore', 'ignore', 'pipe'] as ['ignore', 'ignore', 'pipe'],
    ...(cmd.env ? { env: cmd.env } : {}),
  };
  const started = performance.now();
  const r = cmd.shell
    ? spawnSync('sh', ['-c', cmd.argv.join(' ')], options)
    : spawnSync(cmd.argv[0] ?? '', cmd.argv.slice(1), options);
  cmd.samples.push(performance.now() - started);
  if (r.status !== 0)
    throw new Error(`${cmd.label} failed (${String(r.status)}): ${r.stderr.toString().slice(0, 500)}`);
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

/** Runs the commands interleaved (so load on a shared machine hits them alike) and returns medians by label. */
function measure(cmds: Timed[], runs: number): Map<string, number> {
  for (const c of cmds) time(c); // warm the page cache
  for (const c of cmds) c.samples.length = 0;
  for (let i = 0; i < runs; i++) for (const c of cmds) time(c);
  const out = new Map<string, number>();
  for (const c of cmds) {
    out.set(c.label, median(c.samples));
    console.log(`  ${median(c.samples).toFixed(1).padStart(7)} ms  ${c.label}`);
  }
  return out;
}

export async function run(): Promise<void> {
  const bin = join(repo, 'bin');
  if (!existsSync(join(repo, 'dist', '.built'))) {
    console.log('startup: no build in dist/ (npm run build); skipped');
    return;
  }
  const runs = Number(process.env['BENCH_STARTUP_RUNS'] ?? 15);
  const hasDtc = spawnSync('dtc', ['--version'], { stdio: 'ignore' }).status === 0;
  const hasCpp = spawnSync('cpp', ['--version'], { stdio: 'ignore' }).status === 0;

  console.log(`mdio-emu --version against node -e 0 (${runs} runs each, medians):`);
  const v = measure(
    [
      { label: 'node -e 0', argv: [node, '-e', '0'], samples: [] },
      { label: 'mdio-emu --version', argv: [node, join(bin, 'mdio-emu.js'), '--version'], samples: [] },
    ],
    runs,
  );
  console.log(
    `ratio mdio-emu --version / node -e 0: ${((v.get('mdio-emu --version') ?? 0) / (v.get('node -e 0') ?? 1)).toFixed(2)} (target <= 2)`,
  );

  if (!hasDtc || !hasCpp) {
    console.log('startup: dtc or cpp is not installed; per-file comparison skipped');
    return;
  }
  const board = raspberryPi4() ?? {
    dts: join(repo, 'dts', 'default-board.dts'),
    includes: [join(repo, 'dts')],
  };
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-bench-startup-'));
  try {
    const pre = join(dir, 'board.dts.tmp');
    const cppArgs = [
      '-nostdinc',
      ...board.includes.flatMap((i) => ['-I', i]),
      '-undef',
      '-D__DTS__',
      '-x',
      'assembler-with-cpp',
    ];
    const cppRun = spawnSync('cpp', [...cppArgs, '-o', pre, board.dts]);
    if (cppRun.status !== 0) throw new Error(`cpp failed: ${cppRun.stderr.toString()}`);
    // kbuild's command line (scripts/Makefile.dtbs cmd_dtc), warnings included.
    const dtcArgs = [
      '-o',
      '/dev/null',
      '-b',
      '0',
      ...board.includes.map((i) => `-i${i}`),
      '-Wno-unique_unit_address',
      '-Wno-unit_address_vs_reg',
      '-Wno-avoid_unnecessary_addr_size',
      '-Wno-alias_paths',
      '-Wno-simple_bus_reg',
    ];
    const cppCmd = ['cpp', ...cppArgs, '-o', join(dir, 'x.tmp'), board.dts];
    // The native client's servers live in a folder of this run's own, so none from before is reused.
    const client = join(repo, 'dist', 'tools', 'mdio-emu-dtc');
    const hasClient = existsSync(client);
    const serverEnv = (name: string, use: string): NodeJS.ProcessEnv => {
      const runtime = join(dir, name);
      mkdirSync(runtime, { recursive: true, mode: 0o700 });
      return {
        ...process.env,
        XDG_RUNTIME_DIR: runtime,
        MDIO_EMU_TOOL_SERVER: use,
        MDIO_EMU_TOOL_SERVER_IDLE: '20',
      };
    };
    const warmEnv = serverEnv('warm', 'require');
    // Steady state, as the files after a build's first few see it: the server started and its JIT warmed on
    // this board (the sequence below includes the start and the warm-up).
    if (hasClient)
      for (let i = 0; i < 30; i++) spawnSync(client, [...dtcArgs, pre], { stdio: 'ignore', env: warmEnv });
    console.log(`\nper file: ${board.dts}, compiled from cpp's output as kbuild does:`);
    const f = measure(
      [
        { label: 'dtc', argv: ['dtc', ...dtcArgs, pre], samples: [] },
        { label: 'mdio-emu-dtc', argv: [node, join(bin, 'mdio-emu-dtc.js'), ...dtcArgs, pre], samples: [] },
        ...(hasClient
          ? [
              {
                label: 'native client, warm server',
                argv: [client, ...dtcArgs, pre],
                env: warmEnv,
                samples: [],
              },
              {
                label: 'cpp + native client',
                argv: [...cppCmd, '&&', client, ...dtcArgs, pre],
                shell: true,
                env: warmEnv,
                samples: [],
              },
            ]
          : []),
        {
          label: 'mdio-emu dtc',
          argv: [node, join(bin, 'mdio-emu.js'), 'dtc', ...dtcArgs, pre],
          samples: [],
        },
        { label: 'cpp + dtc', argv: [...cppCmd, '&&', 'dtc', ...dtcArgs, pre], shell: true, samples: [] },
        {
          label: 'cpp + mdio-emu-dtc',
          argv: [...cppCmd, '&&', node, join(bin, 'mdio-emu-dtc.js'), ...dtcArgs, pre],
          shell: true,
          samples: [],
        },
        {
          label: 'mdio-emu-dtc --cpp',
          argv: [node, join(bin, 'mdio-emu-dtc.js'), '--cpp', ...dtcArgs, board.dts],
          samples: [],
        },
        { label: 'node -e 0', argv: [node, '-e', '0'], samples: [] },
      ],
      runs,
    );
    const ratio = (a: string, b: string): string => ((f.get(a) ?? 0) / (f.get(b) ?? 1)).toFixed(2);
    console.log(
      `ratio mdio-emu-dtc / dtc:                 ${ratio('mdio-emu-dtc', 'dtc')} (a Node process per file)`,
    );
    if (hasClient) {
      console.log(
        `ratio native client, warm server / dtc:   ${ratio('native client, warm server', 'dtc')} (target <= 3)`,
      );
      console.log(`ratio (cpp + native client) / (cpp + dtc): ${ratio('cpp + native client', 'cpp + dtc')}`);
    }
    console.log(`ratio mdio-emu dtc / dtc:                 ${ratio('mdio-emu dtc', 'dtc')}`);
    console.log(`ratio (cpp + mdio-emu-dtc) / (cpp + dtc): ${ratio('cpp + mdio-emu-dtc', 'cpp + dtc')}`);
    console.log(`ratio mdio-emu-dtc --cpp / (cpp + dtc):   ${ratio('mdio-emu-dtc --cpp', 'cpp + dtc')}`);
    console.log(
      `ratio node -e 0 / dtc:                    ${ratio('node -e 0', 'dtc')} (a Node process alone)`,
    );
    if (board.includes.length > 0)
      sequence(board.dts, dir, dtcArgs, hasClient ? client : undefined, serverEnv('cold', 'auto'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await Promise.resolve();
}

/** Board files spread evenly over the arm64 tree of the kernel holding `dts` (every vendor's folder). */
function boardsBeside(dts: string, count: number): { dts: string; includes: string[] }[] {
  const arm64 = dts.includes('/arch/arm64/boot/dts/')
    ? dts.slice(0, dts.indexOf('/arch/arm64/boot/dts/'))
    : undefined;
  if (!arm64) return [];
  const top = join(arm64, 'arch/arm64/boot/dts');
  const all: { dts: string; includes: string[] }[] = [];
  for (const vendor of readdirSync(top, { withFileTypes: true })) {
    if (!vendor.isDirectory()) continue;
    const folder = join(top, vendor.name);
    for (const f of readdirSync(folder).sort())
      if (f.endsWith('.dts'))
        all.push({ dts: join(folder, f), includes: [join(arm64, 'scripts/dtc/include-prefixes'), folder] });
  }
  all.sort((a, b) => a.dts.localeCompare(b.dts));
  const step = Math.max(1, Math.floor(all.length / count));
  return all.filter((_, i) => i % step === 0).slice(0, count);
}

/**
 * What a build sees: each of many boards compiled once, in turn. dtc, then the native client from no server
 * (the first file runs in-process while the server starts; the server warms up over the next ones), then a
 * Node process per file. Inputs are preprocessed before the clock starts.
 */
function sequence(
  dts: string,
  dir: string,
  dtcArgs: readonly string[],
  client: string | undefined,
  coldEnv: NodeJS.ProcessEnv,
): void {
  const count = Number(process.env['BENCH_STARTUP_BOARDS'] ?? 40);
  const inputs: { pre: string; includes: string[] }[] = [];
  for (const [i, b] of boardsBeside(dts, count).entries()) {
    const pre = join(dir, `seq-${i}.dts.tmp`);
    const cpp = spawnSync('cpp', [
      '-nostdinc',
      ...b.includes.flatMap((x) => ['-I', x]),
      '-undef',
      '-D__DTS__',
      '-x',
      'assembler-with-cpp',
      '-o',
      pre,
      b.dts,
    ]);
    if (cpp.status !== 0) continue;
    const includes = b.includes.map((x) => `-i${x}`);
    if (spawnSync('dtc', [...dtcArgs, ...includes, pre], { stdio: 'ignore' }).status !== 0) continue;
    inputs.push({ pre, includes });
  }
  if (inputs.length === 0) return;
  const flags = dtcArgs.filter((a) => !a.startsWith('-i'));
  const total = (
    argv: (input: { pre: string; includes: string[] }) => string[],
    env?: NodeJS.ProcessEnv,
  ): number => {
    const started = performance.now();
    for (const input of inputs) {
      const [cmd = '', ...args] = argv(input);
      const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(env ? { env } : {}) });
      if (r.status !== 0)
        throw new Error(`${cmd} failed on ${input.pre}: ${r.stderr.toString().slice(0, 300)}`);
    }
    return performance.now() - started;
  };
  console.log(`\na build's sequence: ${inputs.length} arm64 boards across the vendors, each compiled once:`);
  const rows: [string, number][] = [['dtc', total((i) => ['dtc', ...flags, ...i.includes, i.pre])]];
  if (client)
    rows.push([
      'native client, from no server',
      total((i) => [client, ...flags, ...i.includes, i.pre], coldEnv),
    ]);
  rows.push([
    'mdio-emu-dtc (Node per file)',
    total((i) => [node, join(repo, 'bin', 'mdio-emu-dtc.js'), ...flags, ...i.includes, i.pre]),
  ]);
  const ref = rows[0]?.[1] ?? 1;
  for (const [label, ms] of rows)
    console.log(
      `  ${(ms / 1000).toFixed(2).padStart(7)} s  ${(ms / inputs.length).toFixed(1).padStart(6)} ms/file  ${(ms / ref).toFixed(2).padStart(6)}x dtc  ${label}`,
    );
}
