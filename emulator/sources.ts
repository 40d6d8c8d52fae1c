import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompileHost } from '../src/dts/compile.js';
import { parseScenario, type Scenario } from '../src/scenario/index.js';
import type { Board } from './board.js';
import { BoardSourceError, buildBoardFromDts, defaultBoardTimeline } from './dt-board.js';

/** Where a board comes from: the built-in default, a DTS file, a scenario file, or text sent over the socket. */
export type BoardSource =
  | { kind: 'default' }
  | { kind: 'dts'; file: string }
  | { kind: 'scenario'; file: string }
  | { kind: 'dts-text'; name: string; text: string }
  | { kind: 'scenario-text'; name: string; text: string };

export const DEFAULT_BOARD_DTS = fileURLToPath(new URL('../dts/default-board.dts', import.meta.url));

function hostFor(file: string): CompileHost {
  const base = dirname(file);
  return {
    readFile: (p) => {
      try {
        return new Uint8Array(readFileSync(resolve(base, p)));
      } catch {
        return undefined;
      }
    },
  };
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new BoardSourceError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * A scenario's timeline as board events: loading or unloading a PSE driver module is the PSE lifecycle
 * (`load-module:tps23881`); other actions happen in a guest, so here they are only reported as steps.
 */
function scenarioTimeline(s: Scenario): [number, string][] {
  return s.timeline.map((e) => {
    const a = e.action;
    if (a.kind === 'load-module' || a.kind === 'unload-module') return [e.at, `${a.kind}:${a.module}`];
    return [e.at, e.id ?? a.kind];
  });
}

function fromScenario(text: string, name: string, baseDir: string): Board {
  const scenario = parseScenario(text, name);
  const dtsFile = resolve(baseDir, scenario.dts);
  return buildBoardFromDts(read(dtsFile), {
    fileName: dtsFile,
    host: hostFor(dtsFile),
    timeline: scenarioTimeline(scenario),
    realtime: scenario.clock === 'wall',
  });
}

/** Builds a fresh board; called again for RESET, so it must not depend on earlier calls. */
export function buildBoard(source: BoardSource): Board {
  switch (source.kind) {
    case 'default':
      return buildBoardFromDts(read(DEFAULT_BOARD_DTS), {
        fileName: DEFAULT_BOARD_DTS,
        timeline: defaultBoardTimeline(),
      });
    case 'dts': {
      const file = resolve(source.file);
      return buildBoardFromDts(read(file), { fileName: file, host: hostFor(file) });
    }
    case 'scenario': {
      const file = resolve(source.file);
      return fromScenario(read(file), basename(file).replace(/\.scenario\.json$|\.json$/, ''), dirname(file));
    }
    case 'dts-text':
      return buildBoardFromDts(source.text, { fileName: source.name });
    case 'scenario-text':
      // Sent over the socket: its `dts` is resolved against the daemon's working directory.
      return fromScenario(source.text, source.name, process.cwd());
  }
}
