// Playwright pieces for Formwork apps: every scenario runs with JavaScript and without, and
// both runs must see the same outcome. This folder imports nothing from Playwright at run time
// (the app's own @playwright/test is handed in), so it needs no install of its own:
//
//   import { test as base, expect } from "@playwright/test";
//   import { harness } from "<path to formwork>/e2e/index";
//   export const { test, bothWays, open, expectNoReload } = harness(base, expect);
import type { Browser, BrowserContext, Page, Route, TestType, Expect } from "@playwright/test";

/**
 * Holds this page's posts to `action` (its name, `send_message`) until `release()`,
 * optionally rewriting the body, so a test can look at the page while a submission is on its
 * way. `arrived` settles once the first of them has been sent.
 */
export async function hold(
  page: Page,
  action: string,
  rewrite?: (body: string) => string,
): Promise<(() => void) & { arrived: Promise<void> }> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let sent!: () => void;
  const arrived = new Promise<void>((resolve) => (sent = resolve));
  await page.route(`**/api/${action}*`, async (route: Route) => {
    sent();
    await gate;
    const body = route.request().postData() ?? "";
    await route.continue({ postData: rewrite ? rewrite(body) : body });
  });
  return Object.assign(release, { arrived });
}

type Fixtures = {
  /** Whether this run has JavaScript (project `js`) or not (project `nojs`). */
  js: boolean;
  /** Fails the test when a page logs a console error or throws (see `guardConsole`). */
  consoleGuard: void;
};

/** What a `bothWays` scenario gets: a fresh page of its own, and whether it has JavaScript. */
export type Run = { page: Page; js: boolean; context: BrowserContext };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTest = TestType<any, any>;

/** The harness, on the app's own Playwright `test` and `expect`. */
export function harness<T extends AnyTest>(base: T, expect: Expect) {
  /**
   * Collects what `page` logs as an error, and what it throws. Chromium logs every 4xx
   * response as a console error: a 4xx is an expected answer for a page (a real 404) or an
   * action (a typed 422, 404, …), so those are let through; for any other resource (a script,
   * a style, an icon) it is a defect.
   */
  function guardConsole(page: Page, js: boolean): string[] {
    const problems: string[] = [];
    if (!js) return problems;
    const documents = new Set<string>();
    page.on("response", (response) => {
      if (response.request().isNavigationRequest()) documents.add(response.url());
    });
    const expectedClientError = (text: string, url: string) =>
      /status of 4\d\d/.test(text) && url !== "" && (documents.has(url) || new URL(url).pathname.startsWith("/api/"));
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      if (expectedClientError(message.text(), message.location().url)) return;
      problems.push(`console error: ${message.text()} (${message.location().url})`);
    });
    page.on("pageerror", (error) => problems.push(`uncaught exception: ${error.message}`));
    return problems;
  }

  /** Playwright's `test`, with `js` and the console guard on every test. */
  const test = base.extend<Fixtures>({
    js: async ({ javaScriptEnabled }: { javaScriptEnabled?: boolean }, use: (js: boolean) => Promise<void>) => {
      await use(javaScriptEnabled !== false);
    },
    consoleGuard: [
      async ({ page, js }: { page: Page; js: boolean }, use: () => Promise<void>) => {
        const problems = guardConsole(page, js);
        await use();
        expect(problems, "the page logged errors").toEqual([]);
      },
      { auto: true },
    ],
  });

  /**
   * Opens a page. With JavaScript, waits until every form formwork enhances there is live
   * (the browser runtime's, and the islands' once hydrated), so that what the test does next
   * exercises the enhanced path rather than racing it, and marks the document, so that
   * `expectNoReload` can tell whether it was replaced.
   */
  async function open(page: Page, js: boolean, path: string): Promise<void> {
    await page.goto(path);
    if (js) await settled(page);
  }

  /**
   * With JavaScript: waits until every form formwork renders on the page is live (the
   * runtime's at once, an island's once hydrated), then marks the document for
   * `expectNoReload`.
   */
  async function settled(page: Page): Promise<void> {
    await expect(page.locator("form[data-fw-form]:not([data-fw-ready])")).toHaveCount(0);
    await page.evaluate(() => ((window as unknown as { __fwDocument: number }).__fwDocument = 1));
  }

  /** With JavaScript: asserts that the document `open` opened was never reloaded. */
  async function expectNoReload(page: Page, js: boolean): Promise<void> {
    if (js) {
      const mark = await page.evaluate(() => (window as unknown as { __fwDocument?: number }).__fwDocument);
      expect(mark, "the page reloaded").toBe(1);
    }
  }

  async function runOnce<O>(browser: Browser, js: boolean, scenario: (run: Run) => Promise<O>): Promise<O> {
    const context = await browser.newContext({ javaScriptEnabled: js });
    try {
      const page = await context.newPage();
      const problems = guardConsole(page, js);
      const outcome = await base.step(js ? "with JavaScript" : "without JavaScript", () =>
        scenario({ page, js, context }),
      );
      expect(problems, `the page logged errors (${js ? "js" : "nojs"})`).toEqual([]);
      return outcome;
    } finally {
      await context.close();
    }
  }

  /**
   * Declares one test that runs `scenario` twice, each in a fresh browser context: with
   * JavaScript, then without. Each run fails on console errors; the outcome each returns
   * (anything JSON can hold: texts, counts, the URL) must be the same both ways.
   */
  function bothWays<O>(title: string, scenario: (run: Run) => Promise<O>): void {
    base(title, async ({ browser }: { browser: Browser }) => {
      const withJs = await runOnce(browser, true, scenario);
      const withoutJs = await runOnce(browser, false, scenario);
      expect(withoutJs, "the outcome without JavaScript differs from the one with it").toEqual(withJs);
    });
  }

  return { test, expect, guardConsole, open, settled, expectNoReload, bothWays };
}
