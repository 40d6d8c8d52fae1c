import { dirname, isAbsolute, resolve } from 'node:path';
import { SourceFile } from '../diagnostics/index.js';
import { compileDts, type CompileResult } from '../dts/compile.js';
import { DtsError } from '../dts/diagnostics.js';
import { readDtb } from '../dts/dtb-read.js';
import { preprocess } from '../dts/preprocess.js';
import type { DeviceTree } from '../dts/tree.js';
import type { HostRead } from '../dts/host.js';
import { readInputFile, readSourceFile } from '../io/index.js';

/**
 * The one way from a device-tree input to a tree: a DTS file or text (through the C preprocessor when it uses
 * `#include`/`#define`, as kernel trees do), or a DTB. A QEMU fragment (no `/dts-v1/`) compiles on top of a
 * base tree given as DTS text. Every failure is a DtsError whose diagnostics point into the files the user
 * wrote. This file and src/io are the only ones in src/board that touch the file system.
 */
export interface TreeLoadOptions {
  /** Run the preprocessor: `auto` (the default) when the text has a preprocessor directive. */
  cpp?: boolean | 'auto';
  /** `-I`: searched for `#include <...>`, `/include/` and `/incbin/`. */
  includeDirs?: readonly string[];
  defines?: Readonly<Record<string, string>>;
  /** A fragment without `/dts-v1/` is compiled on top of this tree (DTS text without the header). */
  base?: { name: string; dts: string };
  /** dtc -@: keep labels in `__symbols__` so `&label` survives into the blob. */
  symbols?: boolean;
}

export interface LoadedTree {
  tree: DeviceTree;
  /** The compiled blob (the input itself for a DTB). */
  dtb: Uint8Array;
  /** Source texts by name, for formatting diagnostics raised later about the tree's nodes. */
  files: ReadonlyMap<string, SourceFile>;
  /** The file the user named (absolute), or the text's name. */
  name: string;
}

/** A DTS or DTB file, told apart by the DTB magic. */
export function loadTreeFile(path: string, options: TreeLoadOptions = {}): LoadedTree {
  const file = resolve(path);
  const bytes = readInputFile(file, { what: 'device tree' });
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0xd00dfeed) return loadDtb(file, bytes);
  return loadTreeText(file, bytes.toString('latin1'), { ...options, baseDir: dirname(file) });
}

export function loadDtb(name: string, bytes: Uint8Array): LoadedTree {
  return { tree: readDtb(bytes, { fileName: name }), dtb: bytes, files: new Map(), name };
}

/** DTS text; `baseDir` is where relative includes are looked for (the text's own folder). */
export function loadTreeText(
  name: string,
  text: string,
  options: TreeLoadOptions & { baseDir?: string } = {},
): LoadedTree {
  const baseDir = options.baseDir ?? process.cwd();
  const includeDirs = [baseDir, ...(options.includeDirs ?? [])];
  const fragment = options.base !== undefined && isFragment(text);
  const baseName = options.base ? resolve(baseDir, options.base.name) : '';
  // The compiler reports a missing or refused include itself, with the line that asked for it.
  const readBytes = (p: string): HostRead<Uint8Array> => {
    const abs = isAbsolute(p) ? p : resolve(baseDir, p);
    if (options.base && abs === baseName) return Buffer.from(options.base.dts, 'latin1');
    if (abs === name) return Buffer.from(text, 'latin1');
    return readSourceFile(abs);
  };
  const mainName = fragment ? `${name}+${options.base?.name ?? ''}` : name;
  let source = fragment
    ? `/dts-v1/;\n/include/ ${JSON.stringify(baseName)}\n/include/ ${JSON.stringify(name)}\n`
    : text;
  const files = new Map<string, SourceFile>();
  let origins;
  const wantCpp = options.cpp === true || ((options.cpp ?? 'auto') === 'auto' && usesPreprocessor(text));
  if (wantCpp && !fragment) {
    const pp = preprocess(
      name,
      {
        readFile: (p) => {
          const b = readBytes(p);
          return b instanceof Uint8Array ? Buffer.from(b).toString() : b;
        },
      },
      { includeDirs, defines: { __DTS__: '1', ...options.defines } },
    );
    for (const [n, t] of pp.files) files.set(n, new SourceFile(n, t));
    const errors = pp.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) throw new DtsError(pp.diagnostics, { files });
    source = pp.text;
    origins = pp.origins;
  }
  const result: CompileResult = compileDts(source, {
    fileName: mainName,
    host: { readFile: readBytes },
    includeDirs,
    symbols: options.symbols ?? false,
    ...(origins ? { origins } : {}),
  });
  for (const [n, f] of files) result.files.set(n, f);
  if (!result.ok || !result.tree || !result.dtb) {
    const diagnostics =
      result.diagnostics.length > 0
        ? result.diagnostics
        : [{ code: 'DTS1000', severity: 'error' as const, message: `${name} does not compile` }];
    throw new DtsError(diagnostics, { files: result.files });
  }
  return { tree: result.tree, dtb: result.dtb, files: result.files, name };
}

/** True when the source has no `/dts-v1/` header outside comments: a fragment for a base tree. */
export function isFragment(source: string): boolean {
  return !/^\s*\/dts-v1\/\s*;/m.test(source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''));
}

function usesPreprocessor(text: string): boolean {
  return /^\s*#\s*(include|define|if|ifdef|ifndef)\b/m.test(text);
}
