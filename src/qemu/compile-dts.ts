import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ConfigError } from '../scenario/errors.js';

const run = promisify(execFile);

/**
 * DTS file → DTB blob, with `__symbols__` (`-@`) so labels survive into the blob for resolving `&label`
 * references. The one place that chooses the compiler: the system dtc until src/dts compiles whole files.
 */
export async function compileDtsFile(file: string, includeDirs: readonly string[]): Promise<Buffer> {
  const args = ['-q', '-@', '-I', 'dts', '-O', 'dtb', ...includeDirs.flatMap((d) => ['-i', d]), file];
  try {
    const { stdout } = await run('dtc', args, { encoding: 'buffer', maxBuffer: 16 << 20, timeout: 30_000 });
    return stdout;
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new ConfigError('SCN008', '', `device tree did not compile:\n${stderr.trim() || (err as Error).message}`, { cause: err });
  }
}
