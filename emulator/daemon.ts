import { rmSync, writeFileSync } from 'node:fs';
import { ProtocolServer, type ListenAddress } from '../src/protocol/transport/server.js';
import type { ScenarioSource } from '../src/protocol/session/backend.js';
import { BoardBackend } from './board-backend.js';
import type { Board } from './board.js';
import { defaultUnixPath } from './default-socket.js';
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
}

export interface Daemon {
  backend: BoardBackend;
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
    throw Object.assign(new Error('give --scenario or --dts, not both'), { name: 'ConfigError' });
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
  const backend = new BoardBackend(buildBoard(current), rebuild);
  const server = new ProtocolServer(
    backend,
    options.maxFrame === undefined ? {} : { maxFrame: options.maxFrame },
  );
  if (options.unix !== undefined || options.tcp === undefined)
    await server.listenUnix(options.unix ?? defaultUnixPath());
  if (options.tcp) await server.listenTcp(options.tcp.host, options.tcp.port);
  if (options.pidFile) writeFileSync(options.pidFile, `${process.pid}\n`);
  if (options.portFile)
    writeFileSync(options.portFile, server.addresses.map(formatAddress).join('\n') + '\n');
  const b = backend;
  let stopped = false;
  return {
    backend: b,
    server,
    addresses: server.addresses,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close();
      b.dispose();
      if (options.traceFile) {
        const lines = b
          .allTrace()
          .map((r) => JSON.stringify({ seq: r.seq, t: r.timeNs.toString(), ...r.event }));
        writeFileSync(options.traceFile, lines.join('\n') + (lines.length ? '\n' : ''));
      }
      for (const f of [options.pidFile, options.portFile]) if (f) rmSync(f, { force: true });
    },
  };
}
