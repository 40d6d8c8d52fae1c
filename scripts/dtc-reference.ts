/**
 * The reference dtc of each generation mdio-emu's compiler reproduces (`--compat 1.6|1.7|1.8`): Debian 12's
 * `device-tree-compiler` 1.6.1, Debian 13's 1.7.2 and Debian unstable's 1.8.1. A generation is taken from
 * the system's own dtc when that is the right version, else from the suite's packages unpacked (never
 * installed) by scripts/debian-suite.sh into the shared cache, and run with that suite's own loader and C
 * library, since those binaries need a newer glibc than the host may have.
 *
 * Tests, the corpus comparison and its benchmark use this; `tsx scripts/dtc-reference.ts fetch [1.6 1.7 1.8]`
 * (run by scripts/setup.sh) fetches what is missing and prints what it found.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type DtcGeneration = '1.6' | '1.7' | '1.8';
export const DTC_GENERATIONS: readonly DtcGeneration[] = ['1.6', '1.7', '1.8'];

/** The Debian suite whose device-tree-compiler is each generation's reference. */
const SUITE: Readonly<Record<DtcGeneration, string>> = { '1.6': 'bookworm', '1.7': 'trixie', '1.8': 'sid' };
const PACKAGES = ['device-tree-compiler', 'libfdt1', 'libc6', 'libyaml-0-2'];

const scriptsDir = dirname(fileURLToPath(import.meta.url));

export const cacheDir = (): string => process.env['MDIO_EMU_CACHE'] ?? join(homedir(), '.cache/mdio-emu');

/** One program of a reference installation: the command and the arguments that come before the tool's own. */
export interface ToolCommand {
  readonly command: string;
  readonly prefix: readonly string[];
}

export interface ToolRun {
  status: number | null;
  stdout: Buffer;
  stderr: string;
  /** Set when the tool did not finish (signal or time-out): dtc crashes or hangs on some inputs. */
  signal: NodeJS.Signals | null;
}

export interface ReferenceDtc {
  readonly generation: DtcGeneration;
  /** As `dtc --version` prints it, e.g. 1.7.2. */
  readonly version: string;
  /** Where it came from: `system` or the unpacked folder. */
  readonly origin: string;
  readonly dtc: ToolCommand;
  readonly fdtoverlay: ToolCommand;
}

export interface RunOptions {
  cwd?: string;
  input?: Buffer | string;
  timeoutMs?: number;
}

/** Runs one of a reference's tools; stdout as bytes (dtc writes latin1 and binary), stderr as latin1. */
export function runTool(tool: ToolCommand, args: readonly string[], options: RunOptions = {}): ToolRun {
  const spawnOptions: SpawnSyncOptions = { maxBuffer: 1 << 28, timeout: options.timeoutMs ?? 10_000 };
  if (options.cwd !== undefined) spawnOptions.cwd = options.cwd;
  if (options.input !== undefined) spawnOptions.input = options.input;
  const r = spawnSync(tool.command, [...tool.prefix, ...args], spawnOptions);
  // A tool that cannot be started leaves stdout and stderr null, which the types omit.
  const { stdout, stderr } = r as { stdout: Buffer | null; stderr: Buffer | null };
  return {
    status: r.status,
    stdout: stdout ?? Buffer.alloc(0),
    stderr: stderr?.toString('latin1') ?? '',
    signal: r.signal,
  };
}

function versionOf(tool: ToolCommand): string | undefined {
  const r = runTool(tool, ['--version'], { timeoutMs: 5000 });
  return r.status === 0 ? /Version: DTC (\S+)/.exec(r.stdout.toString('latin1'))?.[1] : undefined;
}

const inGeneration = (version: string | undefined, generation: DtcGeneration): boolean =>
  version !== undefined && (version === generation || version.startsWith(`${generation}.`));

/** The folder a suite's packages are unpacked into. */
export const unpackDir = (generation: DtcGeneration): string => join(cacheDir(), `dtc-${SUITE[generation]}`);

function unpacked(dir: string): { dtc: ToolCommand; fdtoverlay: ToolCommand } {
  const lib = join(dir, 'usr/lib/x86_64-linux-gnu');
  const loader = join(lib, 'ld-linux-x86-64.so.2');
  const tool = (name: string): ToolCommand => ({
    command: loader,
    prefix: ['--library-path', lib, join(dir, 'usr/bin', name)],
  });
  return { dtc: tool('dtc'), fdtoverlay: tool('fdtoverlay') };
}

const found = new Map<DtcGeneration, ReferenceDtc | undefined>();

/** The reference of a generation if it is on this machine (the system's dtc or an unpacked suite), else undefined. */
export function findReferenceDtc(generation: DtcGeneration): ReferenceDtc | undefined {
  if (found.has(generation)) return found.get(generation);
  let ref: ReferenceDtc | undefined;
  const system: ToolCommand = { command: 'dtc', prefix: [] };
  const systemVersion = versionOf(system);
  if (inGeneration(systemVersion, generation) && systemVersion !== undefined) {
    ref = {
      generation,
      version: systemVersion,
      origin: 'system',
      dtc: system,
      fdtoverlay: { command: 'fdtoverlay', prefix: [] },
    };
  } else {
    const dir = unpackDir(generation);
    if (existsSync(join(dir, '.done')) && existsSync(join(dir, 'usr/bin/dtc'))) {
      const tools = unpacked(dir);
      const version = versionOf(tools.dtc);
      if (inGeneration(version, generation) && version !== undefined)
        ref = { generation, version, origin: dir, ...tools };
    }
  }
  found.set(generation, ref);
  return ref;
}

/** Finds a generation's reference, unpacking it from its Debian suite first when it is missing. */
export function fetchReferenceDtc(generation: DtcGeneration): ReferenceDtc | undefined {
  const have = findReferenceDtc(generation);
  if (have) return have;
  const r = spawnSync(
    'bash',
    [join(scriptsDir, 'debian-suite.sh'), 'unpack', SUITE[generation], unpackDir(generation), ...PACKAGES],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 600_000,
    },
  );
  if (r.status !== 0) return undefined;
  found.delete(generation);
  return findReferenceDtc(generation);
}

/** The reason a test that needs this generation's reference skips, or undefined when it is here. */
export function missingReason(generation: DtcGeneration): string | undefined {
  return findReferenceDtc(generation)
    ? undefined
    : `reference dtc ${generation} is absent (scripts/setup.sh fetches it: tsx scripts/dtc-reference.ts fetch ${generation})`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [command, ...rest] = process.argv.slice(2);
  const generations = rest.length > 0 ? (rest as DtcGeneration[]) : DTC_GENERATIONS;
  let missing = 0;
  for (const generation of generations) {
    if (!DTC_GENERATIONS.includes(generation))
      throw new Error(`unknown dtc generation ${generation} (1.6, 1.7 or 1.8)`);
    const ref = command === 'fetch' ? fetchReferenceDtc(generation) : findReferenceDtc(generation);
    if (ref) console.log(`dtc ${generation}: ${ref.version} (${ref.origin})`);
    else {
      console.log(`dtc ${generation}: not available`);
      missing++;
    }
  }
  process.exitCode = missing > 0 ? 1 : 0;
}
