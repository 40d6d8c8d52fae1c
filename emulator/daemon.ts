import { EnvironmentError, UsageError } from '../src/diagnostics/index.js';
import { rmSync, writeFileSync } from 'node:fs';
import { readInputFile, reason } from '../src/io/index.js';
import { ProtocolServer, type ListenAddress } from '../src/protocol/transport/server.js';
import type { BackendTraceRecord, ScenarioSource } from '../src/protocol/session/backend.js';
import { readAnyTrace } from '../src/replay/read.js';
import type { ServeMode } from '../src/replay/serve.js';
import { BoardBackend } from './board-backend.js';
import { CurrentClient } from './current-client.js';
import { DaemonBackend } from './daemon-backend.js';
import { defaultUnixPath } from './default-socket.js';
import { DaemonRecording } from './recording.js';
import { ReplayBackend } from './replay-backend.js';
import { buildDaemonBoard, type BoardSource, type DaemonBoard } from './daemon-board.js';

export { defaultUnixPath };

export interface DaemonOptions {
  scenario?: string;
  dts?: string;
  unix?: string;
  tcp?: { host: string; port: number };
  /** Written once listening: the pid. */
  pidFile?: string;
  /** Written once listening: the readiness address (`unix:PATH` / `tcp:HOST:PORT`), one per line. */
  portFile?: string;
  /** JSON-lines file the trace ring is flushed to on shutdown. */
  traceFile?: string;
  maxFrame?: number;
  /** Every MDIO transaction of every client, in the trace format, flushed line by line (docs/trace-format.md). */
  recordFile?: string;
  /** Answer MDIO from this recording (our trace format or kernel mdio_access text) instead of models. */
  replay?: { file: string; mode: ServeMode };
  /** Told once if writing `recordFile` fails while serving (the daemon carries on; `stop()` then rejects). */
  onRecordingError?: (err: EnvironmentError) => void;
}

export interface Daemon {
  /** The board's models; undefined when replaying. */
  models: BoardBackend | undefined;
  /** The recording that answers; undefined when serving models. */
  replay: ReplayBackend | undefined;
  recording: DaemonRecording | undefined;
  server: ProtocolServer;
  addresses: ListenAddress[];
  stop(): Promise<void>;
}

export function formatAddress(a: ListenAddress): string {
  return a.kind === 'unix' ? `unix:${a.path}` : `tcp:${a.host}:${a.port}`;
}

/** Writes a file the user named for the daemon's own output (pid, port, trace), or says why it cannot. */
function writeOutput(path: string, what: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (err) {
    throw new EnvironmentError('CLI1103', `cannot write the ${what}: ${reason(err)}`, {
      where: path,
      cause: err,
    });
  }
}

/**
 * The composition root: builds the board, wraps it for the protocol, listens. The caller prints the
 * readiness line and handles signals (cli/serve.ts), so tests can run a daemon in-process.
 * Start-up is all or nothing: if any socket, the record file or the pid/port file fails, everything
 * already set up is undone (sockets closed and removed, files this call created removed) before it throws.
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  if (options.scenario !== undefined && options.dts !== undefined)
    throw new UsageError('CLI0002', 'give --scenario or --dts, not both');
  if (options.replay && (options.scenario !== undefined || options.dts !== undefined))
    throw new UsageError('CLI0002', '--replay serves a recording instead of models: no --scenario or --dts');
  let current: BoardSource =
    options.scenario !== undefined
      ? { kind: 'scenario', file: options.scenario }
      : options.dts !== undefined
        ? { kind: 'dts', file: options.dts }
        : { kind: 'default' };
  // SCENARIO_LOAD replaces the source; RESET rebuilds from the current one.
  const rebuild = (source?: ScenarioSource): DaemonBoard => {
    if (source === undefined) return buildDaemonBoard(current);
    const next: BoardSource =
      source.kind === 'dts'
        ? { kind: 'dts-text', name: source.name, text: source.text }
        : { kind: 'scenario-text', name: source.name, text: source.text };
    const board = buildDaemonBoard(next);
    current = next;
    return board;
  };
  const who = new CurrentClient();
  let models: BoardBackend | undefined;
  let replay: ReplayBackend | undefined;
  if (options.replay) {
    const { file, mode } = options.replay;
    const text = readInputFile(file, { what: 'replay trace', allowStream: true }).toString('utf8');
    replay = new ReplayBackend(readAnyTrace(text, file).records, mode, who);
  } else models = new BoardBackend(buildDaemonBoard(current), rebuild);
  const served = replay ?? models;
  if (!served) throw new Error('unreachable: neither models nor a replay');
  let recording: DaemonRecording | undefined;
  let server: ProtocolServer | undefined;
  const written: string[] = [];
  try {
    if (options.recordFile !== undefined)
      recording = new DaemonRecording(
        options.recordFile,
        served,
        who,
        options.replay ? `mdio-emu serve --replay ${options.replay.file}` : 'mdio-emu serve',
        options.onRecordingError,
      );
    server = new ProtocolServer(
      new DaemonBackend(served, who, recording),
      options.maxFrame === undefined ? {} : { maxFrame: options.maxFrame },
    );
    if (options.unix !== undefined || options.tcp === undefined)
      await server.listenUnix(options.unix ?? defaultUnixPath());
    if (options.tcp) await server.listenTcp(options.tcp.host, options.tcp.port);
    if (options.pidFile) {
      writeOutput(options.pidFile, 'pid file', `${process.pid}\n`);
      written.push(options.pidFile);
    }
    if (options.portFile) {
      const s = server;
      writeOutput(options.portFile, 'port file', s.addresses.map(formatAddress).join('\n') + '\n');
      written.push(options.portFile);
    }
  } catch (err) {
    // Half a daemon is worse than none: a client would find one socket and not the other.
    await server?.close();
    recording?.close();
    models?.dispose();
    for (const f of written) rmSync(f, { force: true });
    throw err;
  }
  const listening = server;
  let stopped = false;
  return {
    models,
    replay,
    recording,
    server: listening,
    addresses: listening.addresses,
    /** Closes everything; rejects afterwards with the first output that failed (recording, trace file). */
    async stop() {
      if (stopped) return;
      stopped = true;
      await listening.close();
      models?.dispose();
      recording?.close();
      let failure: EnvironmentError | undefined = recording?.failure;
      if (options.traceFile) {
        const all: BackendTraceRecord[] = served.traceSince(0, Number.MAX_SAFE_INTEGER).records;
        const lines = all.map((r) => JSON.stringify({ seq: r.seq, t: r.timeNs.toString(), ...r.event }));
        try {
          writeOutput(options.traceFile, 'trace file', lines.join('\n') + (lines.length ? '\n' : ''));
        } catch (err) {
          failure ??= err as EnvironmentError;
        }
      }
      for (const f of written) rmSync(f, { force: true });
      if (failure) throw failure;
    },
  };
}
