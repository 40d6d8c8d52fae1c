import { createConnection } from 'node:net';

/** One QMP command (docs/interop/qmp-spec.rst in QEMU's tree). */
export interface QmpCommand {
  execute: string;
  arguments?: Record<string, unknown>;
}

/** QEMU's answer to one command: its `return`, or its `error`. */
export type QmpAnswer = { ok: true; value: unknown } | { ok: false; error: string };

/** QMP's own command-line argument: a UNIX socket QEMU listens on without waiting for anyone. */
export function qmpArgs(socketPath: string): string[] {
  return ['-qmp', `unix:${socketPath},server=on,wait=off`];
}

/**
 * Runs `commands` in order over QEMU's QMP socket and gives each answer, or undefined for those QEMU did not
 * answer within `timeoutMs` in all (a QEMU stopped by a signal answers nothing, and must not hold up its
 * caller). Never throws: a socket that is not there answers nothing.
 */
export function qmpQuery(
  socketPath: string,
  commands: readonly QmpCommand[],
  timeoutMs: number,
): Promise<(QmpAnswer | undefined)[]> {
  const answers: (QmpAnswer | undefined)[] = commands.map(() => undefined);
  return new Promise((resolve) => {
    const socket = createConnection({ path: socketPath });
    let buffered = '';
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answers);
    };
    const timer = setTimeout(finish, timeoutMs);
    const send = (id: string, c: QmpCommand): void => {
      socket.write(`${JSON.stringify({ ...c, id })}\n`);
    };
    socket.on('error', finish);
    socket.on('close', finish);
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        let m: Record<string, unknown>;
        try {
          m = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if ('QMP' in m) send('caps', { execute: 'qmp_capabilities' });
        else if (m.id === 'caps') commands.forEach((c, i) => send(String(i), c));
        else if (typeof m.id === 'string' && /^\d+$/.test(m.id)) {
          const i = Number(m.id);
          const err = m.error as { desc?: unknown } | undefined;
          answers[i] = err
            ? { ok: false, error: typeof err.desc === 'string' ? err.desc : 'error' }
            : { ok: true, value: m.return };
          if (answers.every((a) => a !== undefined)) finish();
        }
        // Anything else is an asynchronous event: not an answer.
      }
    });
  });
}
