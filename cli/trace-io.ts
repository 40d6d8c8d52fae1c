import { readFileSync } from 'node:fs';
import { readAnyTrace, type AnyTrace } from '../src/replay/read.js';
import { ExitCodeError } from './run.js';

/** Reads a trace file in either format; a truncated last line is dropped with a note on stderr. */
export function readTraceFile(file: string): AnyTrace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ExitCodeError(1, `mdio-emu: cannot read ${file}: ${(err as Error).message}`);
  }
  const trace = readAnyTrace(text, file);
  if (trace.truncated)
    process.stderr.write(`${file}: the last line is incomplete (the writer stopped mid-line); ignored\n`);
  return trace;
}
