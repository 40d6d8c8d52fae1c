import type { Command } from 'commander';
import { ReplayServer } from '../src/replay/serve.js';
import { formatDifference, verifyTrace } from '../src/replay/verify.js';
import { loadTreeFile } from '../src/board/load.js';
import { QEMU_VIRT_STUB_BASE } from '../src/scenario/qemu-virt-stub.js';
import { boardVerifyTarget as boardTarget } from '../src/board/verify-target.js';
import { ExitCodeError } from './run.js';
import { readTraceFile } from './trace-io.js';

export function register(program: Command): void {
  const replay = program
    .command('replay')
    .description('replay recorded MDIO transactions (docs/trace-format.md)');
  replay
    .command('verify')
    .argument('<trace>', 'trace: mdio-emu format or Linux mdio_access text')
    .requiredOption('--dts <file>', 'device tree whose PHY models answer the recorded requests')
    .option(
      '--time-base <base>',
      'absolute (model clock follows recorded times) or first-record (count from the first record); default: absolute for mdio-emu traces, first-record for mdio_access text',
    )
    .option('--bus <pairs...>', 'map trace bus names to DT bus paths, as TRACEBUS=/dt/path')
    .description(
      'drive the models with the recorded requests; exit 0 when every recorded response is reproduced, else print each difference and exit 1',
    )
    .action((file: string, opts: { dts: string; timeBase?: string; bus?: string[] }) => {
      const trace = readTraceFile(file);
      const target = boardTarget(loadTreeFile(opts.dts, { base: QEMU_VIRT_STUB_BASE }).tree);
      if (opts.timeBase !== undefined && opts.timeBase !== 'absolute' && opts.timeBase !== 'first-record')
        throw new ExitCodeError(2, `mdio-emu: --time-base must be absolute or first-record`);
      const timeBase = opts.timeBase ?? (trace.format === 'mdio-emu' ? 'absolute' : 'first-record');
      const busMap = opts.bus ? new Map(opts.bus.map((p) => p.split('=') as [string, string])) : undefined;
      let report;
      try {
        report = verifyTrace(trace.records, target, { timeBase, ...(busMap ? { busMap } : {}) });
      } catch (err) {
        throw new ExitCodeError(1, `mdio-emu: ${(err as Error).message}`);
      }
      for (const d of report.differences) process.stdout.write(`${file}:${formatDifference(d)}\n`);
      const mapped = [...report.busMap].filter(([a, b]) => a !== b).map(([a, b]) => `${a} -> ${b}`);
      if (mapped.length > 0) process.stdout.write(`buses: ${mapped.join(', ')}\n`);
      process.stdout.write(
        `${report.checked} transactions, ${report.reads} reads, ${report.differences.length} difference(s)\n`,
      );
      if (report.differences.length > 0) throw new ExitCodeError(1);
    });
  replay
    .command('serve')
    .argument('<recording>', 'the trace that answers')
    .requiredOption('--requests <trace>', 'a trace whose requests to answer (what a client asked)')
    .option('--mode <mode>', 'strict or per-register', 'per-register')
    .description(
      'answer the requests of one trace from another recording; exit 1 listing every request the recording did not foresee',
    )
    .action((file: string, opts: { requests: string; mode: string }) => {
      if (opts.mode !== 'strict' && opts.mode !== 'per-register')
        throw new ExitCodeError(2, 'mdio-emu: --mode must be strict or per-register');
      const server = new ReplayServer(readTraceFile(file).records, opts.mode);
      const requests = readTraceFile(opts.requests).records;
      let differing = 0;
      for (const r of requests) {
        const got = server.handle({
          bus: r.bus,
          op: r.op,
          addr: r.addr,
          reg: r.reg,
          value: r.value,
          ...(r.devad !== undefined ? { devad: r.devad } : {}),
        });
        if (r.op === 'read' && got !== r.value) differing++;
      }
      const problems = server.report();
      for (const p of problems) process.stdout.write(`${p}\n`);
      process.stdout.write(
        `${requests.length} requests served (${opts.mode}), ${server.unforeseen.length} unforeseen, ${differing} read(s) answered differently from the request trace\n`,
      );
      if (problems.length > 0) throw new ExitCodeError(1);
    });
}
