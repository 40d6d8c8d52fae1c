import { UsageError } from '../src/diagnostics/index.js';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { ProtocolServer, type ListenAddress } from '../src/protocol/transport/server.js';
import type { BackendTraceRecord, ScenarioSource } from '../src/protocol/session/backend.js';
import { readAnyTrace } from '../src/replay/read.js';
import type { ServeMode } from '../src/replay/serve.js';
import { BoardBackend } from './board-backend.js';
import type { Board } from './board.js';
import { CurrentClient } from './current-client.js';
import { DaemonBackend } from './daemon-backend.js';
import { defaultUnixPath } from './default-socket.js';
import { DaemonRecording } from './recording.js';
import { ReplayBackend } from './replay-backend.js';
import { buildBoard, type BoardSource } from './sources.js';

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

/**
 * The composition root: builds the board, wraps it for the protocol, listens. The caller prints the
 * readiness line and handles signals (cli/serve.ts), so tests can run a daemon in-process.
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
  const rebuild = (source?: ScenarioSource): Board => {
    if (source === undefined) return buildBoard(current);
    const next: BoardSource =
      source.kind === 'dts'
        ? { kind: 'dts-text', name: source.name, text: source.text }
        : { kind: 'scenario-text', name: source.name, text: source.text };
    const board = buildBoard(next);
    current = next;
    return board;
  };
  const who = new CurrentClient();
  let models: BoardBackend | undefined;
  let replay: ReplayBackend | undefined;
  if (options.replay) {
    const { file, mode } = options.replay;
    replay = new ReplayBackend(readAnyTrace(readFileSync(file, 'utf8'), file).records, mode, who);
  } else models = new BoardBackend(buildBoard(current), rebuild);
  const served = replay ?? models;
  if (!served) throw new Error('unreachable: neither models nor a replay');
  const recording =
    options.recordFile === undefined
      ? undefined
      : new DaemonRecording(
          options.recordFile,
          served,
          who,
          options.replay ? `mdio-emu serve --replay ${options.replay.file}` : 'mdio-emu serve',
        );
  const server = new ProtocolServer(
    new DaemonBackend(served, who, recording),
    options.maxFrame === undefined ? {} : { maxFrame: options.maxFrame },
  );
  if (options.unix !== undefined || options.tcp === undefined)
    await server.listenUnix(options.unix ?? defaultUnixPath());
  if (options.tcp) await server.listenTcp(options.tcp.host, options.tcp.port);
  if (options.pidFile) writeFileSync(options.pidFile, `${process.pid}\n`);
  if (options.portFile)
    writeFileSync(options.portFile, server.addresses.map(formatAddress).join('\n') + '\n');
  let stopped = false;
  return {
    models,
    replay,
    recording,
    server,
    addresses: server.addresses,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close();
      models?.dispose();
      recording?.close();
      if (options.traceFile) {
        const all: BackendTraceRecord[] = served.traceSince(0, Number.MAX_SAFE_INTEGER).records;
        const lines = all.map((r) => JSON.stringify({ seq: r.seq, t: r.timeNs.toString(), ...r.event }));
        writeFileSync(options.traceFile, lines.join('\n') + (lines.length ? '\n' : ''));
      }
      for (const f of [options.pidFile, options.portFile]) if (f) rmSync(f, { force: true });
    },
  };
}
