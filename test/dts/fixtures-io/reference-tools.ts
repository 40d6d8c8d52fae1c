import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTool, type ToolCommand } from '../../../scripts/dtc-reference.js';

/** Helpers that run the reference tools (dtc, fdtoverlay) so tests compare against them, never against our own output. */

const here = dirname(fileURLToPath(import.meta.url));

/** The shared conformance inputs (absent in a clone elsewhere). */
export { dtcTestsDir } from '../../shared-material.js';

export function hasTool(name: string): boolean {
  const r = spawnSync(name, ['--version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

export function fixturePath(name: string): string {
  return join(here, name);
}

export interface ToolResult {
  ok: boolean;
  stdout: Buffer;
  stderr: string;
}

export function run(tool: string, args: string[], cwd?: string): ToolResult {
  const r = spawnSync(tool, args, { cwd, maxBuffer: 64 << 20, timeout: 10_000 });
  // When the tool cannot be started (ENOENT) spawnSync leaves stdout and stderr null, which its types omit.
  const { stdout, stderr } = r as { stdout: Buffer | null; stderr: Buffer | null };
  return { ok: r.status === 0, stdout: stdout ?? Buffer.alloc(0), stderr: stderr?.toString('latin1') ?? '' };
}

/** A scratch folder removed by the returned cleanup function. */
export function scratchDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-dts-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A reference dtc of some generation (scripts/dtc-reference.ts), or the system's when none is given. */
function runDtcTool(args: string[], tool: ToolCommand | undefined): ToolResult {
  if (!tool) return run('dtc', args);
  const r = runTool(tool, args);
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
}

/** Compiles DTS text with dtc; extra flags such as `-@` pass through. */
export function dtcCompile(source: string, flags: string[] = [], tool?: ToolCommand): Buffer {
  const { dir, cleanup } = scratchDir();
  try {
    const input = join(dir, 'in.dts');
    const output = join(dir, 'out.dtb');
    writeFileSync(input, source);
    const r = runDtcTool(['-q', '-I', 'dts', '-O', 'dtb', ...flags, '-o', output, input], tool);
    if (!r.ok) throw new Error(`dtc rejected the source: ${r.stderr}`);
    return readFileSync(output);
  } finally {
    cleanup();
  }
}

/** `dtc -I <in> -O dts` of a text or blob input, as latin1 text (dtc writes bytes, not UTF-8). */
export function dtcToDts(input: Buffer | string, inputFormat: 'dts' | 'dtb', tool?: ToolCommand): string {
  const { dir, cleanup } = scratchDir();
  try {
    const file = join(dir, `in.${inputFormat}`);
    writeFileSync(file, input);
    const r = runDtcTool(['-q', '-I', inputFormat, '-O', 'dts', file], tool);
    if (!r.ok) throw new Error(`dtc rejected the input: ${r.stderr}`);
    return r.stdout.toString('latin1');
  } finally {
    cleanup();
  }
}

export { existsSync };
