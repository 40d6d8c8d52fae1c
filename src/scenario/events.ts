import type { BoardEvent } from '../board/events.js';
import type { KernelReportKind } from './types.js';

/**
 * What a guest kernel did, as the run sees it. A real kernel under QEMU reports these through its log
 * (/dev/kmsg, with dynamic debug of drivers/base/dd.c) and uevents (src/qemu/guest-agent.ts); the kernel model
 * (src/scenario/model-guest.ts) reports the same events for what it models. Devices are named by their
 * device-tree node where they have one (`node`), which is what expectations compare.
 */
export type GuestEvent =
  /** The guest's agent is running and can take steps. */
  | { type: 'guest.up' }
  /** One kernel log line (message text only), with the device it names (kmsg's DEVICE, resolved to a node). */
  | { type: 'guest.log'; level: number; text: string; node?: string }
  /** A device appeared, went away, or a driver bound to or unbound from it. */
  | {
      type: 'guest.device';
      action: 'add' | 'remove' | 'bind' | 'unbind';
      subsystem: string;
      name: string;
      node?: string;
      driver?: string;
      /** mdio_bus devices: the ID the kernel holds (sysfs phy_id). */
      phyId?: number;
    }
  /** A driver's probe of the device returned -EPROBE_DEFER (each attempt counts: the probe-retry storm). */
  | { type: 'guest.deferred'; name: string; node?: string; driver: string }
  /** A PSE controller registered with the PSE framework, or went away (the kernel model reports this). */
  | { type: 'guest.pse'; controller: string; registered: boolean }
  /** A PHY's link as its driver's last status poll saw it (the kernel model). */
  | { type: 'guest.phy-link'; phy: string; up: boolean }
  /** A registered PHY kept a pse_control of a controller that unregistered (the kernel model's 6.1 story). */
  | { type: 'guest.stale-pse'; phy: string; controller: string }
  /** A kernel report: WARN, Oops, BUG, KASAN, lockdep, hung task, panic, with its first frames. */
  | {
      type: 'guest.report';
      report: KernelReportKind;
      title: string;
      /** The function the report is about (`_regulator_put`), when the report names one. */
      function?: string;
      /** Call chain, innermost first, function names only. */
      frames: string[];
      /** The guest cannot go on: the run ends at once. */
      fatal: boolean;
    }
  /** A `run` step's command finished. */
  | { type: 'guest.command'; step: number; rc: number; command: string; output: string[] };

/** What the engine itself decided. */
export type EngineEvent =
  | { type: 'step.start'; step: number }
  | { type: 'step.done'; step: number; ok: boolean; detail?: string }
  | { type: 'run.end'; reason: RunEndReason; detail: string };

export type RunEndReason =
  /** Every step done and every expectation settled. */
  | 'settled'
  /** The guest crashed; nothing more can be observed. */
  | 'guest-crashed'
  /** A step's condition can no longer happen (the guest went quiet, or its `withinMs` passed). */
  | 'step-failed'
  /** The guest stopped (QEMU exited) before the run was over. */
  | 'guest-stopped'
  /** The guest went silent (no heartbeat, no output) although it could run: frozen, without a kernel report. */
  | 'guest-frozen'
  /** The overall wall-clock deadline; reported as such, never as a verdict on the kernel. */
  | 'deadline'
  /** The user stopped the run (SIGINT, SIGTERM); neither is it a verdict on the kernel. */
  | 'interrupted';

export type RunEvent = GuestEvent | BoardEvent | EngineEvent;

/**
 * One event on the run's time axis: milliseconds of the guest's clock (since its boot) where the guest
 * observed it, and for hardware events the emulator's time mapped onto that axis (src/qemu keeps the offset).
 */
export interface TimedEvent {
  t: number;
  event: RunEvent;
}
