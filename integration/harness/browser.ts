/**
 * Headless Chromium for the console tests: Debian's `chromium` package driven by playwright-core
 * (no browser download; `.ci/run` installs the package). When no Chromium can be started the
 * console tests skip, and say why in one loud line. Each test file launches one Chromium and gives
 * each test its own context.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
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
 * One Chromium for a whole test file, each test in its own context (cookies, storage, cache and
 * routes its own, as a fresh browser had them): a launch per test cost seconds each.
 */
export class SharedChromium {
  /** Set when Chromium went away (crashed, or was killed) with this file's tests still to run. */
  #gone: string | undefined;
  #closing = false;

  constructor(
    readonly browser: Browser,
    readonly path: string,
  ) {
    browser.on('disconnected', () => {
      if (this.#closing) return;
      const test = expect.getState().currentTestName;
      this.#gone = `${new Date().toISOString()}${test === undefined ? '' : ` during "${test}"`}`;
    });
  }

  /**
   * A page in a fresh context, the context closed at test cleanup. Once the shared Chromium is
   * gone, every later test of the file fails here, saying so.
   */
  async newPage(scope: TestScope, viewport: keyof typeof VIEWPORTS = 'desktop'): Promise<Page> {
    if (!this.browser.isConnected()) {
      throw new Error(
        `the Chromium shared by this file's tests (${this.path}) is gone: it disconnected at ` +
          `${this.#gone ?? 'an unknown moment'}, so this test cannot open a page; look at ` +
          'the first test that failed (a Chromium crash fails every test after it)',
      );
    }
    const context = await this.browser.newContext({ viewport: VIEWPORTS[viewport] });
    scope.defer('close browser context', async () => {
      // A crashed browser took its contexts with it.
      if (this.browser.isConnected()) await context.close();
    });
    return context.newPage();
  }

  /** For afterAll. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.browser.close();
  }
}

/**
 * Finds and starts Chromium, once per test file: the browser its tests share, or why there is
 * none (so the skip message says what to install).
 */
export async function launchSharedChromium(): Promise<
  { chromium: SharedChromium } | { reason: string }
> {
  const path = CANDIDATES.find((p) => existsSync(p));
  if (path === undefined) {
    return {
      reason: `no Chromium found (looked at ${CANDIDATES.join(', ')}): apt-get install chromium, or set CHROMIUM_PATH`,
    };
  }
  try {
    return { chromium: new SharedChromium(await launch(path), path) };
  } catch (err) {
    return {
      reason: `${path} does not start: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    };
  }
}

/** A full-page PNG under artifacts/console/; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(CONSOLE_ARTIFACTS_DIR, { recursive: true });
  const path = join(CONSOLE_ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
