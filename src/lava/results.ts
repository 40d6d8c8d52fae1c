import { parse as parseYaml } from 'yaml';
import { InputError } from '../diagnostics/index.js';
import { parseResultLines, type ParsedResults } from './console-protocol.js';

/** One LAVA test case as the dispatcher logged it (`lvl: results`). */
export interface LavaResult {
  definition: string;
  case: string;
  result: string;
  /** The dispatcher's error, for the `job` case of a job that failed. */
  error?: string;
}

export interface LavaJobLog extends ParsedResults {
  results: LavaResult[];
  /** The job's own outcome (the `lava` definition's `job` case): pass, fail, or unknown if the log ends early. */
  job: { result: string; error?: string };
}

interface LogRecord {
  lvl?: unknown;
  msg?: unknown;
}

/**
 * A job's log as LAVA keeps it: the dispatcher's records, one per line, either as `lava-run` prints them (a
 * JSON object a line) or as a server serves them (`output.yaml`: the same objects as a YAML list, `- {...}`).
 */
export function parseLavaLog(text: string, file: string): LavaJobLog {
  const records: LogRecord[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.startsWith('- ') ? raw.slice(2) : raw;
    if (line.trim() === '') return;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      try {
        r = parseYaml(line);
      } catch (err) {
        throw new InputError(
          'LAVA010',
          `${file}:${i + 1}: not a LAVA log record: ${(err as Error).message}`,
          {
            where: `${file}:${i + 1}`,
          },
        );
      }
    }
    if (typeof r === 'object' && r !== null) records.push(r);
  });
  if (records.length === 0) throw new InputError('LAVA010', `${file}: no LAVA log records`, { where: file });
  const target = records
    .filter((r) => r.lvl === 'target' && typeof r.msg === 'string')
    .map((r) => r.msg as string);
  const results = records.flatMap((r): LavaResult[] => {
    if (r.lvl !== 'results' || typeof r.msg !== 'object' || r.msg === null) return [];
    const m = r.msg as Record<string, unknown>;
    const extra = (m.extra ?? {}) as Record<string, unknown>;
    return [
      {
        definition: String(m.definition),
        // The dispatcher rewrites `-` to `_` in case names and keeps the id as printed in extra.test_case_id.
        case: typeof extra.test_case_id === 'string' ? extra.test_case_id : String(m.case),
        result: String(m.result),
        ...(typeof m.error_msg === 'string' ? { error: m.error_msg } : {}),
      },
    ];
  });
  const jobCase = results.find((r) => r.definition === 'lava' && r.case === 'job');
  return {
    ...parseResultLines(target),
    results,
    job: jobCase
      ? { result: jobCase.result, ...(jobCase.error === undefined ? {} : { error: jobCase.error }) }
      : { result: 'unknown', error: 'the log ends before the job did' },
  };
}
