import type { Action } from '../board/actions.js';
import type { FrameClass } from '../net/peer.js';

/**
 * A scenario file (format 2): a device tree, steps that happen when something has happened (not at fixed
 * wall-clock times), and expectations that the run settles. The same file runs against a real kernel under
 * QEMU and against the kernel model in-process; src/scenario/engine.ts is the one interpreter.
 *
 * A device-tree node is named by a label (`"&pse0"`) or an absolute path (`"/ethernet-pse"`); the loader
 * resolves every reference against the board before anything runs.
 */
export type NodeRef = string;

export const SCENARIO_FORMAT = 2;

export interface Scenario {
  /** Shown in reports; defaults to the file name. */
  name: string;
  description?: string;
  /**
   * The kernels the scenario is for (`>=6.17`: it needs a driver only those have); `mdio-emu qemu matrix` shows
   * other kernels' cells as not applicable instead of running them.
   */
  kernels?: string;
  /** Device tree source, relative to the scenario file. */
  dts: string;
  steps: Step[];
  expect: Expectation[];
  /**
   * After the last step, how long the run watches for things that must not happen (`no-access`,
   * `phy-not-registered`, a kernel warning), in the guest's own time (virtual time for the kernel model).
   */
  settleMs: number;
  /**
   * An expectation still waiting for its event after the last step fails once the guest has been quiet (no
   * kernel message, no device event, no step) for this long, in its own time: it can no longer hold.
   */
  quietMs: number;
  /** The generous overall limit in wall-clock time; reaching it is reported as such, never as a verdict. */
  deadlineMs: number;
}

/**
 * One step: when `after` has happened (default: the previous step is done; the first step starts when the
 * guest is up), wait `delayMs` in the guest's time, then carry out `action`.
 */
export interface Step {
  /** Lets conditions and expectations refer to this step. */
  id?: string;
  after?: Condition;
  delayMs: number;
  /** Give up waiting for `after` after this many ms (guest time): the step fails and the run ends. */
  withinMs?: number;
  /**
   * Kernel bugs that keep the step from happening where they show (the PSE it would unbind never registered):
   * its failure, and the steps it leaves undone, then do not fail the run.
   */
  knownBug?: KnownBug[];
  action: Action;
  /** Index in `steps`, for messages. */
  index: number;
}

/** Something a step can wait for. Every one is an event of the run's one event stream (src/scenario/events.ts). */
export type Condition =
  /** Another step is done. */
  | { kind: 'step'; step: string }
  /** The PHY's DT node got an MDIO device (and, with `driver`, a driver whose name contains it bound). */
  | { kind: 'phy-registered'; phy: NodeRef; driver?: string }
  /** The device's probe was deferred (-EPROBE_DEFER). */
  | { kind: 'probe-deferred'; device: NodeRef }
  /** A driver bound to the device's node (`driver`: its name contains this). */
  | { kind: 'device-bound'; device: NodeRef; driver?: string }
  /** The emulator saw an MDIO access to the PHY. */
  | { kind: 'mdio-access'; phy: NodeRef }
  /** The PHY model's link went up or down. */
  | { kind: 'link'; phy: NodeRef; up: boolean }
  /** A kernel log line matches `pattern`. */
  | { kind: 'kernel-log'; pattern: string };

export type ConditionKind = Condition['kind'];

/** A crash or report of the guest kernel, as src/qemu/kernel-log.ts classifies its log. */
export type KernelReportKind = 'warning' | 'oops' | 'bug' | 'kasan' | 'lockdep' | 'hung-task' | 'panic';

/**
 * Where a kernel bug makes an expectation fail: the matrix shows it as expected, with its reason. Scenarios name
 * one of src/scenario/known-bugs.ts's catalogue (`"knownBug": "pse-kfifo-nr-lines"`) or give one inline.
 */
export interface KnownBug {
  /** Stable name (`pse-kfifo-nr-lines`): what reports, the matrix and docs/kernel-findings.md call it. */
  name: string;
  /** Kernel versions it applies to: `>=6.17`, `6.12`, `<7.3`, comma-separated terms all of which hold. */
  kernels: string;
  /** One line naming the bug (the function and what goes wrong), shown in reports. */
  bug: string;
  /**
   * Regular expressions, one of which must match the guest's kernel log (a line, or a kernel report as
   * `kind: title in function <- frame <- frame`) for the bug to count as the reason: a kernel in range that
   * fails for another reason fails, and a build with the fix (same version) is judged as any other kernel.
   */
  evidence: string[];
}

interface ExpectationBase {
  /**
   * Kernel bugs that make the expectation fail where they show (written as one name, one inline bug, or a
   * list); the first that applies to the kernel (its range, its evidence in the log) is the reason.
   */
  knownBug?: KnownBug[];
  /**
   * Judged only on kernels in this range (`<6.17`, `>=7.0`; terms as KnownBug.kernels), for what kernels
   * legitimately do differently; elsewhere it is reported as not applicable. The kernel model (Linux 6.1) is
   * judged as 6.1.
   */
  kernels?: string;
  /** Index in `expect`, for messages. */
  index: number;
}

export type Expectation = ExpectationBase &
  (
    | /** The PHY's DT node got an MDIO device; optionally with this PHY ID and a driver whose name contains `driver`. */
      { kind: 'phy-registered'; phy: NodeRef; phyId?: number; driver?: string }
      /** The PHY never got an MDIO device (before step `before`, or during the whole run). */
    | { kind: 'phy-not-registered'; phy: NodeRef; before?: string }
    /** The device's probe was deferred and it had not bound by then: just before step `before`, or at the end. */
    | { kind: 'probe-deferred'; device: NodeRef; before?: string }
    /** The emulator saw no MDIO access to the PHY before step `before` (or during the whole run). */
    | { kind: 'no-access'; phy: NodeRef; before?: string }
    /** The PHY was first accessed after step `after` started, within `withinMs`; the report gives the delay. */
    | { kind: 'first-access-after'; phy: NodeRef; after: string; withinMs?: number }
    /** The USB device bound to its DT node (`/sys/bus/usb/devices/X/of_node`): guards against a wrong `reg`. */
    | { kind: 'usb-of-node'; device: NodeRef }
    /** The emulator's MDIO trace and the guest's mdio:mdio_access trace agree transaction for transaction. */
    | { kind: 'traces-agree' }
    /** The guest's mdio_access trace, replayed against fresh models, reads the same value at every read. */
    | { kind: 'replay-verify' }
    /** A kernel log line matching `pattern` (a regular expression) is present (or absent). */
    | { kind: 'kernel-log'; pattern: string; present: boolean }
    /**
     * The kernel reported (or did not report) a problem of this kind: a WARN, an Oops, a KASAN or lockdep report,
     * matched by event, not by one version's wording; `function` narrows to reports whose function or call chain
     * names it.
     */
    | { kind: 'kernel-report'; report: KernelReportKind; function?: string; present: boolean }
    /** The guest reads back, through its EEPROM driver, the bytes the emulator's EEPROM model holds. */
    | { kind: 'eeprom-contents'; eeprom: NodeRef; length?: number }
    /** The output of the `run` step `step` matches `pattern` (or not, with `present: false`), exit status `rc`. */
    | { kind: 'command-output'; step: string; pattern: string; present?: boolean; rc?: number }
    /** The guest transmitted at least `min` (default 1) frames of `frames` class on the USB Ethernet `device`. */
    | { kind: 'guest-frames'; device: NodeRef; frames: FrameClass; min?: number }
    /** What the driver's last status poll saw in BMSR's link bit at the end of the run (kernel model). */
    | { kind: 'phy-link'; phy: NodeRef; up: boolean }
    /** Power state of PI `port` at the end: delivering, searching (enabled, no PD powered) or disabled. */
    | {
        kind: 'pse-port';
        controller: NodeRef;
        port: number;
        power: 'delivering' | 'searching' | 'disabled';
      }
    /** The PHY ends the run holding a pse_control whose controller was unregistered (kernel model). */
    | { kind: 'stale-pse'; phy: NodeRef; present: boolean }
  );

export type ExpectationKind = Expectation['kind'];
