/**
 * Debian's Chromium driven by playwright-core for the end-to-end tests. Screenshots of every screen go
 * to test-artifacts/e2e/<test>/<nn>-<screen>.png (kept out of git).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const EXECUTABLE = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
export const ARTIFACTS_DIR = path.join(__dirname, '..', '..', 'test-artifacts', 'e2e');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: EXECUTABLE, args: FLAGS, headless: true });
}

/** Saves numbered screenshots of one test's screens. */
export function screenshotter(testName: string): (page: Page, screen: string) => Promise<string> {
  const dir = path.join(ARTIFACTS_DIR, testName.replace(/[^a-z0-9-]+/gi, '-').toLowerCase());
  mkdirSync(dir, { recursive: true });
  let count = 0;
  return async (page, screen) => {
    count += 1;
    const file = path.join(dir, `${String(count).padStart(2, '0')}-${screen}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
}
