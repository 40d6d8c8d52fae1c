import type { MatrixCell, MatrixReport } from './matrix.js';

/**
 * report.html of a matrix: one row per scenario, one column per kernel, each cell the verdict with what a
 * reviewer compares (PSE attach mode and the probe attempts deferred before it, kernel reports with their first
 * frames, the time from PSE binding to PHY registration, the traffic), linking to the run's own report; under
 * each row, what differs between the kernels. Self-contained, no network.
 */
export function renderMatrixHtml(m: MatrixReport): string {
  const head = m.kernels
    .map((k) => `<th>${esc(k.name)}${k.release ? `<br><small>${esc(k.release)}</small>` : ''}</th>`)
    .join('');
  const rows = m.scenarios
    .map((s) => {
      const cells = m.kernels
        .map((k) => m.cells.find((c) => c.scenario === s && c.kernel === k.name))
        .map((c) =>
          !c
            ? '<td class="none">not run</td>'
            : c.end === 'not-applicable'
              ? `<td class="none">n/a<br><small>${esc(c.verdict)}</small></td>`
              : cell(c),
        )
        .join('');
      const diff = m.differences[s] ?? [];
      const diffRow = diff.length
        ? `<tr class="diff"><td></td><td colspan="${m.kernels.length}"><b>differs:</b><ul>${diff.map((d) => `<li>${esc(d)}</li>`).join('')}</ul></td></tr>`
        : '';
      return `<tr class="scenario${diff.length ? ' differs' : ''}"><th scope="row">${esc(s)}</th>${cells}</tr>${diffRow}`;
    })
    .join('\n');
  const failed = m.cells.filter((c) => !c.pass).length;
  const runs = m.cells.filter((c) => c.end !== 'not-applicable').length;
  const skipped = m.cells.length - runs;
  const stopped = m.cells.filter((c) => c.end === 'interrupted').length;
  const verdict =
    (m.interrupted !== undefined
      ? `INTERRUPTED (${m.interrupted}): ${runs - stopped} of ${runs} runs done, ${failed - stopped} failed`
      : m.pass
        ? `PASS: all ${runs} runs passed`
        : `FAIL: ${failed} of ${runs} runs failed`) +
    (skipped > 0 ? ` (${skipped} cell(s) not for their kernel)` : '');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mdio-emu matrix: ${m.pass ? 'PASS' : 'FAIL'}</title>
<style>${CSS}</style></head><body>
<header class="${m.pass ? 'pass' : 'fail'}"><h1>Scenario × kernel</h1><p id="verdict">${esc(verdict)}</p>
<p class="meta">${m.scenarios.length} scenario(s) on ${m.kernels.length} kernel(s), ${m.jobs} guest(s) at once, ${(m.wallMs / 1000).toFixed(1)} s wall</p></header>
<table id="grid"><thead><tr><th>scenario</th>${head}</tr></thead><tbody>
${rows}
</tbody></table>
</body></html>
`;
}

function cell(c: MatrixCell): string {
  const known = c.expectations.filter((e) => e.status === 'expected-failure' || e.status === 'fixed');
  const flagged = c.knownBugs.length > 0 || known.length > 0;
  const cls = !c.pass ? 'bad' : flagged ? 'known' : 'ok';
  const badge = !c.pass ? failBadge(c.end) : flagged ? 'PASS*' : 'PASS';
  const lines: string[] = [];
  for (const a of c.pseAttach)
    lines.push(
      `PSE: ${a.behaviour}${a.deferredAttempts ? `, ${a.deferredAttempts} deferred probe(s)` : ''}${a.pseToPhyMs === undefined ? '' : `, PHY ${a.pseToPhyMs} ms after PSE`}`,
    );
  for (const r of c.reports)
    lines.push(
      `<span class="report">${esc(r.title)}</span>${r.frames.length ? `<br><code>${esc(r.frames.slice(0, 3).join(' ← '))}</code>` : ''}`,
    );
  for (const b of c.knownBugs) {
    const why = known.filter((e) => e.knownBug === b && e.status === 'expected-failure').map((e) => e.kind);
    lines.push(
      `<span class="knownbug">known bug ${esc(b)}${why.length ? `: expected failure of ${esc(why.join(', '))}` : ''}${c.crash?.knownBug === b ? ' (the crash)' : ''}</span>`,
    );
  }
  for (const e of known.filter((x) => x.status === 'fixed'))
    lines.push(
      `<span class="knownbug">known bug ${esc(e.knownBug ?? '')} fixed?: ${esc(e.kind)} held</span>`,
    );
  for (const e of c.expectations.filter((x) => x.status === 'failed'))
    lines.push(`<span class="failed">✗ ${esc(e.kind)}: ${esc(e.message)}</span>`);
  // A frozen guest left no report or failed expectation to show: the verdict is what happened.
  if (c.end === 'guest-frozen' || c.end === 'interrupted')
    lines.push(`<span class="failed">${esc(c.verdict)}</span>`);
  lines.push(
    `<small>${c.traffic.mdio} MDIO, ${c.traffic.i2c} I2C · ${(c.wallMs / 1000).toFixed(1)} s</small>`,
  );
  const head = c.report ? `<a href="${esc(c.report)}"><b>${badge}</b></a>` : `<b>${badge}</b>`;
  return `<td class="${cls}">${head}<br>${lines.map((l) => (l.startsWith('<') ? l : esc(l))).join('<br>')}</td>`;
}

/** A failed cell's badge: how the run ended when that is the news, else FAIL. */
export function failBadge(end: string): string {
  return end === 'guest-crashed'
    ? 'CRASH'
    : end === 'guest-frozen'
      ? 'FROZE'
      : end === 'interrupted'
        ? 'STOPPED'
        : 'FAIL';
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1400px;padding:0 12px;color:#222}
header{padding:10px 14px;border-radius:6px;margin:12px 0}header.pass{background:#e6f4ea}header.fail{background:#fde8e8}
h1{margin:0;font-size:20px}#verdict{font-weight:600;margin:4px 0}.meta{color:#444;margin:2px 0}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:6px;text-align:left;vertical-align:top}
td.ok{background:#f1f8f3}td.bad{background:#fdf0f0}td.known{background:#fff7e6}td.none{color:#888}
tr.differs th{border-left:4px solid #e0a000}tr.diff td{background:#fffbea;font-size:13px}tr.diff ul{margin:2px 0 2px 18px;padding:0}
.report{color:#b00}.failed{color:#b00}.knownbug{color:#a15c00}code{font-size:12px}a{color:inherit}`;
