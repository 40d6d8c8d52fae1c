import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { repoRoot } from '../src/qemu/initramfs.js';
import { ensureKernel } from '../src/qemu/kernel.js';
import { parseKernelSpec } from '../src/qemu/kernel-spec.js';
import { failBadge } from '../src/qemu/matrix-html.js';
import { kernelColumn, runMatrix, type MatrixKernel, type MatrixReport } from '../src/qemu/matrix.js';
import { freezeAfterMs, freezeAfterOption } from './qemu-options.js';
import { interruptible, partialReport } from './interrupt.js';
import { ExitCodeError } from './run.js';

/** The shipped scenarios that need a real guest: `qemu-*` and the generated `gen-qemu-*` files in dts/. */
export function shippedQemuScenarios(dir = join(repoRoot, 'dts')): string[] {
  return readdirSync(dir)
    .filter((f) => /^(?:gen-)?qemu-.*\.scenario\.json$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

function jobsOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new InvalidArgumentError('expected a whole number from 1 to 64');
  return n;
}

/**
 * `mdio-emu qemu matrix`: every scenario on every kernel, side by side. Kernels are named by spec
 * (docs/guest-kernel.md), built on first use; the exit status says whether every expectation held (an
 * expected failure of a known kernel bug counts as held).
 */
export function registerMatrix(qemu: Command): void {
  qemu
    .command('matrix')
    .description('run scenarios on several kernels side by side; report.json and a report.html grid')
    .option(
      '--kernel <NAME=SPEC>',
      'a kernel: 6.1, 7.2+kasan, fixed=newest+patch:FILE, mine=src:DIR, lab=image:IMG,modules:DIR (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option(
      '--scenario <file>',
      'a scenario file (repeatable; default: every shipped QEMU scenario in dts/)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--report <dir>', 'where report.json, report.html and each run go', 'mdio-emu-matrix')
    .option('-j, --jobs <n>', 'guests at once (default: one per core)', jobsOption)
    .option(...freezeAfterOption)
    .action(async (o: MatrixCommandOptions) => {
      if (o.kernel.length === 0)
        throw new ExitCodeError(2, 'mdio-emu: name at least one kernel: --kernel 6.1 --kernel 7.2');
      const specs = o.kernel.map((k) => parseKernelSpec(k));
      const names = specs.map((s) => s.name);
      const twice = names.find((n, i) => names.indexOf(n) !== i);
      if (twice !== undefined)
        throw new ExitCodeError(2, `mdio-emu: two kernels are called "${twice}": name them, NAME=SPEC`);
      const kernels: MatrixKernel[] = [];
      for (const spec of specs) {
        process.stderr.write(`mdio-emu: kernel ${spec.name} (${spec.text})\n`);
        const k = await ensureKernel(spec);
        kernels.push(kernelColumn(k, spec.name));
      }
      const scenarios = o.scenario.length > 0 ? o.scenario.map((f) => resolve(f)) : shippedQemuScenarios();
      const { result: report, interrupted } = await interruptible((signal) =>
        runMatrix({
          kernels,
          scenarios,
          reportDir: resolve(o.report),
          ...(o.jobs === undefined ? {} : { jobs: o.jobs }),
          ...freezeAfterMs(o.freezeAfter),
          signal,
          onProgress: (m) => process.stderr.write(`mdio-emu: ${m}\n`),
        }),
      );
      process.stdout.write(formatMatrix(report, resolve(o.report)));
      if (interrupted) throw partialReport(interrupted, resolve(o.report));
      if (!report.pass) throw new ExitCodeError(1);
    });
}

interface MatrixCommandOptions {
  kernel: string[];
  scenario: string[];
  report: string;
  jobs?: number;
  freezeAfter?: number;
}

/** The grid as text: one line per scenario, a verdict per kernel, then what differs and the totals. */
export function formatMatrix(m: MatrixReport, dir: string): string {
  const width = Math.max(8, ...m.scenarios.map((s) => s.length));
  const lines = [`${'scenario'.padEnd(width)}  ${m.kernels.map((k) => k.name.padEnd(10)).join(' ')}`];
  for (const s of m.scenarios) {
    const cells = m.kernels.map((k) => {
      const c = m.cells.find((x) => x.scenario === s && x.kernel === k.name);
      if (!c) return 'not run'.padEnd(10);
      if (c.end === 'not-applicable') return 'n/a'.padEnd(10);
      const known = c.knownBugs.length > 0 || c.expectations.some((e) => e.status === 'expected-failure');
      return (c.pass ? (known ? 'PASS*' : 'PASS') : failBadge(c.end)).padEnd(10);
    });
    lines.push(`${s.padEnd(width)}  ${cells.join(' ')}`);
  }
  const bugs = new Map<string, Set<string>>();
  for (const c of m.cells) for (const b of c.knownBugs) bugs.set(b, (bugs.get(b) ?? new Set()).add(c.kernel));
  if (bugs.size > 0) {
    lines.push('', 'PASS*: the kernel showed a known bug the scenario names (docs/kernel-findings.md):');
    for (const [bug, kernels] of bugs) lines.push(`  ${bug} (${[...kernels].join(', ')})`);
  }
  const failed = m.cells.filter((c) => !c.pass);
  const runs = m.cells.filter((c) => c.end !== 'not-applicable').length;
  for (const c of failed) lines.push(`FAIL ${c.scenario} on ${c.kernel}: ${c.verdict}`);
  const verdict = m.interrupted === undefined ? (m.pass ? 'PASS' : 'FAIL') : `INTERRUPTED (${m.interrupted})`;
  lines.push(
    '',
    `${verdict}: ${runs - failed.length}/${runs} runs passed${runs < m.cells.length ? ` (${m.cells.length - runs} n/a)` : ''}, ${(m.wallMs / 1000).toFixed(0)} s wall, ${m.jobs} guest(s) at once; ${join(dir, 'report.html')}`,
  );
  return `${lines.join('\n')}\n`;
}
