import test from 'ava';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cellOf, differences, notForKernel, type MatrixReport } from '../../src/qemu/matrix.js';
import { renderMatrixHtml } from '../../src/qemu/matrix-html.js';
import { readScenarioFile, runInModel } from '../../src/scenario/index.js';

const dts = fileURLToPath(new URL('../../dts', import.meta.url));

/**
 * Two real runs that differ as two kernels would: the same hardware, the PSE driver there before the bus
 * probes (no deferral) or after (a deferral, then the PHY). As cells of one scenario on two "kernels", the
 * matrix must name exactly what differs.
 */
function cells() {
  const early = runInModel(readScenarioFile(join(dts, 'gen-podl-pse-first.scenario.json')));
  const late = runInModel(readScenarioFile(join(dts, 'gen-qemu-podl-phy-first.scenario.json')));
  const a = { ...cellOf(early, { name: 'A', release: '7.2.13' }, 'A/x/report.html'), scenario: 's' };
  const b = { ...cellOf(late, { name: 'B' }, 'B/x/report.html'), scenario: 's' };
  return [a, b];
}

test("differences name the fields that differ between kernels, each kernel's value given", (t) => {
  const [a, b] = cells();
  t.deepEqual(a?.deferrals, []);
  t.true((b?.deferrals[0]?.attempts ?? 0) >= 1);
  const diff = differences([a!, b!]);
  t.true(
    diff.some((d) => d.startsWith(`deferred probe attempts — A: 0; B: ${b!.deferrals[0]!.attempts}`)),
    diff.join('\n'),
  );
  t.false(
    diff.some((d) => d.startsWith('verdict')),
    'both passed',
  );
  t.deepEqual(differences([a!, a!]), [], 'a kernel never differs from itself');
});

test('the matrix page: one row per scenario, a column per kernel, links to each run, the differences under the row', (t) => {
  const c = cells();
  const report: MatrixReport = {
    format: 1,
    kernels: [{ name: 'A', release: '7.2.13' }, { name: 'B' }],
    scenarios: ['s'],
    cells: c,
    differences: { s: differences(c) },
    pass: true,
    wallMs: 1234,
    jobs: 2,
  };
  const html = renderMatrixHtml(report);
  t.regex(html, /<p id="verdict">PASS: all 2 runs passed<\/p>/);
  t.is([...html.matchAll(/<a href="([AB])\/x\/report\.html">/g)].length, 2);
  t.regex(html, /<tr class="scenario differs">/);
  t.regex(html, /<b>differs:<\/b><ul><li>deferred probe attempts — A: 0; B: [1-9]/);
});

test('a scenario for other kernels is not run there: an n/a cell, left out of the differences and the run count', (t) => {
  const [a, b] = cells();
  const na = notForKernel('s', 'x.scenario.json', { name: 'C', release: '6.1.192' }, '>=6.17');
  const all = [a!, b!, na];
  t.deepEqual(differences(all), differences([a!, b!]));
  const html = renderMatrixHtml({
    format: 1,
    kernels: [{ name: 'A' }, { name: 'B' }, { name: 'C', release: '6.1.192' }],
    scenarios: ['s'],
    cells: all,
    differences: { s: differences(all) },
    pass: true,
    wallMs: 1,
    jobs: 2,
  });
  t.regex(html, /<p id="verdict">PASS: all 2 runs passed \(1 cell\(s\) not for their kernel\)<\/p>/);
  t.regex(
    html,
    /<td class="none">n\/a<br><small>not run: the scenario is for kernels &#62;=6.17<\/small><\/td>/,
  );
});
