import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ensureGuestKernel } from '../src/qemu/kernel.js';
import { runQemuScenario } from '../src/qemu/run.js';
import { readGuestRelease } from '../src/qemu/guest-modules.js';
import { formatRunReport } from './report-output.js';
import { repoRoot } from '../src/qemu/initramfs.js';
import { registerStress } from './qemu-stress.js';
import { ExitCodeError } from './run.js';

/** `mdio-emu qemu kernel|run|demo`: a real Linux 6.1 guest under stock QEMU talking to the emulator. */
export function register(program: Command): void {
  const qemu = program
    .command('qemu')
    .description('boot a real Linux guest under QEMU against emulated USB devices');
  registerStress(qemu);

  qemu
    .command('kernel')
    .description('build (or reuse from the cache) the arm64 guest kernel and modules; prints the directory')
    .option('--out <dir>', 'also copy Image and modules/ to this directory')
    .option('--kasan', 'the KASAN variant (reports use-after-free)')
    .action(async (o: { out?: string; kasan?: boolean }) => {
      const kernel = await ensureGuestKernel({
        ...(o.out ? { out: resolve(o.out) } : {}),
        kasan: o.kasan === true,
        onOutput: (l) => process.stderr.write(`${l}\n`),
      });
      process.stdout.write(`${kernel.dir}\n`);
    });

  qemu
    .command('run')
    .description('run a QEMU scenario; exits 0 only when every expectation holds')
    .requiredOption('--kernel <image>', 'arm64 kernel Image')
    .requiredOption('--modules <dir>', 'directory with the guest kernel modules (.ko)')
    .requiredOption('--scenario <file>', 'scenario JSON file')
    .option('--report <dir>', 'where report.json and the console log go', 'mdio-emu-report')
    .action(async (o: { kernel: string; modules: string; scenario: string; report: string }) => {
      const release = await readGuestRelease(resolve(o.modules));
      const report = await runQemuScenario({
        kernel: resolve(o.kernel),
        modulesDir: resolve(o.modules),
        scenarioFile: o.scenario,
        reportDir: resolve(o.report),
        ...(release === undefined ? {} : { kernelRelease: release }),
        onProgress: (m) => process.stderr.write(`mdio-emu: ${m}\n`),
      });
      process.stdout.write(formatRunReport(report));
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
      const kernel = await ensureGuestKernel({ onOutput: (l) => process.stderr.write(`  ${l}\n`) });
      const release = await readGuestRelease(kernel.modulesDir);
      const report = await runQemuScenario({
        kernel: kernel.image,
        modulesDir: kernel.modulesDir,
        kernelName: basename(kernel.dir),
        scenarioFile: join(repoRoot, 'dts', 'qemu-pse-late.scenario.json'),
        reportDir: resolve(o.report),
        ...(release === undefined ? {} : { kernelRelease: release }),
        onProgress: (m) => process.stderr.write(`mdio-emu: ${m}\n`),
      });
      process.stdout.write(formatRunReport(report));
      if (!report.pass) throw new ExitCodeError(1);
    });
}
