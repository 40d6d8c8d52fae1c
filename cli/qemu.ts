import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ensureKernel, findKernel, type BuildProgress, type GuestKernelInfo } from '../src/qemu/kernel.js';
import { KernelError } from '../src/qemu/kernel-errors.js';
import { KERNEL_VARIANTS, parseKernelSpec, type KernelSpec } from '../src/qemu/kernel-spec.js';
import { runQemuScenario } from '../src/qemu/run.js';
import { readGuestRelease } from '../src/qemu/guest-modules.js';
import { formatRunReport } from './report-output.js';
import { guestToolsArchive, repoRoot } from '../src/qemu/initramfs.js';
import { guestToolsFor } from '../src/qemu/guest-tools.js';
import { interruptible, partialReport } from './interrupt.js';
import { registerMatrix } from './qemu-matrix.js';
import { freezeAfterMs, freezeAfterOption } from './qemu-options.js';
import { registerStress } from './qemu-stress.js';
import { ExitCodeError } from './run.js';

/** `mdio-emu qemu kernel|run|demo`: a real Linux 6.1 guest under stock QEMU talking to the emulator. */
export function register(program: Command): void {
  const qemu = program
    .command('qemu')
    .description('boot a real Linux guest under QEMU against emulated USB devices');
  registerStress(qemu);
  registerMatrix(qemu);

  qemu
    .command('kernel')
    .description(
      'build (or take from the cache) an arm64 guest kernel and its modules; prints its cache directory',
    )
    .option('--version <X.Y>', "Debian's linux-source-X.Y: 6.1, 6.12, 7.2 or newest (default 6.1)")
    .option('--src <dir>', 'your own Linux tree (git or plain, 6.1 or newer), built out of tree')
    .option('--spec <spec>', 'a whole kernel spec, NAME=SPEC (docs/guest-kernel.md)')
    .option('--variant <variant>', 'plain, kasan or lockdep', 'plain')
    .option('--kasan', 'the KASAN variant (same as --variant kasan)')
    .option(
      '--patch <file>',
      'apply this patch to a private copy first (repeatable; applied in order)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--out <dir>', 'also copy Image, modules/ and config to this directory')
    .option('--check', 'build nothing: exit 0 if the kernel is in the cache, 3 if not')
    .option('--rebuild', 'build even when cached (reuses the build tree: only what changed is compiled)')
    .option('-j, --jobs <n>', 'parallel make jobs (default: the number of cores)')
    .option('--json', 'print the kernel description (release, version, paths, guest tools) as JSON')
    .action(async (o: KernelCommandOptions) => {
      const spec = kernelSpecFromOptions(o);
      try {
        if (o.check === true) {
          const found = await findKernel(spec);
          if (!found) throw new ExitCodeError(3);
          printKernel(found, o.json === true);
          return;
        }
        const progress = progressLine();
        const kernel = await ensureKernel(spec, {
          onProgress: progress.update,
          ...(o.out ? { out: resolve(o.out) } : {}),
          ...(o.rebuild === true ? { rebuild: true } : {}),
          ...(o.jobs ? { jobs: Number(o.jobs) } : {}),
        }).finally(progress.done);
        printKernel(kernel, o.json === true);
      } catch (err) {
        // The failing tool's last lines (a compiler error, patch's complaint) before the one-line diagnosis.
        if (err instanceof KernelError && err.output) process.stderr.write(`${err.output}\n`);
        throw err;
      }
    });

  qemu
    .command('run')
    .description('run a QEMU scenario; exits 0 only when every expectation holds')
    .requiredOption('--kernel <image>', 'arm64 kernel Image')
    .requiredOption('--modules <dir>', 'directory with the guest kernel modules (.ko)')
    .requiredOption('--scenario <file>', 'scenario JSON file')
    .option('--report <dir>', 'where report.json and the console log go', 'mdio-emu-report')
    .option(...freezeAfterOption)
    .action(async (o: RunCommandOptions) => {
      const release = await readGuestRelease(resolve(o.modules));
      // The guest's ethtool follows its kernel's era (6.12 and 7.x guests need native C33 --show-pse).
      const version = /^\d+\.\d+/.exec(release ?? '')?.[0];
      const tools = version === undefined ? undefined : guestToolsFor(version);
      const guestTools = tools && tools.suite !== 'bookworm' ? await guestToolsArchive(tools) : undefined;
      const { result: report, interrupted } = await interruptible((signal) =>
        runQemuScenario({
          kernel: resolve(o.kernel),
          modulesDir: resolve(o.modules),
          scenarioFile: o.scenario,
          reportDir: resolve(o.report),
          ...(release === undefined ? {} : { kernelRelease: release }),
          ...(guestTools === undefined ? {} : { guestTools }),
          ...freezeAfterMs(o.freezeAfter),
          signal,
          onProgress: (m) => process.stderr.write(`mdio-emu: ${m}\n`),
        }),
      );
      process.stdout.write(formatRunReport(report));
      if (interrupted) throw partialReport(interrupted, resolve(o.report));
      if (!report.pass) throw new ExitCodeError(1);
    });

  qemu
    .command('demo')
    .description('the built-in deferred-PSE scenario end to end, building the guest kernel on first use')
    .option('--report <dir>', 'where the report goes', 'mdio-emu-demo')
    .action(async (o: { report: string }) => {
      process.stderr.write(
        'mdio-emu: guest kernel (built once per machine, several minutes the first time)\n',
      );
      const progress = progressLine();
      const kernel = await ensureKernel('6.1', { onProgress: progress.update }).finally(progress.done);
      const { result: report, interrupted } = await interruptible((signal) =>
        runQemuScenario({
          kernel: kernel.image,
          modulesDir: kernel.modulesDir,
          kernelName: basename(kernel.dir),
          scenarioFile: join(repoRoot, 'dts', 'qemu-pse-late.scenario.json'),
          reportDir: resolve(o.report),
          kernelRelease: kernel.release,
          signal,
          onProgress: (m) => process.stderr.write(`mdio-emu: ${m}\n`),
        }),
      );
      process.stdout.write(formatRunReport(report));
      if (interrupted) throw partialReport(interrupted, resolve(o.report));
      if (!report.pass) throw new ExitCodeError(1);
    });
}

interface RunCommandOptions {
  kernel: string;
  modules: string;
  scenario: string;
  report: string;
  freezeAfter?: number;
}

interface KernelCommandOptions {
  version?: string;
  src?: string;
  spec?: string;
  variant: string;
  kasan?: boolean;
  patch: string[];
  out?: string;
  check?: boolean;
  rebuild?: boolean;
  jobs?: string;
  json?: boolean;
}

/** The flags as one kernel spec (the grammar of src/qemu/kernel-spec.ts), so both ways name the same kernel. */
function kernelSpecFromOptions(o: KernelCommandOptions): KernelSpec {
  const sources = [o.version, o.src, o.spec].filter((x) => x !== undefined);
  if (sources.length > 1) throw new ExitCodeError(2, 'mdio-emu: give one of --version, --src, --spec');
  const variant = o.kasan === true ? 'kasan' : o.variant;
  if (!KERNEL_VARIANTS.some((v) => v === variant))
    throw new ExitCodeError(2, `mdio-emu: --variant must be one of ${KERNEL_VARIANTS.join(', ')}`);
  if (o.spec !== undefined) {
    if (variant !== 'plain' || o.patch.length > 0)
      throw new ExitCodeError(
        2,
        'mdio-emu: --spec carries its own variant and patches (+kasan, +patch:FILE)',
      );
    return parseKernelSpec(o.spec);
  }
  const head = o.src !== undefined ? `src:${o.src}` : (o.version ?? '6.1');
  const mods = [...(variant === 'plain' ? [] : [variant]), ...o.patch.map((p) => `patch:${p}`)];
  return parseKernelSpec([head, ...mods].join('+'));
}

function printKernel(k: GuestKernelInfo, json: boolean): void {
  process.stdout.write(json ? `${JSON.stringify(k, null, 2)}\n` : `${k.dir}\n`);
}

/**
 * One updating line on a terminal (percent of objects built, from the build tree's previous object count or
 * the last build of that version); nothing at all when stderr is not a terminal (CI logs stay clean).
 */
function progressLine(): { update: (p: BuildProgress) => void; done: () => void } {
  const tty = process.stderr.isTTY;
  const started = Date.now();
  let shown = false;
  let last = 0;
  return {
    update(p) {
      if (!tty) return;
      const now = Date.now();
      if (p.phase === 'build' && now - last < 200) return;
      last = now;
      const s = Math.round((now - started) / 1000);
      const clock = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
      let text = `kernel: ${p.message}`;
      if (p.objects) {
        const { upToDate, compiled, total } = p.objects;
        // A kept build tree (a patch, a new upload of the same line) compiles a handful of objects: a
        // percentage of the whole would sit at 99 %, so count what is being recompiled instead.
        text =
          total === undefined || upToDate > total / 2
            ? `kernel: building, ${compiled} object(s) compiled${upToDate > 0 ? ` (${upToDate} up to date)` : ''}`
            : `kernel: building ${Math.min(99, Math.floor((100 * (upToDate + compiled)) / Math.max(1, total)))}% (${upToDate + compiled}/${total} objects)`;
      }
      const width = (process.stderr.columns || 100) - 1;
      process.stderr.write(`\r${`${text} ${clock}`.slice(0, width)}\x1b[K`);
      shown = true;
    },
    done() {
      if (shown) process.stderr.write('\r\x1b[K');
    },
  };
}
