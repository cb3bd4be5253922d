// Headless Chromium for the web-page tests (the annotation page, report.html): Debian's chromium
// (`bash scripts/setup.sh --test` installs it) driven through playwright-core. Runs as root in CI,
// hence --no-sandbox. A test that needs a browser calls withBrowser; without the binary it throws
// a message saying how to install it (never a silent skip).
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env['POSTTRAIN_CHROMIUM'] ?? '/usr/bin/chromium';

export async function withBrowser<T>(f: (page: Page, browser: Browser) => Promise<T>): Promise<T> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: run 'bash scripts/setup.sh --test' (Debian's chromium) or set POSTTRAIN_CHROMIUM`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    return await f(page, browser);
  } finally {
    await browser.close();
  }
}
