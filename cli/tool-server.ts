import { existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dtcReadsStdin, runDtc } from './dtc.js';
import { fdtoverlayReadsStdin, runFdtoverlay } from './fdtoverlay.js';
import { toolStatus } from './run.js';

/**
 * The warm compile server behind the native `mdio-emu-dtc` client (cli/standalone/dtc-client.c). kbuild starts
 * dtc once per board; a Node process costs 10x dtc's whole run before it has compiled anything, and the
 * compiler runs cold in it. The client (a small C program, about 1 ms to start) hands its command line and
 * working directory to this process over a Unix socket and replays the output, so every file after the
 * first is compiled by a warm compiler. The tools run here exactly as in their own process (same functions,
 * same exit statuses); only stdin cannot travel, so a command line that reads stdin is sent back to run
 * in-process.
 *
 * Request: u32 LE length, then NUL-terminated fields: `mdio-emu-tool 1`, the tool (`dtc`, `fdtoverlay`), the
 * working directory, the arguments. Reply: frames of a type byte, a u32 LE length and the data: 1 stdout,
 * 2 stderr, 0 the exit status (u32 LE, last frame), 3 "run it yourself" (only frame).
 */

export const TOOL_PROTOCOL = 'mdio-emu-tool 1';
const MAX_REQUEST = 1 << 20;

export const Frame = { exit: 0, stdout: 1, stderr: 2, fallback: 3 } as const;

const TOOLS: Readonly<
  Record<
    string,
    { main: (args: readonly string[]) => number; readsStdin: (args: readonly string[]) => boolean }
  >
> = {
  dtc: { main: runDtc, readsStdin: dtcReadsStdin },
  fdtoverlay: { main: runFdtoverlay, readsStdin: fdtoverlayReadsStdin },
};

export interface ToolRequest {
  tool: string;
  cwd: string;
  args: string[];
}

/** The request's fields, or undefined when it is not one (wrong protocol, unknown tool, truncated). */
export function decodeRequest(payload: Buffer): ToolRequest | undefined {
  const fields = payload.toString('utf8').split('\0');
  // Every field ends in NUL, so the split leaves an empty last element.
  if (fields.pop() !== '' || fields.length < 3) return undefined;
  const [protocol, tool, cwd, ...args] = fields;
  if (protocol !== TOOL_PROTOCOL || tool === undefined || cwd === undefined || !(tool in TOOLS))
    return undefined;
  return { tool, cwd, args };
}

export function encodeRequest(r: ToolRequest): Buffer {
  const payload = Buffer.from(
    [TOOL_PROTOCOL, r.tool, r.cwd, ...r.args].map((f) => `${f}\0`).join(''),
    'utf8',
  );
  const head = Buffer.alloc(4);
  head.writeUInt32LE(payload.length);
  return Buffer.concat([head, payload]);
}

function frame(type: number, data: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(type, 0);
  head.writeUInt32LE(data.length, 1);
  return Buffer.concat([head, data]);
}

type Write = typeof process.stdout.write;

/** Gives a stream another write() and returns what puts the old one back (an own property or the prototype's). */
function replaceWrite(stream: NodeJS.WriteStream, write: Write): () => void {
  const own = Object.getOwnPropertyDescriptor(stream, 'write');
  stream.write = write;
  return () => {
    if (own) Object.defineProperty(stream, 'write', own);
    else Reflect.deleteProperty(stream, 'write');
  };
}

/**
 * Runs one request in this process: in the client's directory, with stdout and stderr captured as frames in
 * the order they were written. The tools are synchronous, so nothing else runs (or writes) meanwhile.
 */
export function runRequest(r: ToolRequest): Buffer {
  const tool = TOOLS[r.tool];
  if (!tool || tool.readsStdin(r.args)) return frame(Frame.fallback, Buffer.alloc(0));
  const home = process.cwd();
  try {
    process.chdir(r.cwd);
  } catch {
    return frame(Frame.fallback, Buffer.alloc(0));
  }
  const frames: Buffer[] = [];
  const capture =
    (type: number): Write =>
    (chunk: Uint8Array | string, ...rest: unknown[]): boolean => {
      frames.push(frame(type, typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk));
      const done = rest.find((x) => typeof x === 'function') as (() => void) | undefined;
      done?.();
      return true;
    };
  const restoreOut = replaceWrite(process.stdout, capture(Frame.stdout));
  const restoreErr = replaceWrite(process.stderr, capture(Frame.stderr));
  let status: number;
  try {
    status = toolStatus(tool.main, r.args);
  } finally {
    restoreOut();
    restoreErr();
    try {
      process.chdir(home);
    } catch {
      // The folder the server came from is gone; the next request names its own anyway.
    }
  }
  const code = Buffer.alloc(4);
  code.writeUInt32LE(status >>> 0);
  frames.push(frame(Frame.exit, code));
  return Buffer.concat(frames);
}

function serveConnection(socket: Socket, onRequest: () => void): void {
  let pending = Buffer.alloc(0);
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    if (pending.length < 4) return;
    const length = pending.readUInt32LE(0);
    if (length > MAX_REQUEST) {
      socket.destroy();
      return;
    }
    if (pending.length < 4 + length) return;
    const request = decodeRequest(pending.subarray(4, 4 + length));
    pending = Buffer.alloc(0);
    if (!request) {
      socket.destroy();
      return;
    }
    onRequest();
    socket.end(runRequest(request));
  });
}

export interface ToolServerOptions {
  socket: string;
  /** The server exits after this long without a request. */
  idleMs: number;
}

/**
 * Listens on `socket` until idle. A live server already there wins (this one exits quietly, resolving
 * undefined); a stale socket file left by a killed one is replaced.
 */
export async function serveTools(o: ToolServerOptions): Promise<Server | undefined> {
  const server = createServer((socket) => {
    // Connections arrive only once listening, after `idle` is set.
    serveConnection(socket, () => idle.refresh());
  });
  const listen = (): Promise<NodeJS.ErrnoException | undefined> =>
    new Promise((resolve) => {
      server.once('error', resolve);
      server.listen(o.socket, () => {
        server.off('error', resolve);
        resolve(undefined);
      });
    });
  let failed = await listen();
  if (failed?.code === 'EADDRINUSE') {
    if (await alive(o.socket)) return undefined;
    if (existsSync(o.socket)) unlinkSync(o.socket);
    failed = await listen();
  }
  if (failed) throw failed;
  const idle = setTimeout(() => server.close(), o.idleMs);
  server.on('close', () => clearTimeout(idle));
  return server;
}

/** Whether something accepts connections on the socket. */
function alive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
