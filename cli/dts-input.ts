import { dirname } from 'node:path';
import { compileDtb, compileDts, type CompileOptions, type CompileResult } from '../src/dts/compile.js';
import type { DtcCompat } from '../src/dts/compat.js';
import { FDT_MAGIC } from '../src/dts/dtb-read.js';
import { preprocess } from '../src/dts/preprocess.js';
import { SourceFile } from '../src/diagnostics/source.js';
import type { HostRead } from '../src/dts/host.js';
import { readInputFile, readSourceFile } from '../src/io/index.js';

/**
 * Reading a device tree for the `dts` tools: a blob (by its magic number) or source, preprocessed with the
 * built-in cpp when it uses #include/#define (or when asked), compiled with dtc's semantics of the chosen
 * generation. Diagnostics stay in the result for the caller to print or report.
 */

export interface TreeInput {
  /** include search directories: cpp's -I and dtc's -i. */
  include: readonly string[];
  define: readonly string[];
  /** true: always preprocess; false: never; undefined: when the text has preprocessor directives. */
  cpp?: boolean;
  compat: DtcCompat;
  extra?: Partial<CompileOptions>;
}

export interface LoadedTree {
  kind: 'dts' | 'dtb';
  result: CompileResult;
}

/** /include/, /incbin/ and #include files: regular files of bounded size only (/dev/zero would never end). */
const readHostFile = (path: string): HostRead<Uint8Array> => readSourceFile(path);

/** A line starting with a cpp directive dtc itself would not take (`#include`, `#define`, `#if...`). */
const CPP_DIRECTIVE = /^[ \t]*#[ \t]*(include|define|undef|if|ifdef|ifndef)\b/m;

export function isBlob(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    (((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)) >>> 0 ===
      FDT_MAGIC
  );
}

export function loadTree(path: string, input: TreeInput): LoadedTree {
  const bytes = readInputFile(path, { what: 'device tree' });
  if (isBlob(bytes))
    return {
      kind: 'dtb',
      result: compileDtb(bytes, { fileName: path, compat: input.compat, ...input.extra }),
    };
  const text = Buffer.from(bytes).toString('latin1');
  const options: CompileOptions = {
    fileName: path,
    host: { readFile: readHostFile },
    includeDirs: [dirname(path), ...input.include],
    compat: input.compat,
    ...input.extra,
  };
  if (input.cpp === false || (input.cpp === undefined && !CPP_DIRECTIVE.test(text)))
    return { kind: 'dts', result: compileDts(bytes, options) };
  const defines: Record<string, string> = { __DTS__: '1' };
  for (const d of input.define) {
    const eq = d.indexOf('=');
    defines[eq < 0 ? d : d.slice(0, eq)] = eq < 0 ? '1' : d.slice(eq + 1);
  }
  const readText = (p: string): HostRead<string> => {
    if (p === path) return text;
    const b = readHostFile(p);
    return b instanceof Uint8Array ? Buffer.from(b).toString('latin1') : b;
  };
  const pp = preprocess(path, { readFile: readText }, { includeDirs: input.include, defines });
  const result = compileDts(pp.text, { ...options, origins: pp.origins });
  // Spans point into the files the user wrote: give the formatter those texts, not cpp's output.
  for (const [name, t] of pp.files) result.files.set(name, new SourceFile(name, t));
  result.diagnostics.unshift(...pp.diagnostics);
  if (pp.diagnostics.some((d) => d.severity === 'error')) result.ok = false;
  return { kind: 'dts', result };
}
