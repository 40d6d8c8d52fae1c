/**
 * What every input language shares: source files and spans, one diagnostic type and its formatter, and the
 * root of the error hierarchy with the error kinds that decide exit statuses. Pure: no fs, no net.
 */
export { SourceFile, TextlessSourceFile, identityOrigins, type OriginMap, type Span } from './source.js';
export { formatDiagnostic, type Diagnostic, type Severity } from './diagnostic.js';
export {
  EnvironmentError,
  EXIT_STATUS,
  InputError,
  MdioEmuError,
  UsageError,
  VerdictError,
  type ErrorKind,
  type MdioEmuErrorOptions,
} from './errors.js';
export { CODE_PREFIXES, codePrefix } from './codes.js';
