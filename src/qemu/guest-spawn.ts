import { spawn } from 'node:child_process';
import { GuestSession, type GuestProcess, type GuestSessionOptions, type QemuExit } from './guest-session.js';
import type { QemuBoard } from './qemu-scenario.js';
import { qmpArgs } from './qmp.js';

/** Where QEMU's output goes besides the session (a LAVA worker passes the console on to LAVA). */
export interface GuestTaps {
  stdout?: (chunk: string) => void;
  stderr?: (chunk: string) => void;
}

/**
 * Starts QEMU and joins it to a new GuestSession: the console feeds the session, the session's steps go to
 * the console's input. The local runner and the LAVA worker differ only in the arguments and the taps.
 */
export function spawnGuest(
  program: string,
  args: readonly string[],
  board: QemuBoard,
  o: Omit<GuestSessionOptions, 'send'>,
  taps: GuestTaps = {},
  qemu: { qmpSocket?: string } = {},
): { session: GuestSession; process: GuestProcess } {
  // With a QMP socket, QEMU can still say what a guest that froze is doing (src/qemu/qmp.ts).
  const all = qemu.qmpSocket === undefined ? args : [...args, ...qmpArgs(qemu.qmpSocket)];
  const child = spawn(program, all, { stdio: ['pipe', 'pipe', 'pipe'] });
  const session = new GuestSession(board, {
    ...o,
    send: (line) => {
      if (child.stdin.writable) child.stdin.write(`${line}\n`);
    },
  });
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    taps.stdout?.(c);
    session.consoleOutput(c);
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    taps.stderr?.(c);
    session.qemuOutput(c);
  });
  // A guest that died leaves a closed pipe; the session learns of it from `exited`, not from a write error.
  child.stdin.on('error', () => undefined);
  const exited = new Promise<QemuExit>((done) => {
    child.on('error', (err) => {
      done({ code: null, signal: null, error: err.message });
    });
    child.on('close', (code, signal) => {
      done({ code, signal });
    });
  });
  return {
    session,
    process: {
      program,
      exited,
      ...(child.pid === undefined ? {} : { pid: child.pid }),
      ...(qemu.qmpSocket === undefined ? {} : { qmpSocket: qemu.qmpSocket }),
      kill: () => {
        child.kill('SIGKILL');
      },
    },
  };
}
