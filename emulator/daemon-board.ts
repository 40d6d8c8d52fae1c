import { basename, dirname, join, resolve } from 'node:path';
import { packageRoot } from '../src/package-root.js';
import { ACTION_SIDE, describeAction, type Action, type GuestAction } from '../src/board/actions.js';
import { buildBoard, type Board } from '../src/board/board.js';
import { loadTreeFile, loadTreeText } from '../src/board/load.js';
import { driverEffects, moduleKey } from '../src/board/pse-drivers.js';
import { ms, NS_PER_MS, VirtualClock } from '../src/clock.js';
import { ScenarioEngine, type GuestDriver } from '../src/scenario/engine.js';
import { loadScenarioBoard, type ScenarioFile } from '../src/scenario/load.js';
import { parseScenario } from '../src/scenario/parse.js';
import type { Scenario, Step } from '../src/scenario/types.js';
import { readInputFile } from '../src/io/index.js';

/** Where a board comes from: the built-in default, a DTS file, a scenario file, or text sent over the socket. */
export type BoardSource =
  | { kind: 'default' }
  | { kind: 'dts'; file: string }
  | { kind: 'scenario'; file: string }
  | { kind: 'dts-text'; name: string; text: string }
  | { kind: 'scenario-text'; name: string; text: string };

export const DEFAULT_BOARD_DTS = join(packageRoot, 'dts', 'default-board.dts');

/**
 * What the daemon serves: the one board (src/board) with the SCENARIO_TRIGGER names a client can fire, and the
 * scenario's steps, run by the one engine with the daemon as the guest: guest acts that load or bind a PSE
 * driver register its controllers; the client itself is the kernel, so conditions on kernel events are left
 * to it (a step waiting for one waits until a client triggers it by name).
 */
export interface DaemonBoard {
  board: Board;
  /** SCENARIO_TRIGGER names, each with the actions it applies. */
  triggers: ReadonlyMap<string, readonly Action[]>;
  /** The steps to run on the board's clock, if the source is a scenario (or the default board's PSE load). */
  scenario: Scenario | undefined;
}

/** Builds a fresh board; called again for RESET, so it must not depend on earlier calls. */
export function buildDaemonBoard(source: BoardSource): DaemonBoard {
  const clock = new VirtualClock();
  switch (source.kind) {
    case 'default': {
      const board = buildBoard(loadTreeFile(DEFAULT_BOARD_DTS).tree, { clock });
      // The built-in default: its PSE drivers load 2 s in.
      const steps: Step[] = board.pse.map((c, index) => ({
        index,
        ...(index === 0 ? { id: 'pse-load', delayMs: 2000 } : { delayMs: 0 }),
        action: { kind: 'pse-register', controller: c.path },
      }));
      return withTriggers(board, steps.length > 0 ? internalScenario('default', steps) : undefined);
    }
    case 'dts':
      return withTriggers(buildBoard(loadTreeFile(source.file).tree, { clock }), undefined);
    case 'dts-text':
      // Sent over the socket: its includes are resolved against the daemon's working directory.
      return withTriggers(buildBoard(loadTreeText(source.name, source.text).tree, { clock }), undefined);
    case 'scenario': {
      const file = resolve(source.file);
      const text = readInputFile(file, { what: 'scenario', maxBytes: 4 * 1024 * 1024 }).toString('utf8');
      return fromScenario(text, file, dirname(file), clock);
    }
    case 'scenario-text':
      return fromScenario(source.text, source.name, process.cwd(), clock);
  }
}

function fromScenario(text: string, name: string, baseDir: string, clock: VirtualClock): DaemonBoard {
  const { scenario, source } = parseScenario(
    text,
    name,
    basename(name).replace(/\.scenario\.json$|\.json$/, ''),
  );
  const file: ScenarioFile = { scenario, source, file: name, dtsFile: resolve(baseDir, scenario.dts) };
  // The client is the guest: it judges nothing here, so only what can be carried out is checked.
  const loaded = loadScenarioBoard(
    { ...file, scenario: { ...scenario, expect: [] } },
    { guest: 'real-kernel', clock },
  );
  return withTriggers(loaded.board, loaded.scenario);
}

function internalScenario(name: string, steps: Step[]): Scenario {
  return {
    name,
    dts: '',
    steps,
    expect: [],
    settleMs: 0,
    quietMs: Number.POSITIVE_INFINITY,
    deadlineMs: Number.POSITIVE_INFINITY,
  };
}

/**
 * The trigger names (docs/protocol.md): `pse-load`/`pse-unload` (every controller's driver), `load-module:M` and
 * `unload-module:M` for each PSE driver module, `cable-unplug`/`cable-plug` (every PHY), and every scenario step
 * by its id (or its action's description).
 */
function withTriggers(board: Board, scenario: Scenario | undefined): DaemonBoard {
  board.attachGuest({ apply: (a) => applyDriverAct(board, a) });
  const triggers = new Map<string, Action[]>();
  triggers.set(
    'pse-load',
    board.pse.map((c) => ({ kind: 'pse-register', controller: c.path })),
  );
  triggers.set(
    'pse-unload',
    board.pse.map((c) => ({ kind: 'pse-unregister', controller: c.path })),
  );
  const phys = board.mdio.flatMap((b) => b.phys);
  triggers.set(
    'cable-unplug',
    phys.map((p) => ({ kind: 'cable-unplug', phy: p.path })),
  );
  triggers.set(
    'cable-plug',
    phys.map((p) => ({ kind: 'cable-plug', phy: p.path })),
  );
  for (const module of new Set(board.pse.map((c) => moduleKey(c.module)))) {
    triggers.set(`load-module:${module}`, [{ kind: 'load-module', module }]);
    triggers.set(`unload-module:${module}`, [{ kind: 'unload-module', module }]);
  }
  for (const s of scenario?.steps ?? []) triggers.set(stepName(s), [s.action]);
  return { board, triggers, scenario: scenario && { ...scenario, quietMs: Number.POSITIVE_INFINITY } };
}

/** A step's name in SCENARIO_TRIGGER and scenario-step events. */
export function stepName(s: Step): string {
  return s.id ?? describeAction(s.action).replace(' ', ':');
}

/** The daemon's reading of guest acts: the PSE and bus drivers they load or bind (src/board/pse-drivers.ts). */
function applyDriverAct(board: Board, a: GuestAction): void {
  for (const { controller, registered } of driverEffects(board, a).pse)
    if (registered) controller.lifecycle.trigger();
    else controller.lifecycle.unregister(describeAction(a));
}

/**
 * Runs a daemon board's steps with the engine on the board's virtual clock; `onStep` hears each start. Returns
 * the function that stops listening (RESET and SCENARIO_LOAD build a new board).
 */
export function runDaemonSteps(d: DaemonBoard, onStep: (index: number, name: string) => void): () => void {
  const { board, scenario } = d;
  if (!scenario || scenario.steps.length === 0) return () => undefined;
  const sink: { engine: ScenarioEngine | undefined } = { engine: undefined };
  const guest: GuestDriver = {
    now: () => board.clock.now() / NS_PER_MS,
    wakeAt: (t, callback) => {
      board.clock.schedule(ms(t), callback);
    },
    startStep: (step) => {
      board.clock.schedule(board.clock.now() + ms(step.delayMs), () => {
        const t = board.clock.now() / NS_PER_MS;
        // The step's act first, then its report (as a trigger by name does): a hardware act is applied by the
        // engine when it sees the start, a guest act here.
        sink.engine?.push(t, { type: 'step.start', step: step.index });
        if (ACTION_SIDE[step.action.kind] === 'guest') board.apply(step.action);
        onStep(step.index, stepName(step));
        if (ACTION_SIDE[step.action.kind] === 'guest')
          sink.engine?.push(t, { type: 'step.done', step: step.index, ok: true });
      });
    },
  };
  // Only the steps' own events reach this engine: a daemon runs for days, and its log must not grow with the
  // traffic (the trace ring keeps that, bounded).
  const engine = new ScenarioEngine(scenario, board, guest);
  sink.engine = engine;
  engine.push(0, { type: 'guest.up' });
  return () => {
    sink.engine = undefined;
  };
}
