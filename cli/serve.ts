import type { Command } from 'commander';
import type { DaemonOptions } from '../emulator/daemon.js';
import type { ReplayBackend } from '../emulator/replay-backend.js';
import { ExitCodeError } from './run.js';

/** `[HOST:]PORT` → host and port; the host defaults to loopback so nothing is exposed by accident. */
export function parseTcp(spec: string): { host: string; port: number } {
  const i = spec.lastIndexOf(':');
  const host = i >= 0 ? spec.slice(0, i).replace(/^\[|\]$/g, '') : '127.0.0.1';
  const port = Number(i >= 0 ? spec.slice(i + 1) : spec);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ExitCodeError(2, `bad --tcp port in "${spec}"`);
  return { host, port };
}

/** At shutdown: what the recording could not answer, on stderr so stdout stays the readiness lines. */
function reportReplay(replay: ReplayBackend | undefined): void {
  if (!replay) return;
  const { served, unforeseenTotal } = replay.replayStatus();
  process.stderr.write(`replay: ${served} MDIO request(s) served, ${unforeseenTotal} unforeseen\n`);
  for (const line of replay.report()) process.stderr.write(`unforeseen: ${line}\n`);
}

export function register(program: Command): void {
  program
    .command('serve')
    .description(
      'run the emulator daemon: serve the board over the binary socket protocol (docs/protocol.md)',
    )
    .option('--scenario <file>', 'scenario file to emulate')
    .option('--dts <file>', 'device tree source to emulate')
    .option('--unix <path>', 'UNIX socket path (mode 0600)')
    .option('--tcp <[host:]port>', 'also listen on TCP (host defaults to 127.0.0.1)')
    .option('--pid-file <file>', 'write the pid here once ready')
    .option('--port-file <file>', 'write the readiness address(es) here once ready')
    .option('--trace <file>', 'write the transaction trace (JSON lines) here on shutdown')
    .option('--max-frame <bytes>', 'largest frame accepted from a client', (v) => Number(v))
    .option(
      '--record <file>',
      'write every MDIO transaction of every client here (trace format, line-flushed)',
    )
    .option(
      '--replay <trace>',
      'answer MDIO from this recording (trace format or mdio_access text), not models',
    )
    .option('--mode <mode>', 'with --replay: strict or per-register', 'per-register')
    .action(
      async (o: {
        scenario?: string;
        dts?: string;
        unix?: string;
        tcp?: string;
        pidFile?: string;
        portFile?: string;
        trace?: string;
        maxFrame?: number;
        record?: string;
        replay?: string;
        mode: string;
      }) => {
        const options: DaemonOptions = {};
        if (o.scenario !== undefined) options.scenario = o.scenario;
        if (o.dts !== undefined) options.dts = o.dts;
        if (o.unix !== undefined) options.unix = o.unix;
        if (o.tcp !== undefined) options.tcp = parseTcp(o.tcp);
        if (o.pidFile !== undefined) options.pidFile = o.pidFile;
        if (o.portFile !== undefined) options.portFile = o.portFile;
        if (o.trace !== undefined) options.traceFile = o.trace;
        if (o.maxFrame !== undefined) options.maxFrame = o.maxFrame;
        if (o.record !== undefined) options.recordFile = o.record;
        if (o.mode !== 'strict' && o.mode !== 'per-register')
          throw new ExitCodeError(2, `--mode must be strict or per-register, not "${o.mode}"`);
        if (o.replay !== undefined) options.replay = { file: o.replay, mode: o.mode };
        // Loaded on demand: the daemon pulls in every model, which `client` and the other subcommands do not need.
        const { formatAddress, startDaemon } = await import('../emulator/daemon.js');
        const daemon = await startDaemon(options);
        for (const a of daemon.addresses) process.stdout.write(`ready ${formatAddress(a)}\n`);
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void daemon.stop().then(() => {
              reportReplay(daemon.replay);
              resolve();
            });
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      },
    );
}
