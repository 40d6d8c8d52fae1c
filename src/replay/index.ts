/**
 * Record and replay of MDIO register sequences (docs/trace-format.md).
 *
 *   const file = new TraceFile('run.trace');                        // line-flushed writer
 *   const bus = new MdioBus({ name, clock, trace: new MdioRecorder((r) => file.write(r), { client: 'qemu' }) });
 *   const { records } = readAnyTrace(text);                         // our format or Linux mdio_access text
 *   const server = new ReplayServer(records, 'per-register');       // answer a client from a recording
 *   verifyTrace(records, target);                                   // drive a model, list differing reads
 *   formatDiff(diffTraces(a, b), a, b);                             // align two traces
 */
export { type TraceRecord, type TraceOp, type TraceResult, describeRecord, requestKey } from './record.js';
export { TraceError, TraceErrorCode, type TraceErrorCodeValue } from './errors.js';
export {
  TraceWriter,
  formatTrace,
  formatRecordLine,
  parseTrace,
  TRACE_HEADER,
  TRACE_MAGIC,
  TRACE_VERSION,
  type ParsedTrace,
} from './format.js';
export { importMdioAccess, looksLikeMdioAccess, type MdioAccessImport } from './mdio-access.js';
export { readAnyTrace, type AnyTrace } from './read.js';
export { MdioRecorder, recordFromMdioEvent, type RecorderOptions } from './recorder.js';
export { TraceFile } from './file-sink.js';
export {
  ReplayServer,
  describeRequest,
  type ServeMode,
  type ReplayRequest,
  type Unforeseen,
} from './serve.js';
export {
  verifyTrace,
  mapBuses,
  formatDifference,
  type VerifyTarget,
  type VerifyOptions,
  type VerifyReport,
  type Difference,
} from './verify.js';
export { diffTraces, formatDiff, type TraceDiff, type DiffEntry, type DiffOptions } from './diff.js';
