import test from 'ava';
import { CHROMIUM, openTab } from '../browser.js';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cellOf, differences, type MatrixReport } from '../../src/qemu/matrix.js';
import { renderMatrixHtml } from '../../src/qemu/matrix-html.js';
import { readScenarioFile, renderReportHtml, runInModel } from '../../src/scenario/index.js';

/**
 * The matrix page in a real browser (Debian's chromium, headless): two real runs of the kernel model as the
 * cells of one scenario on two kernels, each cell's own report.html beside it. The page must show the grid,
 * the differences row, and its links must lead to the cells' reports, which load without errors.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

if (!existsSync(CHROMIUM) && process.env.CI === 'true') {
  test('matrix page browser test prerequisites are installed (CI)', (t) => {
    t.fail(
      `CI must render the matrix page in chromium, but ${CHROMIUM} is missing (scripts/setup.sh installs it)`,
    );
  });
} else if (!existsSync(CHROMIUM)) {
  console.log(`test/qemu/matrix-html: skipping the browser test: ${CHROMIUM} is not installed`);
  test.skip('the matrix page renders in headless chromium (chromium is not installed)', () => {});
} else {
  test.serial(
    'the matrix page renders in headless chromium: grid, differences, links to each run',
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-matrix-'));
      const runs = [
        { kernel: { name: 'base', release: '7.2.13' }, file: 'gen-podl-pse-first.scenario.json' },
        { kernel: { name: 'patched' }, file: 'gen-qemu-podl-phy-first.scenario.json' },
      ];
      const cells = runs.map(({ kernel, file }) => {
        const report = runInModel(readScenarioFile(join(repo, 'dts', file)));
        mkdirSync(join(dir, kernel.name, 's'), { recursive: true });
        writeFileSync(join(dir, kernel.name, 's', 'report.html'), renderReportHtml(report));
        return { ...cellOf(report, kernel, `${kernel.name}/s/report.html`), scenario: 's' };
      });
      const matrix: MatrixReport = {
        format: 1,
        kernels: runs.map((r) => r.kernel),
        scenarios: ['s'],
        cells,
        differences: { s: differences(cells) },
        pass: cells.every((c) => c.pass),
        wallMs: 1000,
        jobs: 2,
      };
      writeFileSync(join(dir, 'report.html'), renderMatrixHtml(matrix));
      const { tab, problems, close } = await openTab({ width: 1200, height: 700 });
      try {
        await tab.goto(`file://${join(dir, 'report.html')}`);
        t.regex((await tab.textContent('#verdict')) ?? '', matrix.pass ? /^PASS/ : /^FAIL/);
        t.deepEqual(
          (await tab.locator('#grid thead th').allTextContents()).slice(1).map((h) => h.split(/\d/)[0]),
          ['base', 'patched'],
        );
        t.is(await tab.locator('#grid tr.scenario td').count(), 2);
        const diff = (await tab.textContent('#grid tr.diff')) ?? '';
        t.regex(diff, /deferred probe attempts — base: 0; patched: [1-9]/);
        mkdirSync(join(repo, 'test-output'), { recursive: true });
        await tab.screenshot({ path: join(repo, 'test-output', 'matrix-html.png'), fullPage: true });
        // Each cell links to its run's own report, which loads and shows that run's verdict.
        await tab.locator('#grid tr.scenario td a').nth(1).click();
        await tab.waitForURL(/patched\/s\/report\.html$/);
        t.is(await tab.textContent('#verdict'), cells[1]?.verdict ?? '');
        t.deepEqual(problems, []);
      } finally {
        await close();
      }
    },
  );
}
