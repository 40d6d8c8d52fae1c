import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import type { CompileHost } from '../src/dts/compile.js';
import { packageRoot } from '../src/package-root.js';
import type { DeviceTree } from '../src/dts/tree.js';
import { pd } from '../src/pse/index.js';
import {
  parseEmulatorScenario,
  type AnyAction,
  type EmulatorScenario,
} from '../src/scenario/emulator-kinds.js';
import { compileTreeFile } from '../src/scenario/load-emulator.js';
import type { Board } from './board.js';
import { BoardSourceError, buildBoardFromDts, buildBoardFromTree, defaultBoardTimeline } from './dt-board.js';

/** Where a board comes from: the built-in default, a DTS file, a scenario file, or text sent over the socket. */
export type BoardSource =
  | { kind: 'default' }
  | { kind: 'dts'; file: string }
  | { kind: 'scenario'; file: string }
  | { kind: 'dts-text'; name: string; text: string }
  | { kind: 'scenario-text'; name: string; text: string };

export const DEFAULT_BOARD_DTS = join(packageRoot, 'dts', 'default-board.dts');

function hostFor(file: string): CompileHost {
  const base = dirname(file);
  return {
    readFile: (p) => {
      try {
        return new Uint8Array(readFileSync(resolvePath(base, p)));
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

type StepAction = (board: Board) => void;

/**
 * What a timeline action does to the emulated board. Loading or unloading a PSE driver module is the PSE
 * lifecycle; the emulator-only kinds (src/scenario/emulator-kinds.ts) act on cables, PDs and bus faults;
 * guest-side actions (bind, snapshot, ...) happen in a kernel, so here they are only reported as steps.
 */
function stepAction(a: AnyAction): StepAction | undefined {
  const resolve = (b: Board, ref: string): string => {
    const path = b.resolve(ref);
    if (path === undefined)
      throw new BoardSourceError(`scenario names ${ref}, which is not in the device tree`);
    return path;
  };
  const phyOf = (b: Board, ref: string) => {
    const p = b.phyAt(resolve(b, ref));
    const bus = p && b.busAt(p.busPath);
    if (!p || !bus) throw new BoardSourceError(`${ref} is not a PHY on an emulated MDIO bus`);
    return { bus: bus.bus, addr: p.address, phy: p.phy };
  };
  const pseOf = (b: Board, ref: string) => {
    const c = b.pseAt(resolve(b, ref));
    if (!c) throw new BoardSourceError(`${ref} is not a PSE controller`);
    return c;
  };
  switch (a.kind) {
    case 'pse-register':
      return (b) => pseOf(b, a.controller).lifecycle.trigger();
    case 'pse-unregister':
      return (b) => pseOf(b, a.controller).lifecycle.unregister('scenario');
    case 'link-down':
      return (b) => phyOf(b, a.phy).phy.unplug();
    case 'link-up':
      return (b) => phyOf(b, a.phy).phy.plug();
    case 'pd-plug':
      return (b) => pseOf(b, a.controller).model.attachPd(a.port, pd(a.class ?? 4));
    case 'pd-unplug':
      return (b) => pseOf(b, a.controller).model.removePd(a.port);
    case 'phy-fault':
      return (b) => {
        const { bus, addr } = phyOf(b, a.phy);
        bus.injectFault(
          a.fault === 'no-response'
            ? { kind: 'no-response', addr }
            : { kind: 'bit-error', addr, reg: a.reg ?? 0, xor: a.xor ?? 0 },
        );
      };
    case 'phy-fault-clear':
      return (b) => phyOf(b, a.phy).bus.clearFaults();
    default:
      return undefined;
  }
}

function fromScenario(scenario: EmulatorScenario, tree: DeviceTree): Board {
  const extraEvents = new Map<string, StepAction>();
  const timeline: [number, string][] = scenario.timeline.map((e, i) => {
    const a = e.action;
    if (a.kind === 'load-module' || a.kind === 'unload-module') return [e.at, `${a.kind}:${a.module}`];
    const name = e.id ?? `${a.kind}#${i}`;
    const act = stepAction(a);
    // A guest-side entry changes nothing here, but can still be triggered and reported as a step.
    extraEvents.set(name, act ?? (() => undefined));
    return [e.at, name];
  });
  return buildBoardFromTree(tree, { timeline, realtime: scenario.clock === 'wall', extraEvents });
}

function scenarioFromText(text: string, name: string, baseDir: string): Board {
  const scenario = parseEmulatorScenario(text, name);
  return fromScenario(scenario, compileTreeFile(resolvePath(baseDir, scenario.dts)));
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
      const file = resolvePath(source.file);
      return buildBoardFromDts(read(file), { fileName: file, host: hostFor(file) });
    }
    case 'scenario': {
      const file = resolvePath(source.file);
      return scenarioFromText(
        read(file),
        basename(file).replace(/\.scenario\.json$|\.json$/, ''),
        dirname(file),
      );
    }
    case 'dts-text':
      return buildBoardFromDts(source.text, { fileName: source.name });
    case 'scenario-text':
      // Sent over the socket: its `dts` is resolved against the daemon's working directory.
      return scenarioFromText(source.text, source.name, process.cwd());
  }
}
