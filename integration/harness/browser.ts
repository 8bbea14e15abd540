/**
 * Headless Chromium for the console tests: Debian's `chromium` package driven by playwright-core
 * (no browser download; `.ci/run` installs the package). When no Chromium can be started the
 * console tests skip, and say why in one loud line.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT } from './paths.js';
import type { TestScope } from './scope.js';

/** Screenshots of the console tests (gitignored); CI keeps them as artefacts. */
export const CONSOLE_ARTIFACTS_DIR = join(REPO_ROOT, 'artifacts', 'console');

const CANDIDATES = [
  process.env['CHROMIUM_PATH'],
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
].filter((p): p is string => p !== undefined && p !== '');

/** Desktop and phone viewports the pages are photographed at. */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 390, height: 844 },
} as const;

async function launch(executablePath: string): Promise<Browser> {
  // Root in CI containers: Chromium's sandbox needs user namespaces it may not get there.
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
    timeout: 30_000,
  });
}

/**
 * Finds and starts Chromium once, to decide whether the suite can run: the executable path, or
 * why not (so the skip message says what to install).
 */
export async function probeChromium(): Promise<{ path: string } | { reason: string }> {
  const path = CANDIDATES.find((p) => existsSync(p));
  if (path === undefined) {
    return {
      reason: `no Chromium found (looked at ${CANDIDATES.join(', ')}): apt-get install chromium, or set CHROMIUM_PATH`,
    };
  }
  try {
    const browser = await launch(path);
    await browser.close();
    return { path };
  } catch (err) {
    return {
      reason: `${path} does not start: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    };
  }
}

/** A browser closed at test cleanup. */
export async function startBrowser(scope: TestScope, executablePath: string): Promise<Browser> {
  const browser = await launch(executablePath);
  scope.defer('close browser', () => browser.close());
  return browser;
}

/** A full-page PNG under artifacts/console/; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(CONSOLE_ARTIFACTS_DIR, { recursive: true });
  const path = join(CONSOLE_ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
