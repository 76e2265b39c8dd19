import { defineConfig } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { formworkConfig } from "../formwork/e2e/config";

// formwork's configuration: the system's Chromium, one worker, every spec in the js and nojs
// projects.
//
// Against BASE_URL when it is set (scripts/test.sh runs its own server). Otherwise, as under
// `cargo leptos end-to-end` or a bare `npx playwright test` after a build, the specs start the
// server they need themselves (`serve.mjs`): the binary the last build made, on a database of
// its own, with an admin to sign in as and TRUSTED_PROXIES=127.0.0.1 so that each test is a
// client of its own to the rate limits (see tests/fixtures.ts).
const port = process.env.E2E_PORT ?? "3010";
const own = !process.env.BASE_URL;
if (own) {
  // Set once in the main process, inherited by the workers (which load this file again).
  process.env.E2E_ADMIN_USERNAME ??= "e2e-admin";
  process.env.E2E_ADMIN_PASSWORD ??= randomBytes(18).toString("base64url");
}

export default defineConfig(
  formworkConfig(
    own
      ? {
          use: { baseURL: `http://127.0.0.1:${port}` },
          webServer: {
            command: "node serve.mjs",
            url: `http://127.0.0.1:${port}/healthz`,
            reuseExistingServer: false,
            timeout: 120_000,
            stdout: "pipe",
            stderr: "pipe",
            env: { E2E_PORT: port },
            gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
          },
        }
      : {},
  ),
);
