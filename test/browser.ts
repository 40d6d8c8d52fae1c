import { chromium, type Page } from 'playwright-core';

/** Debian's chromium (scripts/setup.sh installs it); the browser tests drive it with playwright-core. */
export const CHROMIUM = '/usr/bin/chromium';

export interface BrowserTab {
  tab: Page;
  /** Console errors and warnings, page errors, and any request that leaves file: (a report must be self-contained). */
  problems: string[];
  close: () => Promise<void>;
}

/** A tab in headless chromium that records everything a self-contained report page must not do. */
export async function openTab(viewport: { width: number; height: number }): Promise<BrowserTab> {
  // The flags Debian's chromium needs in a sandboxed, offline CI container (no background networking).
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
  try {
    const tab = await browser.newPage({ viewport });
    const problems: string[] = [];
    tab.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    tab.on('pageerror', (e) => problems.push(e.message));
    tab.on('request', (r) => {
      if (!r.url().startsWith('file:')) problems.push(`network request: ${r.url()}`);
    });
    return { tab, problems, close: () => browser.close() };
  } catch (err) {
    await browser.close();
    throw err;
  }
}
