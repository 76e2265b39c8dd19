// The Playwright configuration of a Formwork app's browser tests. Type imports only from
// Playwright: the app's own @playwright/test is the one that runs.
import type { PlaywrightTestConfig } from "@playwright/test";
import { existsSync } from "node:fs";
import { join } from "node:path";

/**
 * The Chromium to run: CHROMIUM_PATH, else the system's (/usr/bin/chromium, Debian's), else
 * the one `npx playwright install chromium` downloads (Playwright finds it itself).
 */
function chromium(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined;
}

/** Headless Chromium (see `chromium`). */
export const launchOptions = {
  executablePath: chromium(),
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

/** Every spec in both: with JavaScript (`js`) and without (`nojs`). */
export const projects = [
  { name: "js", use: { javaScriptEnabled: true } },
  { name: "nojs", use: { javaScriptEnabled: false } },
];

/**
 * One server, one database: specs run one after another so their data is predictable, never
 * retried, `.only` refused; each spec in the `js` and `nojs` projects. `BASE_URL` names the
 * server (default http://127.0.0.1:3000, cargo-leptos's `site-addr`). Specs written only with
 * `bothWays` (which runs each scenario both ways itself) pass
 * `projects: [{ name: "both ways" }]`.
 *
 * Before the first spec, the server is waited for (`ready.ts`): `cargo leptos end-to-end`
 * starts the server and the specs at the same moment.
 */
export function formworkConfig(overrides: PlaywrightTestConfig = {}): PlaywrightTestConfig {
  const baseURL = (overrides.use?.baseURL as string | undefined) ?? process.env.BASE_URL ?? "http://127.0.0.1:3000";
  process.env.FORMWORK_E2E_BASE_URL = baseURL;
  return {
    testDir: "./tests",
    fullyParallel: false,
    workers: 1,
    retries: 0,
    forbidOnly: true,
    reporter: [["list"]],
    projects,
    // A server the config starts itself (`webServer`) is waited for by Playwright already.
    globalSetup: overrides.webServer ? undefined : join(__dirname, "ready.ts"),
    ...overrides,
    // A failed test leaves its trace (each step, the network, the console) in test-results/,
    // for `npx playwright show-trace`: a failure that happens once in many runs can be read
    // afterwards. A test that passes leaves nothing. Without DOM snapshots and screenshots,
    // which made the run a fifth slower; recording the rest costs next to nothing.
    use: {
      baseURL,
      launchOptions,
      trace: { mode: "retain-on-failure", snapshots: false, screenshots: false, sources: false },
      ...overrides.use,
    },
  };
}
