import type { Command } from 'commander';
import type { DaemonOptions } from '../emulator/daemon.js';
import type { ReplayBackend } from '../emulator/replay-backend.js';
import { MIN_MAX_FRAME } from '../src/protocol/codec/constants.js';
import { integerArg, tcpArg } from './options.js';
import { ExitCodeError } from './run.js';

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
    .option('--tcp <[host:]port>', 'also listen on TCP (host defaults to 127.0.0.1)', tcpArg)
    .option('--pid-file <file>', 'write the pid here once ready')
    .option('--port-file <file>', 'write the readiness address(es) here once ready')
    .option('--trace <file>', 'write the transaction trace (JSON lines) here on shutdown')
    .option(
      '--max-frame <bytes>',
      `largest frame accepted from a client (${MIN_MAX_FRAME} to 4294967295)`,
      integerArg(MIN_MAX_FRAME, 0xffff_ffff),
    )
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
        tcp?: { host: string; port: number };
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
        if (o.tcp !== undefined) options.tcp = o.tcp;
        if (o.pidFile !== undefined) options.pidFile = o.pidFile;
        if (o.portFile !== undefined) options.portFile = o.portFile;
        if (o.trace !== undefined) options.traceFile = o.trace;
        if (o.maxFrame !== undefined) options.maxFrame = o.maxFrame;
        if (o.record !== undefined) options.recordFile = o.record;
        if (o.mode !== 'strict' && o.mode !== 'per-register')
          throw new ExitCodeError(2, `--mode must be strict or per-register, not "${o.mode}"`);
        if (o.replay !== undefined) options.replay = { file: o.replay, mode: o.mode };
        // Said at once, while the daemon keeps serving: the file holds every line before the failure.
        options.onRecordingError = (err) => {
          process.stderr.write(`mdio-emu: recording stopped: ${err.report()}\n`);
        };
        // Loaded on demand: the daemon pulls in every model, which `client` and the other subcommands do not need.
        const { formatAddress, startDaemon } = await import('../emulator/daemon.js');
        // Fails whole: nothing is left listening and no signal handler is installed when it throws.
        const daemon = await startDaemon(options);
        for (const a of daemon.addresses) process.stdout.write(`ready ${formatAddress(a)}\n`);
        await new Promise<void>((resolve, reject) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            // A failed output (recording, trace file) still lets everything close, then exits 1 saying so.
            daemon.stop().then(
              () => {
                reportReplay(daemon.replay);
                resolve();
              },
              (err: unknown) => {
                reportReplay(daemon.replay);
                reject(err instanceof Error ? err : new Error(String(err)));
              },
            );
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      },
    );
}
