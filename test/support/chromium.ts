// Headless Chromium for the console's browser test, through Playwright (playwright-core, which
// downloads no browser): Debian's `chromium` is used, since no browser build can be downloaded
// here, and installed with apt-get when missing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Browser as PlaywrightBrowser, chromium, Page as PlaywrightPage } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Installs Debian's chromium when it is missing; fails with what to do when that is impossible. */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const install = spawnSync('sh', ['-c', 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  if (install.status !== 0 || !existsSync(CHROMIUM)) {
    throw new Error(`the console test needs Debian's chromium at ${CHROMIUM}; "apt-get install -y chromium" failed (run it as root): ${install.stderr?.toString().slice(-500)}`);
  }
  return CHROMIUM;
}

export class Browser {
  private constructor(private readonly browser: PlaywrightBrowser) {}

  static async launch(): Promise<Browser> {
    return new Browser(await chromium.launch({ executablePath: ensureChromium(), headless: true, args: CHROMIUM_ARGS }));
  }

  async newPage(width = 1280, height = 900): Promise<Page> {
    // bypassCSP: the page forbids eval, which Playwright's string expressions need. The policy
    // itself is asserted by apps/key-registry/src/console/console.assets.http.spec.ts.
    const context = await this.browser.newContext({ viewport: { width, height }, bypassCSP: true });
    return new Page(await context.newPage());
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}

/** The page operations the console test uses, each as a user would do it, in Playwright's terms. */
export class Page {
  /** Every answer of 400 or more and every request that failed, as `<status> <url>`, since the page opened. */
  readonly failedRequests: string[] = [];

  constructor(private readonly page: PlaywrightPage) {
    page.on('response', (response) => {
      if (response.status() >= 400) this.failedRequests.push(`${response.status()} ${response.url()}`);
    });
    page.on('requestfailed', (request) => this.failedRequests.push(`failed ${request.url()}`));
  }

  /** Runs an expression in the page and returns its JSON value (awaiting a promise). */
  evaluate<T>(expression: string): Promise<T> {
    return this.page.evaluate(expression) as Promise<T>;
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url, { waitUntil: 'load' });
  }

  /** Waits until the expression is truthy in the page, and returns its value. */
  async waitFor<T = unknown>(expression: string, description: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
    try {
      const handle = await this.page.waitForFunction(expression, undefined, { timeout: timeoutMs });
      return (await handle.jsonValue()) as NonNullable<T>;
    } catch (error) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}: ${(error as Error).message.split('\n')[0]}`);
    }
  }

  async waitForSelector(selector: string, timeoutMs = 10_000): Promise<void> {
    await this.page.waitForSelector(selector, { state: 'visible', timeout: timeoutMs });
  }

  async text(selector: string): Promise<string> {
    return ((await this.page.$(selector)) ? ((await this.page.textContent(selector)) ?? '') : '').trim();
  }

  click(selector: string): Promise<void> {
    return this.page.click(selector);
  }

  focus(selector: string): Promise<void> {
    return this.page.focus(selector);
  }

  press(key: 'Enter' | 'Tab' | ' ' | 'Escape'): Promise<void> {
    return this.page.keyboard.press(key === ' ' ? 'Space' : key);
  }

  /** Replaces a field's value by typing, as a user would. */
  async fill(selector: string, value: string): Promise<void> {
    await this.page.fill(selector, '');
    await this.page.type(selector, value);
  }

  /** The viewport, or with `fullPage` the whole scrollable page. */
  async screenshot(file: string, fullPage = false): Promise<void> {
    mkdirSync(dirname(file), { recursive: true });
    await this.page.screenshot({ path: file, fullPage });
  }
}
