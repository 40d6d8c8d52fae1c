import type { RunReport, TimelineMark } from './report.js';

/**
 * report.html for one run: the verdict, the expectations, and one picture of what happened when, on the
 * guest's clock: the steps, the kernel's device events and deferrals, kernel reports, MDIO and I2C traffic as
 * density strips, every PSE port's power and every PHY's link, and where each expectation was decided. Hover a
 * mark for its details (SVG titles), click it to pin them. Self-contained: no network, no external files
 * beyond the run's own logs it links to.
 */
export function renderReportHtml(r: RunReport): string {
  const timeline = renderTimeline(r);
  const rows = r.expectations
    .map((e) => {
      const cls = e.status === 'held' ? 'ok' : e.status === 'failed' ? 'bad' : 'known';
      const at = e.at === undefined ? '' : fmtMs(e.at);
      return `<tr class="${cls}"><td>${esc(STATUS[e.status] ?? e.status)}</td><td><code>${esc(e.expectation.kind)}</code></td><td>${esc(e.message)}</td><td class="num">${esc(at)}</td></tr>`;
    })
    .join('\n');
  const steps = r.steps
    .map(
      (s) =>
        `<tr class="${s.status === 'done' ? 'ok' : s.status === 'failed' ? 'bad' : 'skip'}"><td>${s.index}</td><td>${esc(s.id ?? '')}</td><td><code>${esc(s.action)}</code></td><td>${esc(s.status)}</td><td class="num">${s.startedAt === undefined ? '' : fmtMs(s.startedAt)}</td><td>${esc(s.detail ?? '')}</td></tr>`,
    )
    .join('\n');
  const files = Object.entries(r.files)
    .filter(([k]) => k !== 'html')
    .map(([k, f]) => `<li><a href="${esc(basename(f))}">${esc(k)}</a></li>`)
    .join('');
  const reports = r.reports
    .map(
      (k) =>
        `<li><b>${esc(k.title)}</b> at ${fmtMs(k.t)}<br><code>${esc(k.frames.slice(0, 8).join(' ← '))}</code></li>`,
    )
    .join('');
  const deferrals = r.deferrals
    .map(
      (d) =>
        `<li><code>${esc(d.node)}</code>: ${d.attempts} probe attempt(s) deferred by ${esc(d.driver)}${d.boundAt === undefined ? ', never bound' : `, bound at ${fmtMs(d.boundAt)}`}</li>`,
    )
    .join('');
  const guest =
    r.guest.kind === 'qemu'
      ? `Linux ${r.guest.release ?? ''} (${r.guest.kernel}) under QEMU`
      : 'kernel model';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.scenario)}: ${r.pass ? 'PASS' : 'FAIL'}</title>
<style>${CSS}</style></head>
<body>
<header class="${r.pass ? 'pass' : 'fail'}"><h1>${esc(r.scenario)}</h1><p id="verdict">${esc(r.verdict)}</p>
<p class="meta">${esc(guest)} · ended: ${esc(r.end.reason)} (${esc(r.end.detail)}) · ${(r.wallMs / 1000).toFixed(1)} s wall</p>
${r.description ? `<p class="desc">${esc(r.description)}</p>` : ''}</header>
<section><h2>What happened when <small>(guest clock, ms since boot)</small></h2>
<div id="timeline">${timeline}</div><div id="details" role="status">Hover or click a mark for its details.</div></section>
<section><h2>Expectations</h2><table id="expectations"><thead><tr><th></th><th>kind</th><th>what was seen</th><th>decided at</th></tr></thead><tbody>
${rows}</tbody></table></section>
<section><h2>Steps</h2><table id="steps"><thead><tr><th>#</th><th>id</th><th>action</th><th>status</th><th>started</th><th></th></tr></thead><tbody>
${steps}</tbody></table></section>
${reports ? `<section><h2>Kernel reports</h2><ul id="reports">${reports}</ul></section>` : ''}
${deferrals ? `<section><h2>Deferred probes</h2><ul id="deferrals">${deferrals}</ul></section>` : ''}
${files ? `<section><h2>Files</h2><ul id="files">${files}</ul></section>` : ''}
<script>${SCRIPT}</script>
</body></html>
`;
}

const STATUS: Readonly<Record<string, string>> = {
  held: '✓',
  failed: '✗',
  'expected-failure': '✗ (known bug)',
  fixed: '✓ (known bug fixed?)',
  'not-applicable': '– (not for this kernel)',
};

const WIDTH = 1100;
const LABEL = 190;
const LANE = 22;

interface Lane {
  label: string;
  body: (x: (t: number) => number) => string;
}

function renderTimeline(r: RunReport): string {
  const times = [
    ...r.guestEvents.map((m) => m.t),
    ...r.traffic.flatMap((l) => [l.times[0] ?? Number.NaN, l.times.at(-1) ?? Number.NaN]),
    r.end.at,
  ].filter((t) => Number.isFinite(t));
  const up = r.guestEvents.find((m) => m.lane === 'step')?.t;
  const t0 = Math.max(0, Math.min(...times.filter((t) => up === undefined || t >= up - 2000)));
  const t1 = Math.max(t0 + 1, ...times) + 50;
  const x = (t: number): number =>
    LABEL + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0)) * (WIDTH - LABEL - 10);
  const lanes: Lane[] = [];
  lanes.push({
    label: 'steps',
    body: (x) =>
      markLane(
        r.guestEvents.filter((m) => m.lane === 'step'),
        x,
      ),
  });
  lanes.push({
    label: 'devices',
    body: (x) =>
      markLane(
        r.guestEvents.filter((m) => m.lane === 'device' || m.lane === 'module'),
        x,
      ),
  });
  lanes.push({
    label: 'deferred probes',
    body: (x) =>
      markLane(
        r.guestEvents.filter((m) => m.lane === 'deferral'),
        x,
      ),
  });
  lanes.push({
    label: 'kernel reports',
    body: (x) =>
      markLane(
        r.guestEvents.filter((m) => m.lane === 'report'),
        x,
      ),
  });
  const shortPath = shortPaths([
    ...r.traffic.map((l) => l.bus),
    ...r.psePorts.map((p) => p.controller),
    ...r.links.map((l) => l.phy),
  ]);
  for (const l of r.traffic)
    lanes.push({
      label: `${l.kind.toUpperCase()} ${shortPath(l.bus)}`,
      body: (x) => density(l.times, x, t0, t1, l.kind),
    });
  for (const p of r.psePorts)
    lanes.push({
      label: `PSE ${shortPath(p.controller)} #${p.port}`,
      body: (x) =>
        segments(
          p.changes.map((c) => ({ t: c.t, v: c.state })),
          x,
          t1,
          PSE_COLOURS,
        ),
    });
  for (const l of r.links)
    lanes.push({
      label: `link ${shortPath(l.phy)}`,
      body: (x) =>
        segments(
          l.changes.map((c) => ({ t: c.t, v: c.up ? 'up' : 'down' })),
          x,
          t1,
          LINK_COLOURS,
        ),
    });
  lanes.push({
    label: 'expectations',
    body: (x) =>
      r.expectations
        .filter((e) => e.at !== undefined)
        .map((e) => {
          const cx = x(e.at ?? 0);
          const ok = e.pass;
          return `<g class="mark ${ok ? 'ok' : 'bad'}" data-detail="${esc(`${e.expectation.kind}: ${e.message}`)}"><circle cx="${cx.toFixed(1)}" cy="${LANE / 2}" r="5"/><title>${esc(`${fmtMs(e.at ?? 0)} ${e.expectation.kind}: ${e.message}`)}</title></g>`;
        })
        .join(''),
  });
  const height = lanes.length * LANE + 30;
  const body = lanes
    .map(
      (lane, i) =>
        `<g class="lane" transform="translate(0 ${i * LANE})"><rect class="band${i % 2}" x="0" y="0" width="${WIDTH}" height="${LANE}"/><text class="lanelabel" x="4" y="${LANE - 7}">${esc(lane.label)}</text>${lane.body(x)}</g>`,
    )
    .join('\n');
  const ticks = axisTicks(t0, t1)
    .map(
      (t) =>
        `<g class="tick"><line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="0" y2="${lanes.length * LANE}"/><text x="${x(t).toFixed(1)}" y="${lanes.length * LANE + 14}">${fmtAxis(t)}</text></g>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="run timeline">${ticks}${body}</svg>`;
}

function markLane(marks: readonly TimelineMark[], x: (t: number) => number): string {
  return marks
    .map((m) => {
      const cx = x(m.t).toFixed(1);
      const text = `${fmtMs(m.t)} ${m.label}${m.detail ? ` — ${m.detail}` : ''}`;
      return `<g class="mark ${m.severity ?? 'info'}" data-detail="${esc(text)}"><rect x="${(Number(cx) - 2).toFixed(1)}" y="4" width="4" height="${LANE - 8}"/><title>${esc(text)}</title></g>`;
    })
    .join('');
}

/** Accesses per bin as a strip whose darkness grows with the count: a burst reads at a glance. */
function density(
  times: readonly number[],
  x: (t: number) => number,
  t0: number,
  t1: number,
  kind: string,
): string {
  const bins = 200;
  const counts = new Array<number>(bins).fill(0);
  for (const t of times) {
    const i = Math.min(bins - 1, Math.max(0, Math.floor(((t - t0) / (t1 - t0)) * bins)));
    counts[i] = (counts[i] ?? 0) + 1;
  }
  const max = Math.max(1, ...counts);
  const w = (x(t1) - x(t0)) / bins;
  return counts
    .map((c, i) => {
      if (c === 0) return '';
      const from = t0 + ((t1 - t0) * i) / bins;
      return `<rect class="density ${kind}" x="${x(from).toFixed(1)}" y="4" width="${Math.max(1, w).toFixed(1)}" height="${LANE - 8}" fill-opacity="${(0.15 + (0.85 * c) / max).toFixed(2)}"><title>${c} ${kind.toUpperCase()} transaction(s) from ${fmtMs(from)}</title></rect>`;
    })
    .join('');
}

const PSE_COLOURS: Readonly<Record<string, string>> = {
  delivering: '#2e9e44',
  searching: '#b9b9b9',
  disabled: '#555',
  'over-budget': '#e0a000',
  fault: '#d33',
};
const LINK_COLOURS: Readonly<Record<string, string>> = { up: '#2e9e44', down: '#bbb' };

function segments(
  changes: readonly { t: number; v: string }[],
  x: (t: number) => number,
  t1: number,
  colours: Readonly<Record<string, string>>,
): string {
  return changes
    .map((c, i) => {
      const end = changes[i + 1]?.t ?? t1;
      const text = `${fmtMs(c.t)}: ${c.v}`;
      return `<g class="mark seg" data-detail="${esc(text)}"><rect x="${x(c.t).toFixed(1)}" y="5" width="${Math.max(1, x(end) - x(c.t)).toFixed(1)}" height="${LANE - 10}" style="fill:${colours[c.v] ?? '#888'}"/><title>${esc(text)}</title></g>`;
    })
    .join('');
}

function axisTicks(t0: number, t1: number): number[] {
  const span = t1 - t0;
  const raw = span / 8;
  const step =
    [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000].find(
      (s) => s >= raw,
    ) ?? raw;
  const out: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push(t);
  return out;
}

function fmtAxis(t: number): string {
  return t >= 10_000 ? `${(t / 1000).toFixed(t % 1000 === 0 ? 0 : 1)} s` : `${Math.round(t)} ms`;
}

function fmtMs(t: number): string {
  return `${(Math.round(t * 10) / 10).toFixed(1)} ms`;
}

/**
 * Lane names: each path's last two components, or as many more as it takes to tell it from the others (two
 * USB Ethernet adapters each have an `mdio/ethernet-phy@1`).
 */
function shortPaths(paths: readonly string[]): (p: string) => string {
  const split = (p: string) => p.split('/').filter(Boolean);
  const suffix = (p: string, n: number) => split(p).slice(-n).join('/') || p;
  const unique = [...new Set(paths)];
  const names = new Map<string, string>();
  for (const p of unique) {
    let n = 2;
    while (n < split(p).length && unique.some((q) => q !== p && suffix(q, n) === suffix(p, n))) n++;
    names.set(p, suffix(p, n));
  }
  return (p) => names.get(p) ?? suffix(p, 2);
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1140px;padding:0 12px;color:#222}
header{padding:10px 14px;border-radius:6px;margin:12px 0}header.pass{background:#e6f4ea}header.fail{background:#fde8e8}
h1{margin:0;font-size:20px}#verdict{font-weight:600;margin:4px 0}.meta,.desc{margin:2px 0;color:#444}
h2{font-size:16px;margin:18px 0 6px}h2 small{font-weight:normal;color:#666}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
tr.ok td:first-child{color:#2e7d32}tr.bad td:first-child{color:#c62828;font-weight:700}tr.known td:first-child{color:#a15c00}
td.num{text-align:right;white-space:nowrap}code{font-size:12px}
svg{display:block;font-size:11px}.band0{fill:#fafafa}.band1{fill:#f0f0f0}.lanelabel{fill:#333}
.tick line{stroke:#ddd}.tick text{fill:#666;text-anchor:middle}
.mark rect{fill:#4a76c4}.mark.warn rect{fill:#e0a000}.mark.error rect{fill:#d33}.mark circle{stroke:#fff}
.mark.ok circle{fill:#2e9e44}.mark.bad circle{fill:#d33}.mark{cursor:pointer}.mark.pinned rect,.mark.pinned circle{stroke:#000;stroke-width:2}
.density.mdio{fill:#4a76c4}.density.i2c{fill:#8e44ad}
#details{min-height:1.5em;margin:6px 0;padding:4px 8px;background:#f6f6f6;border-radius:4px;font-family:monospace;font-size:12px;white-space:pre-wrap}`;

const SCRIPT = `(() => {
  const details = document.getElementById('details');
  let pinned = null;
  for (const m of document.querySelectorAll('.mark')) {
    m.addEventListener('mouseenter', () => { if (!pinned) details.textContent = m.dataset.detail; });
    m.addEventListener('click', () => {
      if (pinned) pinned.classList.remove('pinned');
      pinned = pinned === m ? null : m;
      if (pinned) pinned.classList.add('pinned');
      details.textContent = m.dataset.detail;
    });
  }
})();`;
