import { test as playwright, expect, type Browser, type Page } from "@playwright/test";
import { harness } from "../../formwork/e2e/index";
export { hold } from "../../formwork/e2e/index";

// formwork's parity harness: `js`, the console guard on every test, `open`, `expectNoReload`.
const formwork = harness(playwright, expect);
export const { open, settled, expectNoReload, bothWays } = formwork;

export const test = formwork.test.extend({
  // Every test is its own client: the server (run with TRUSTED_PROXIES=127.0.0.1) counts rate
  // limits by the address in X-Forwarded-For, so tests never spend each other's allowance.
  extraHTTPHeaders: async ({}, use, testInfo) => {
    await use({ "X-Forwarded-For": clientAddress(`${testInfo.testId}/${testInfo.project.name}/${testInfo.retry}`) });
  },
});

export { expect };

/** An address in 10.0.0.0/8 for one test run (FNV-1a of its identity). */
function clientAddress(identity: string): string {
  let hash = 0x811c9dc5;
  for (const char of identity) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `10.${(hash >>> 16) & 255}.${(hash >>> 8) & 255}.${hash & 255}`;
}

let counter = 0;
/** A title no other test run uses. */
export function uniqueTitle(label: string): string {
  counter += 1;
  return `${label} ${Date.now().toString(36)}-${counter}`;
}

/** Counts the POSTs this page sends to actions (`/api/…`), with or without JavaScript. */
export function countActionPosts(page: Page): () => number {
  let count = 0;
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname.startsWith("/api/")) count += 1;
  });
  return () => count;
}

/** An account for one test. */
export type User = { username: string; email: string; password: string };

/** A username and email no other test run uses. */
export function newUser(label = "u"): User {
  const username = uniqueTitle(label).replace(/[^A-Za-z0-9]/g, "").slice(0, 30);
  return { username, email: `${username.toLowerCase()}@example.org`, password: "correct horse battery staple" };
}

/** The admin created with `server create-admin` before the tests (by serve.mjs, or by whoever runs the server named in BASE_URL). */
export function admin(): User {
  const username = process.env.E2E_ADMIN_USERNAME;
  const password = process.env.E2E_ADMIN_PASSWORD;
  if (!username || !password) throw new Error("E2E_ADMIN_USERNAME and E2E_ADMIN_PASSWORD must be set");
  return { username, email: "", password };
}

/** Registers `user` through the register form; the page is then signed in as them. */
export async function signUp(page: Page, user: User = newUser()): Promise<User> {
  await page.goto("/register");
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator(".account")).toContainText(`Signed in as ${user.username}`);
  return user;
}

/** Signs in through the sign-in form. */
export async function signIn(page: Page, user: User): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".account")).toContainText(`Signed in as ${user.username}`);
}

/** Signs out with the header's button. */
export async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.locator(".account").getByRole("link", { name: "Sign in" })).toBeVisible();
}

/** Another person's browser, with JavaScript, keeping `path` open and live. */
export type Watcher = { page: Page; close: () => Promise<void>; requests: (path: string) => number };

/**
 * Opens `path` in a browser of its own (always with JavaScript: live updates are what it
 * watches for) and waits until the page's live stream is connected. `requests(p)` counts the
 * requests it made for `p` from then on; the page must never reload.
 */
export async function watch(browser: Browser, path: string): Promise<Watcher> {
  const context = await browser.newContext({
    javaScriptEnabled: true,
    extraHTTPHeaders: { "X-Forwarded-For": clientAddress(`watcher/${path}/${Date.now()}/${Math.random()}`) },
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  await open(page, true, path);
  await expect(page.locator("html")).toHaveAttribute("data-fw-live", "open");
  const seen: string[] = [];
  page.on("request", (request) => seen.push(new URL(request.url()).pathname));
  return {
    page,
    requests: (p: string) => seen.filter((s) => s === p).length,
    close: async () => {
      await expectNoReload(page, true);
      expect(problems, "the watching page threw").toEqual([]);
      await context.close();
    },
  };
}
