/**
 * What a person does with a demo connect link: open it in Chromium, click Connect, click Authorize at the
 * demo provider, wait for the success screen. Run as a script (`node --require tsx/cjs authorize-demo.ts
 * <link>`), it stands in for `xdg-open` when the README quickstart runs under test.
 */
import type { Browser } from 'playwright-core';
import { launchBrowser } from './browser';

const SCREEN_TIMEOUT_MS = 30_000;

/** Authorizes the session's only integration at the demo provider; resolves with the connection id shown. */
export async function authorizeDemoLink(browser: Browser, link: string): Promise<string> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(link);
    await page.locator('[data-screen="form"]').waitFor({ timeout: SCREEN_TIMEOUT_MS });
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('form button[type="submit"]')]);
    await popup.getByRole('button', { name: 'Authorize' }).click({ timeout: SCREEN_TIMEOUT_MS });
    const success = page.locator('[data-screen="success"]');
    await success.waitFor({ timeout: SCREEN_TIMEOUT_MS });
    return (await success.getAttribute('data-connection-id')) ?? '';
  } finally {
    await context.close();
  }
}

if (require.main === module) {
  const link = process.argv[2];
  if (!link) {
    process.stderr.write('usage: authorize-demo.ts <connect link>\n');
    process.exit(2);
  }
  void (async () => {
    const browser = await launchBrowser();
    try {
      process.stderr.write(`[authorize-demo] connected ${await authorizeDemoLink(browser, link)}\n`);
    } finally {
      await browser.close();
    }
  })().catch((error: unknown) => {
    process.stderr.write(`[authorize-demo] ${String(error)}\n`);
    process.exit(1);
  });
}
