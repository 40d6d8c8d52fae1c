import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { SourceFile, type Span } from '../diagnostics/index.js';
import { ConfigError, type ScenarioErrorCode } from './errors.js';

/** A JSON path: object keys and array indexes from the top (`['steps', 2, 'action']`). */
export type JsonPath = readonly (string | number)[];

/** `steps[2].action`, as messages write it. */
export function formatJsonPath(path: JsonPath): string {
  return path.reduce<string>(
    (out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${p}` : p),
    '',
  );
}

/**
 * A JSON document that remembers where every value came from, so every error about a value (a wrong type, a
 * dangling reference found later against the device tree) names the file, line and column of that value.
 * Strict JSON: no comments, no trailing commas (the files are also read by other tools).
 */
export class JsonSource {
  readonly file: SourceFile;
  readonly root: Node;

  constructor(fileName: string, text: string) {
    this.file = new SourceFile(fileName, text);
    const errors: ParseError[] = [];
    const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
    const first = errors[0];
    if (first || !root) {
      throw new ConfigError(
        'SCN001',
        '',
        `not valid JSON: ${first ? printParseErrorCode(first.error) : 'empty'}`,
        {
          span: {
            file: fileName,
            start: first?.offset ?? 0,
            end: (first?.offset ?? 0) + (first?.length ?? 0),
          },
          files: new Map([[fileName, this.file]]),
        },
      );
    }
    this.root = root;
  }

  /** The span of the value at `path`, or of its closest existing ancestor (a missing field points at its object). */
  spanAt(path: JsonPath): Span {
    for (let n = path.length; n >= 0; n--) {
      const node = findNodeAtLocation(this.root, [...path.slice(0, n)]);
      if (node) return { file: this.file.name, start: node.offset, end: node.offset + node.length };
    }
    return { file: this.file.name, start: 0, end: 0 };
  }

  /** A ConfigError pointing at the value at `path`. */
  error(code: ScenarioErrorCode, path: JsonPath, detail: string, cause?: unknown): ConfigError {
    return new ConfigError(code, formatJsonPath(path), detail, {
      span: this.spanAt(path),
      files: new Map([[this.file.name, this.file]]),
      ...(cause === undefined ? {} : { cause }),
    });
  }
}
