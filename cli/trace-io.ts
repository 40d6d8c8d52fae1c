import { readInputFile } from '../src/io/index.js';
import { readAnyTrace, type AnyTrace } from '../src/replay/read.js';

/**
 * Reads a trace file in either format (a pipe such as `<(...)` too, up to the input size limit); a
 * truncated last line is dropped with a note on stderr.
 */
export function readTraceFile(file: string): AnyTrace {
  const text = readInputFile(file, { what: 'trace', allowStream: true }).toString('utf8');
  const trace = readAnyTrace(text, file);
  if (trace.truncated)
    process.stderr.write(`${file}: the last line is incomplete (the writer stopped mid-line); ignored\n`);
  return trace;
}
