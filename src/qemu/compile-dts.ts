import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { compileDts } from '../dts/compile.js';
import { formatDiagnostic } from '../dts/diagnostics.js';
import { ConfigError } from '../scenario/errors.js';

/**
 * DTS file → DTB blob with our compiler (src/dts), with `__symbols__` (dtc `-@`) so labels survive into the
 * blob for resolving `&label` references. The one place that chooses the compiler.
 */
export async function compileDtsFile(file: string, includeDirs: readonly string[]): Promise<Buffer> {
  const source = await readFile(file, 'utf8');
  const result = compileDts(source, {
    fileName: file,
    includeDirs,
    symbols: true,
    host: {
      readFile: (path) => {
        try {
          return readFileSync(path);
        } catch {
          return undefined;
        }
      },
    },
  });
  if (!result.ok || !result.dtb) {
    const errors = result.diagnostics
      .filter((d) => d.severity === 'error')
      .map((d) => formatDiagnostic(d, result.files));
    throw new ConfigError('SCN008', '', `device tree did not compile:\n${errors.join('\n') || 'no output'}`);
  }
  return Buffer.from(result.dtb);
}
