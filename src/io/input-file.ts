import { closeSync, fstatSync, openSync, readSync, constants } from 'node:fs';
import { EnvironmentError, InputError } from '../diagnostics/index.js';

export interface ReadInputOptions {
  /** What the file is, for messages: "device tree", "scenario", "trace". */
  what: string;
  /** Refuse larger files before reading them (default 64 MiB: far beyond any real input). */
  maxBytes?: number;
  /** Accept a FIFO or a terminal (stdin, `<(...)`), read up to maxBytes. */
  allowStream?: boolean;
}

export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024;

/**
 * Reads a file a user named, after checking that it is a regular file (or a stream where that is meant) of
 * bounded size: `/dev/zero` or a directory must be refused at once, not read forever. The checks run on the
 * opened descriptor, so the file cannot be swapped between the check and the read. Errors name the path.
 */
export function readInputFile(path: string, o: ReadInputOptions): Buffer {
  const max = o.maxBytes ?? DEFAULT_MAX_INPUT_BYTES;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not hang before the type check below.
    fd = openSync(path, constants.O_RDONLY | (o.allowStream ? 0 : constants.O_NONBLOCK));
  } catch (err) {
    throw new EnvironmentError('CLI1002', `cannot open the ${o.what}: ${reason(err)}`, {
      where: path,
      cause: err,
    });
  }
  try {
    const st = fstatSync(fd);
    const stream = st.isFIFO() || st.isCharacterDevice() || st.isSocket();
    if (st.isDirectory()) throw new InputError('CLI1003', `the ${o.what} is a directory`, { where: path });
    if (!st.isFile() && !(o.allowStream && stream))
      throw new InputError('CLI1003', `the ${o.what} is not a regular file`, { where: path });
    if (st.isFile() && st.size > max)
      throw new InputError('CLI1004', `the ${o.what} is ${st.size} bytes, more than the limit of ${max}`, {
        where: path,
      });
    return readBounded(fd, max, path, o.what);
  } finally {
    closeSync(fd);
  }
}

function readBounded(fd: number, max: number, path: string, what: string): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(1 << 20, max + 1 - total));
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (err) {
      throw new EnvironmentError('CLI1002', `cannot read the ${what}: ${reason(err)}`, {
        where: path,
        cause: err,
      });
    }
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > max)
      throw new InputError('CLI1004', `the ${what} is larger than the limit of ${max} bytes`, {
        where: path,
      });
  }
  return Buffer.concat(chunks, total);
}

/** The system's reason without Node's prefix: "no such file or directory" rather than "ENOENT: ...". */
export function reason(err: unknown): string {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') {
    const known: Record<string, string> = {
      ENOENT: 'no such file or directory',
      EACCES: 'permission denied',
      EISDIR: 'is a directory',
      ENOTDIR: 'a component of the path is not a directory',
      ENOSPC: 'no space left on the device',
      EROFS: 'read-only file system',
      EADDRINUSE: 'address already in use',
    };
    return known[err.code] ?? err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
