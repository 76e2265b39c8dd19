// The Playwright configuration of a Formwork app's browser tests. Type imports only: the app's
// own @playwright/test is the one that runs.
import type { PlaywrightTestConfig } from "@playwright/test";

/** Chromium from the system (CHROMIUM_PATH, else /usr/bin/chromium), headless. */
export const launchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
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
 * server (default http://127.0.0.1:3000). Specs written only with `bothWays` (which runs each
 * scenario both ways itself) pass `projects: [{ name: "both ways" }]`.
 */
export function formworkConfig(overrides: PlaywrightTestConfig = {}): PlaywrightTestConfig {
  return {
    testDir: "./tests",
    fullyParallel: false,
    workers: 1,
    retries: 0,
    forbidOnly: true,
    reporter: [["list"]],
    projects,
    ...overrides,
    use: { baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3000", launchOptions, ...overrides.use },
  };
}
