// A real headless browser for the page's tests: Debian's Chromium driven by playwright-core (which
// never downloads a browser of its own). Playwright gives every launch a fresh profile directory.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Without the networking switches, Chromium keeps calling home (updates, sync, field trials): on a
// closed network that is a flood of failing requests.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** Where the tests leave their screenshots: in the build output, never in the sources. */
export const SCREENSHOT_DIR = join(__dirname, '../../../dist/screenshots');

/** The whole page, or what the window shows (`fullPage: false`: the sticky header where it is seen). */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/**
 * What went wrong inside a page that no assertion looks at: script errors, failed console calls, and
 * any Content-Security-Policy refusal (an inline script or style would be one).
 */
export function watchPageProblems(page: Page): () => string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    const text = message.text();
    // A failed request shows as a console error too; the tests provoke 4xx and 503 on purpose.
    if (message.type() === 'error' && !text.startsWith('Failed to load resource')) problems.push(`console: ${text}`);
  });
  return () => problems;
}

/** The session token of a browser context: the HttpOnly `sid` cookie, which the page itself never sees. */
export async function sessionTokenOf(context: BrowserContext): Promise<string> {
  const sid = (await context.cookies()).find((cookie) => cookie.name === 'sid');
  if (sid === undefined) throw new Error('the browser has no sid cookie');
  return sid.value;
}

/** Waits until the locator's text matches (the page updates after its requests answer). */
export function expectText(locator: Locator, expected: string | RegExp, timeoutMs = 10_000): Promise<void> {
  return waitUntilShows(locator, 'text', expected, timeoutMs, async () =>
    (await locator.count()) === 1 ? await locator.innerText() : `(${await locator.count()} elements)`,
  );
}

/** Waits until a field's value matches: after a refused change the page puts the old value back. */
export function expectValue(locator: Locator, expected: string, timeoutMs = 10_000): Promise<void> {
  return waitUntilShows(locator, 'value', expected, timeoutMs, () => locator.inputValue());
}

async function waitUntilShows(
  locator: Locator,
  what: string,
  expected: string | RegExp,
  timeoutMs: number,
  read: () => Promise<string>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const actual = await read();
    if (typeof expected === 'string' ? actual.trim() === expected : expected.test(actual)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `expected ${what} ${String(expected)} within ${timeoutMs} ms, ${String(locator)} shows: ${JSON.stringify(actual)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
