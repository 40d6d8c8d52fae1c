import { checkCode } from './checks.js';
import type { Diagnostic } from './diagnostics.js';
import type { SourceFile, Span } from '../diagnostics/source.js';

/**
 * Diagnostics as machine-readable reports for `mdio-emu dts check`: plain JSON, and SARIF 2.1.0 (OASIS
 * Static Analysis Results Interchange Format) for code-scanning tools. Every position is file, line and
 * column in the .dts/.dtsi the user wrote (the compiler maps preprocessor output back through cpp's origins).
 */

export interface ReportPosition {
  file: string;
  /** 1-based. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface ReportDiagnostic {
  code: string;
  severity: 'error' | 'warning';
  /** The dtc check that reported it, for DTS2xxx codes. */
  check?: string;
  message: string;
  position?: ReportPosition;
  related?: { message: string; position: ReportPosition }[];
}

export interface CheckReport {
  /** The input as named on the command line. */
  file: string;
  /** The dtc generation whose checks ran. */
  compat: string;
  ok: boolean;
  errors: number;
  warnings: number;
  diagnostics: ReportDiagnostic[];
}

function position(span: Span | undefined, files: ReadonlyMap<string, SourceFile>): ReportPosition | undefined {
  if (!span) return undefined;
  const file = files.get(span.file);
  if (!file) return undefined;
  const start = file.position(span.start);
  const end = file.position(Math.max(span.start, span.end - 1));
  // SARIF's endColumn is exclusive: one past the last character.
  return { file: span.file, line: start.line, column: start.column, endLine: end.line, endColumn: end.column + 1 };
}

/** `message [check]` as the compiler writes check failures. */
function splitCheck(d: Diagnostic): { message: string; check?: string } {
  const m = /^(.*) \[([a-z0-9_]+)\]$/s.exec(d.message);
  if (m?.[1] !== undefined && m[2] !== undefined && checkCode(m[2]) === d.code) return { message: m[1].trimEnd(), check: m[2] };
  return { message: d.message };
}

export function checkReport(file: string, compat: string, ok: boolean, diagnostics: readonly Diagnostic[], files: ReadonlyMap<string, SourceFile>): CheckReport {
  const out: ReportDiagnostic[] = diagnostics.map((d) => {
    const { message, check } = splitCheck(d);
    const pos = position(d.span, files);
    const related = (d.related ?? []).flatMap((r) => {
      const p = position(r.span, files);
      return p ? [{ message: r.message, position: p }] : [];
    });
    return {
      code: d.code,
      severity: d.severity,
      ...(check !== undefined ? { check } : {}),
      message,
      ...(pos ? { position: pos } : {}),
      ...(related.length > 0 ? { related } : {}),
    };
  });
  const errors = out.filter((d) => d.severity === 'error').length;
  return { file, compat, ok, errors, warnings: out.length - errors, diagnostics: out };
}

export interface SarifOptions {
  toolVersion: string;
  /** The dtc release the checks reproduce, e.g. 1.8.1. */
  dtcRelease: string;
  /** Turns a file name into a URI reference; relative names stay relative to `uriBase`. */
  uri?: (file: string) => string;
}

/** The SARIF 2.1.0 log of one `dts check` run: one rule per diagnostic code seen, one result per diagnostic. */
export function toSarif(report: CheckReport, options: SarifOptions): unknown {
  const uri = options.uri ?? ((f: string) => f.split('/').map(encodeURIComponent).join('/'));
  const rules: { id: string; name?: string; shortDescription: { text: string } }[] = [];
  const ruleIndex = new Map<string, number>();
  for (const d of report.diagnostics) {
    if (ruleIndex.has(d.code)) continue;
    ruleIndex.set(d.code, rules.length);
    rules.push({
      id: d.code,
      ...(d.check !== undefined ? { name: d.check } : {}),
      shortDescription: { text: d.check !== undefined ? `dtc check ${d.check}` : `device tree ${d.severity} ${d.code}` },
    });
  }
  const location = (p: ReportPosition, message?: string): Record<string, unknown> => ({
    physicalLocation: {
      artifactLocation: { uri: uri(p.file), ...(p.file.startsWith('/') ? {} : { uriBaseId: 'SRCROOT' }) },
      region: { startLine: p.line, startColumn: p.column, endLine: p.endLine, endColumn: p.endColumn },
    },
    ...(message !== undefined ? { message: { text: message } } : {}),
  });
  const results = report.diagnostics.map((d) => ({
    ruleId: d.code,
    ruleIndex: ruleIndex.get(d.code) ?? 0,
    level: d.severity,
    message: { text: d.message },
    ...(d.position ? { locations: [location(d.position)] } : {}),
    ...(d.related ? { relatedLocations: d.related.map((r, i) => ({ id: i, ...location(r.position, r.message) })) } : {}),
  }));
  return {
    $schema: 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'mdio-emu dts check',
            version: options.toolVersion,
            semanticVersion: options.toolVersion,
            fullName: `mdio-emu device tree checks (dtc ${options.dtcRelease} compatible)`,
            rules,
          },
        },
        originalUriBaseIds: { SRCROOT: { description: { text: 'the directory mdio-emu ran in' } } },
        invocations: [{ executionSuccessful: true, exitCode: report.ok ? 0 : 1 }],
        columnKind: 'unicodeCodePoints',
        results,
      },
    ],
  };
}
