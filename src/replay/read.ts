import { TraceError, TraceErrorCode } from './errors.js';
import { parseTrace, TRACE_MAGIC, type ParsedTrace } from './format.js';
import { importMdioAccess } from './mdio-access.js';

export interface AnyTrace extends ParsedTrace {
  format: 'mdio-emu' | 'mdio_access';
}

/** Reads either our trace format (by its header) or Linux mdio_access text. */
export function readAnyTrace(text: string, file?: string): AnyTrace {
  if (text.trimStart().startsWith(TRACE_MAGIC)) return { ...parseTrace(text, file), format: 'mdio-emu' };
  const imported = importMdioAccess(text, file);
  if (imported.records.length === 0) {
    throw new TraceError(
      TraceErrorCode.EMPTY,
      0,
      `neither an mdio-emu trace (no "${TRACE_MAGIC}" header) nor text with mdio_access events`,
      file,
    );
  }
  return { records: imported.records, truncated: false, format: 'mdio_access' };
}
