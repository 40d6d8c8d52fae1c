import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findKernel, type GuestKernelInfo } from '../../src/qemu/kernel.js';
import { qemuBinary } from '../../src/qemu/machine.js';
import { runQemuScenario } from '../../src/qemu/run.js';
import type { RunReport } from '../../src/scenario/index.js';

/**
 * What the end-to-end tests on the newest Debian kernel share: finding that kernel with its guest tools, one
 * boot per shipped scenario however many tests read it, and readers of a run's report and files.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The newest kernel with its guest tools, or why the tests on it cannot run here. */
export async function newestGuest(): Promise<{ kernel?: GuestKernelInfo; missing?: string }> {
  if (spawnSync(qemuBinary, ['--version']).status !== 0) return { missing: `${qemuBinary} is not installed` };
  const kernel = await findKernel('newest').catch(() => undefined);
  if (!kernel)
    return {
      missing:
        'the newest guest kernel is not built (`mdio-emu qemu kernel --version newest`, scripts/build-ci-kernels.sh)',
    };
  if (!kernel.guestTools.archive)
    return { missing: 'its guest tools are not built (scripts/guest-tools/build.sh --suite sid)' };
  return { kernel };
}

/** Runs `dts/qemu-NAME.scenario.json` on `k` once per NAME; every test asking for it reads the same run. */
export function runOnce(k: GuestKernelInfo): (name: string) => Promise<RunReport> {
  const runs = new Map<string, Promise<RunReport>>();
  return (name) => {
    let p = runs.get(name);
    if (!p) {
      p = mkdtemp(join(tmpdir(), `mdio-emu-e2e-${name}-`)).then((reportDir) =>
        runQemuScenario({
          kernel: k.image,
          modulesDir: k.modulesDir,
          scenarioFile: join(repo, 'dts', `qemu-${name}.scenario.json`),
          reportDir,
          kernelName: k.name,
          kernelRelease: k.release,
          ...(k.guestTools.archive === undefined ? {} : { guestTools: k.guestTools.archive }),
        }),
      );
      runs.set(name, p);
    }
    return p;
  };
}

export interface Command {
  step: number;
  command: string;
  rc: number;
  output: string[];
}
export const commands = (r: RunReport): Command[] => r.details.commands as Command[];
/** The output of the scenario step `id` (a `run` step). */
export const output = (r: RunReport, id: string): string[] => {
  const index = r.steps.findIndex((s) => s.id === id);
  return commands(r).find((c) => c.step === index)?.output ?? [];
};
export const traceLines = (r: RunReport): string[] => readFileSync(r.files.trace ?? '', 'utf8').split('\n');
/** The failed expectations' and steps' messages, for an assertion's message. */
export const failed = (r: RunReport): string =>
  JSON.stringify(
    r.expectations
      .filter((e) => !e.pass)
      .map((e) => e.message)
      .concat(r.steps.filter((s) => s.status === 'failed').map((s) => s.detail ?? '')),
  );
