import test from 'ava';
import { CHROMIUM, openTab } from '../browser.js';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readScenarioFile, renderReportHtml, runInModel, type RunReport } from '../../src/scenario/index.js';

/**
 * report.html in a real browser: Debian's chromium, headless, loads the page of a real run (a shipped scenario
 * against the kernel model) and the test reads what it rendered. The screenshot is kept with the test output
 * (test-output/, ignored by git) so a reviewer can look at it.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = join(repo, 'test-output');

function reportOf(file: string): RunReport {
  return runInModel(readScenarioFile(join(repo, 'dts', file)));
}

if (!existsSync(CHROMIUM) && process.env.CI === 'true') {
  test('report.html browser test prerequisites are installed (CI)', (t) => {
    t.fail(
      `CI must render report.html in chromium, but ${CHROMIUM} is missing (scripts/setup.sh installs it)`,
    );
  });
} else if (!existsSync(CHROMIUM)) {
  console.log(`test/scenario/report-html: skipping the browser test: ${CHROMIUM} is not installed`);
  test.skip('report.html renders in headless chromium (chromium is not installed)', () => {});
} else {
  test.serial(
    'report.html renders in headless chromium: verdict, timeline lanes, expectations, details on hover',
    async (t) => {
      const report = reportOf('gen-tps23881x4-phy-first-2x2.scenario.json');
      t.true(report.pass);
      const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-report-'));
      const page = join(dir, 'report.html');
      writeFileSync(page, renderReportHtml(report));
      const { tab, problems, close } = await openTab({ width: 1200, height: 900 });
      try {
        await tab.goto(`file://${page}`);
        t.is(await tab.textContent('#verdict'), report.verdict);
        t.is(await tab.locator('#expectations tbody tr').count(), report.expectations.length);
        // One lane per kind of thing, each labelled: steps, devices, deferrals, reports, both MDIO buses,
        // the four PSE ports' power, every PHY's link, and the expectations.
        const labels = await tab.locator('svg .lanelabel').allTextContents();
        t.true(labels.includes('steps'));
        t.true(labels.includes('deferred probes'));
        t.is(labels.filter((l) => l.startsWith('MDIO ')).length, 2);
        t.is(labels.filter((l) => l.startsWith('PSE ')).length, report.psePorts.length);
        t.is(labels.filter((l) => l.startsWith('link ')).length, report.links.length);
        t.true(report.psePorts.length >= 2 && report.links.length >= 4);
        // The deferral mark, hovered, says what it is; a click pins it. (Marks at the same instant overlap, so the
        // pointer events go to this mark directly.)
        const deferral = tab.locator('.mark.warn').first();
        await deferral.dispatchEvent('mouseenter');
        t.regex((await tab.textContent('#details')) ?? '', /deferred mdio/);
        await deferral.dispatchEvent('click');
        t.is(await tab.locator('.mark.pinned').count(), 1);
        // An expectation mark per decided expectation, green for held ones.
        t.is(
          await tab.locator('.mark.ok circle').count(),
          report.expectations.filter((e) => e.pass && e.at !== undefined).length,
        );
        mkdirSync(outDir, { recursive: true });
        const shot = join(outDir, 'report-html.png');
        await tab.screenshot({ path: shot, fullPage: true });
        t.log(`screenshot: ${shot}`);
        t.deepEqual(problems, []);
      } finally {
        await close();
      }
    },
  );
}

test('lane names tell apart PHYs whose paths end alike (two USB adapters, each with mdio/ethernet-phy@1)', (t) => {
  const report: RunReport = {
    ...reportOf('gen-tps23881x4-phy-first-2x2.scenario.json'),
    links: [
      { phy: '/pcie@10000000/usb@2,0/ethernet@5/mdio/ethernet-phy@1', changes: [{ t: 1, up: true }] },
      { phy: '/pcie@10000000/usb@2,0/ethernet@7/mdio/ethernet-phy@1', changes: [{ t: 1, up: true }] },
    ],
  };
  const labels = [...renderReportHtml(report).matchAll(/class="lanelabel"[^>]*>(link [^<]*)</g)].map(
    (m) => m[1],
  );
  t.deepEqual(labels, ['link ethernet@5/mdio/ethernet-phy@1', 'link ethernet@7/mdio/ethernet-phy@1']);
});
