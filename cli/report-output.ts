import { makeOutputDir, writeOutputFile } from '../src/io/index.js';
import { join, resolve } from 'node:path';
import { renderReportHtml, type RunReport } from '../src/scenario/index.js';

/** The console verdict of a run, the same for the kernel model and QEMU: expectations, steps that failed, verdict. */
export function formatRunReport(r: RunReport): string {
  const out: string[] = [];
  for (const s of r.steps)
    if (s.status === 'failed') out.push(`STEP ${s.id ?? s.index} failed: ${s.detail ?? ''}`);
  for (const e of r.expectations) {
    const tag =
      e.status === 'held'
        ? 'PASS'
        : e.status === 'failed'
          ? 'FAIL'
          : e.status === 'expected-failure'
            ? 'XFAIL'
            : e.status === 'not-applicable'
              ? 'N/A'
              : 'XPASS';
    out.push(`${tag} ${e.expectation.kind}: ${e.message}`);
  }
  const attach = r.details.pseAttach;
  if (Array.isArray(attach))
    for (const f of attach as { phy: string; behaviour: string; evidence: string }[])
      out.push(`PSE attach (${f.phy}): ${f.behaviour}: ${f.evidence}`);
  for (const k of r.reports)
    out.push(
      `KERNEL ${k.title} at ${k.t} ms${k.frames.length ? ` (${k.frames.slice(0, 4).join(' < ')})` : ''}`,
    );
  out.push(
    `${r.verdict} — scenario ${r.scenario}, ${(r.wallMs / 1000).toFixed(1)} s wall${r.files.html ? `; report: ${r.files.html}` : ''}`,
  );
  return `${out.join('\n')}\n`;
}

/** Writes DIR/report.json and DIR/report.html (for runs that did not write them themselves). */
export function writeReportFiles(r: RunReport, dir: string): RunReport {
  const abs = resolve(dir);
  makeOutputDir(abs, 'report');
  const withFiles: RunReport = {
    ...r,
    files: { ...r.files, report: join(abs, 'report.json'), html: join(abs, 'report.html') },
  };
  writeOutputFile(join(abs, 'report.json'), `${JSON.stringify(withFiles, null, 2)}\n`, 'report');
  writeOutputFile(join(abs, 'report.html'), renderReportHtml(withFiles), 'report');
  return withFiles;
}
