import { performance } from 'node:perf_hooks';
import { ms, NS_PER_MS, VirtualClock } from '../clock.js';
import { recordFromMdioEvent } from '../replay/recorder.js';
import type { TraceRecord } from '../replay/record.js';
import { ScenarioEngine } from './engine.js';
import { loadScenarioBoard, type ScenarioFile } from './load.js';
import { ModelGuest } from './model-guest.js';
import { buildReport, isLoggedBoardEvent, type RunReport } from './report.js';

export interface ModelRunOptions {
  /** Receives every MDIO transaction, for `--trace`. */
  record?: (r: TraceRecord) => void;
  /** Wall clock in ms since the epoch, stamped on records when given. */
  wallNow?: () => number;
  onProgress?: (message: string) => void;
}

const CLIENT = 'scenario-driver';

/**
 * Runs a scenario against the kernel model (src/scenario/model-guest.ts) on a virtual clock: the board from the
 * scenario's device tree, the one engine, and the same report a QEMU run writes. Virtual time jumps from event
 * to event, so a run of minutes of guest time takes milliseconds.
 */
export function runInModel(file: ScenarioFile, options: ModelRunOptions = {}): RunReport {
  const wallStart = performance.now();
  const clock = new VirtualClock();
  const loaded = loadScenarioBoard(file, { guest: 'kernel-model', clock });
  const { board, scenario } = loaded;
  // The guest needs the engine for its events and the engine needs the guest: the sink is filled in once both exist.
  const sink: { push?: ScenarioEngine['push'] } = {};
  const guest = new ModelGuest(board, (t, e) => sink.push?.(t, e));
  const engine = new ScenarioEngine(scenario, board, guest, {
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  sink.push = (t, e) => {
    engine.push(t, e);
  };
  board.events.on((e) => {
    if (e.type === 'mdio.read' || e.type === 'mdio.write') {
      const r = recordFromMdioEvent(e, CLIENT, options.wallNow?.());
      if (r) options.record?.(r);
    }
    if (isLoggedBoardEvent(e)) engine.push(('t' in e ? e.t : clock.now()) / NS_PER_MS, e);
  });

  // A USB device whose first USB step plugs it in starts unplugged.
  for (const d of board.usb) {
    const first = scenario.steps.find(
      (s) =>
        (s.action.kind === 'usb-connect' || s.action.kind === 'usb-disconnect') && s.action.device === d.path,
    );
    if (first?.action.kind === 'usb-connect') d.setAttached(false);
  }
  // Steps that need nothing but the guest's start run before the built-in drivers probe, as a module given on
  // the kernel command line would: "PSE registered at 0" means the PSE driver was there first.
  guest.boot();
  guest.probeBuiltIns();
  const limit = ms(scenario.deadlineMs);
  while (!engine.ended) {
    const next = clock.nextDue();
    if (next === undefined) {
      engine.guestStopped('nothing is left to happen: the kernel model is idle');
      break;
    }
    if (next > limit) {
      engine.deadline();
      break;
    }
    clock.advanceTo(next);
  }
  const result = engine.result({
    psePort: (controller, port) => board.pseAt(controller)?.model.status(port).power ?? 'no such port',
  });
  return buildReport({
    scenario,
    scenarioFile: loaded.file,
    guest: { kind: 'kernel-model' },
    result,
    log: engine.log,
    wallMs: performance.now() - wallStart,
  });
}
