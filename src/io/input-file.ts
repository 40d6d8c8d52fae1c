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

/** Why a file was not read: the error code and the text that follows the file's name. */
interface Refusal {
  code: 'CLI1002' | 'CLI1003' | 'CLI1004';
  /** CLI1002: the step that failed. */
  step?: 'open' | 'read';
  text: string;
  cause?: unknown;
}
const isRefused = (r: Buffer | Refusal): r is Refusal => 'code' in r && typeof r.code === 'string';

/**
 * Reads a file a user named, after checking that it is a regular file (or a stream where that is meant) of
 * bounded size: `/dev/zero` or a directory must be refused at once, not read forever. The checks run on the
 * opened descriptor, so the file cannot be swapped between the check and the read. Errors name the path.
 */
export function readInputFile(path: string, o: ReadInputOptions): Buffer {
  const r = readChecked(path, o.maxBytes ?? DEFAULT_MAX_INPUT_BYTES, o.allowStream ?? false);
  if (!isRefused(r)) return r;
  const options = { where: path, ...(r.cause === undefined ? {} : { cause: r.cause }) };
  if (r.code === 'CLI1002')
    throw new EnvironmentError(r.code, `cannot ${r.step ?? 'open'} the ${o.what}: ${r.text}`, options);
  throw new InputError(r.code, `the ${o.what} is ${r.text}`, options);
}

/**
 * A file a source names (/include/, /incbin/, #include) for the compilers' hosts: the bytes; undefined when
 * there is nothing at the path, so the search goes on to the next directory; or a refusal with the reason when
 * there is something that must not be read (a device, a directory, an oversized file), which ends the search
 * there, as dtc and cpp stop at the first candidate they can open.
 */
export function readSourceFile(
  path: string,
  maxBytes = DEFAULT_MAX_INPUT_BYTES,
): Buffer | { refused: string } | undefined {
  const r = readChecked(path, maxBytes, false);
  if (!isRefused(r)) return r;
  const errno = r.cause instanceof Error && 'code' in r.cause ? r.cause.code : undefined;
  if (errno === 'ENOENT' || errno === 'ENOTDIR') return undefined;
  // dtc and cpp say strerror(EISDIR) here.
  return {
    refused:
      r.text === 'a directory' ? 'Is a directory' : r.step === 'read' ? `cannot read it: ${r.text}` : r.text,
  };
}

function readChecked(path: string, max: number, allowStream: boolean): Buffer | Refusal {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not hang before the type check below.
    fd = openSync(path, constants.O_RDONLY | (allowStream ? 0 : constants.O_NONBLOCK));
  } catch (err) {
    return { code: 'CLI1002', step: 'open', text: reason(err), cause: err };
  }
  try {
    const st = fstatSync(fd);
    const stream = st.isFIFO() || st.isCharacterDevice() || st.isSocket();
    if (st.isDirectory()) return { code: 'CLI1003', text: 'a directory' };
    if (!st.isFile() && !(allowStream && stream)) return { code: 'CLI1003', text: 'not a regular file' };
    if (st.isFile() && st.size > max)
      return { code: 'CLI1004', text: `${st.size} bytes, more than the limit of ${max}` };
    return readBounded(fd, max);
  } finally {
    closeSync(fd);
  }
}

function readBounded(fd: number, max: number): Buffer | Refusal {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(1 << 20, max + 1 - total));
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (err) {
      return { code: 'CLI1002', step: 'read', text: reason(err), cause: err };
    }
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > max) return { code: 'CLI1004', text: `larger than the limit of ${max} bytes` };
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
      EEXIST: 'a file of that name is in the way',
      EADDRINUSE: 'address already in use',
    };
    return known[err.code] ?? err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
