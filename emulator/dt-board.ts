import { InputError } from '../src/diagnostics/index.js';
import { ms, VirtualClock } from '../src/clock.js';
import { buildBoard, PSE_DRIVER_MODULES } from '../src/board/index.js';
import { compileDts, type CompileHost } from '../src/dts/compile.js';
import { formatDiagnostic } from '../src/dts/diagnostics.js';
import type { DeviceTree } from '../src/dts/tree.js';
import { Tracer } from '../src/regs/index.js';
import type { Board, BoardTraceEvent } from './board.js';

export interface DtBoardOptions {
  fileName: string;
  /** Reads `/include/` files; without it includes fail. */
  host?: CompileHost;
  timeline?: [number, string][];
  realtime?: boolean;
  /** Extra events (a scenario's steps) merged into the board's own. */
  extraEvents?: Map<string, (board: Board) => void>;
}

/** A device tree that does not compile: the message carries dtc-style diagnostics. */
export class BoardSourceError extends InputError {
  constructor(message: string, options?: ErrorOptions) {
    super('BOARD1002', message, options);
  }
}

/**
 * Builds the emulation a device tree describes (src/board: each PHY cabled to a gigabit switch port, PSE
 * controllers registering on the `pse-load` or `load-module:<driver>` events) after compiling it.
 */
export function buildBoardFromDts(text: string, options: DtBoardOptions): Board {
  const result = compileDts(text, {
    fileName: options.fileName,
    ...(options.host ? { host: options.host } : {}),
  });
  if (!result.ok || !result.tree) {
    throw new BoardSourceError(
      result.diagnostics.map((d) => formatDiagnostic(d, result.files)).join('\n') ||
        `${options.fileName}: does not compile`,
    );
  }
  return buildBoardFromTree(result.tree, options);
}

/** The same from a tree already compiled (a scenario's, which may be a QEMU fragment over the virt stub). */
export function buildBoardFromTree(
  tree: DeviceTree,
  options: Omit<DtBoardOptions, 'fileName' | 'host'>,
): Board {
  const trace = new Tracer<BoardTraceEvent>();
  const hardware = buildBoard(tree, { clock: new VirtualClock(), trace });
  for (const c of hardware.pse)
    c.lifecycle.subscribe((e) => {
      if (trace.enabled) trace.emit({ ...e });
    });
  const board: Board = {
    ...hardware,
    trace,
    events: new Map(),
    timeline: options.timeline ?? [],
    realtime: options.realtime ?? false,
  };
  const allPhys = () => board.mdio.flatMap((b) => b.phys);
  board.events.set('pse-load', () => {
    board.pse.forEach((p) => {
      p.lifecycle.trigger();
    });
  });
  board.events.set('pse-unload', () => {
    board.pse.forEach((p) => {
      p.lifecycle.unregister('driver unloaded');
    });
  });
  board.events.set('cable-unplug', () => {
    allPhys().forEach((p) => {
      p.phy.unplug();
    });
  });
  board.events.set('cable-plug', () => {
    allPhys().forEach((p) => {
      p.phy.plug();
    });
  });
  // Loading or unloading a PSE driver module registers or unregisters the controllers it drives.
  for (const module of new Set(Object.values(PSE_DRIVER_MODULES))) {
    const mine = () => board.pse.filter((p) => p.module === module);
    board.events.set(`load-module:${module}`, () => {
      mine().forEach((p) => {
        p.lifecycle.trigger();
      });
    });
    board.events.set(`unload-module:${module}`, () => {
      mine().forEach((p) => {
        p.lifecycle.unregister(`rmmod ${module}`);
      });
    });
  }
  for (const [name, run] of options.extraEvents ?? [])
    board.events.set(name, () => {
      run(board);
    });
  return board;
}

/** The built-in default: dts/default-board.dts with its PSE driver loading 2 s in. */
export function defaultBoardTimeline(): [number, string][] {
  return [[ms(2000) / 1_000_000, 'pse-load']];
}
