import { test, expect, uniqueTitle, signUp, open } from "./fixtures";

test.describe("origin checks", () => {
  test("a form on another site cannot make the browser publish", async ({ page, baseURL }) => {
    // A signed-in user (the browser holds a session cookie) meets the attacker's page.
    await signUp(page);
    // The action's address, from the real form.
    await page.goto("/posts");
    const action = await page.locator("form:has(#new-post-title)").getAttribute("action");
    const title = uniqueTitle("Planted");

    // A page on another origin with a form that posts to this site, as an attacker would host it.
    await page.route("http://attacker.test/", (route) =>
      route.fulfill({
        contentType: "text/html",
        body: `<!doctype html><form method="post" action="${baseURL}${action}">
                 <input name="title" value="${title}"><input name="content" value="planted">
                 <button>Win a prize</button></form>`,
      }),
    );
    await page.goto("http://attacker.test/");
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().startsWith(`${baseURL}/api/`)),
      page.getByRole("button", { name: "Win a prize" }).click(),
    ]);
    expect(response.status()).toBe(403);

    await page.goto("/posts");
    await expect(page.locator(".post-list").getByRole("link", { name: title })).toHaveCount(0);
  });
});

test.describe("headers", () => {
  test("pages run under a strict content security policy, and the runtime still comes alive", async ({ page, js }) => {
    await signUp(page);
    for (const path of ["/posts", "/todos"]) {
      const response = await page.goto(path);
      const headers = response!.headers();
      expect(headers["x-content-type-options"]).toBe("nosniff");
      expect(headers["x-frame-options"]).toBe("DENY");
      const csp = headers["content-security-policy"];
      expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}' 'wasm-unsafe-eval'/);
      expect(csp).toContain("frame-ancestors 'none'");
      if (js) {
        // The runtime drives the forms under the policy (a violation would also fail the
        // console guard).
        await expect(page.locator("form[data-fw-form]:not([data-fw-ready])")).toHaveCount(0);
        await expect(page.locator("[data-fw-ready]").first()).toBeAttached();
      }
    }
    await expect(page.getByRole("button", { name: "Add", exact: true })).toBeEnabled();
  });

  test("a page without islands fetches no WASM: formwork's runtime is all its code", async ({ page, js }) => {
    await signUp(page);
    // /todos too: its optimistic list is the runtime's previews, not an island.
    for (const path of ["/posts", "/todos"]) {
      const fetched: string[] = [];
      const seen = (response: { url(): string }) => fetched.push(new URL(response.url()).pathname);
      page.on("response", seen);
      await open(page, js, path);
      await expect(page.locator("leptos-island")).toHaveCount(0);
      await page.waitForLoadState("networkidle");
      page.off("response", seen);
      expect(fetched.filter((p) => p.endsWith(".wasm"))).toEqual([]);
      const scripts = fetched.filter((p) => p.endsWith(".js"));
      expect(scripts.length).toBe(js ? 1 : 0);
      if (js) expect(scripts[0]).toMatch(/^\/_formwork\/runtime-[0-9a-f]{16}\.js$/);
    }
  });
});

test.describe("stored markup", () => {
  // What the site's users write is text wherever it lands: Chromium itself parses the pages.
  const breakout = (id: string) =>
    `</title><meta http-equiv="refresh" content="0;url=/contact"><title>` +
    `</textarea><b data-fw-injected="${id}">textarea</b><textarea>"'><i data-fw-injected="${id}">`;

  test("a post whose title and text are markup shows them as text, in the tab title and in the edit form", async ({ page, js }) => {
    await signUp(page);
    const title = `${uniqueTitle("T")} ${breakout("title")}`;
    const content = `Body ${breakout("content")}`;
    await open(page, js, "/posts");
    await page.getByLabel("Title", { exact: true }).fill(title);
    await page.getByLabel("Content", { exact: true }).fill(content);
    await page.getByRole("button", { name: "Publish and open" }).click();
    await expect(page).toHaveURL(/\/posts\/[a-z0-9-]+$/);

    // The tab's title and the heading are the words as typed, and no element of the
    // payload's exists: no <meta> refresh (to /contact) in the head, no injected tags.
    const here = page.url();
    await expect(page).toHaveTitle(`${title} · Formwork`);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
    await expect(page.locator("article .content")).toHaveText(content);
    await expect(page.locator("[data-fw-injected]")).toHaveCount(0);
    await expect(page.locator("head meta[http-equiv]")).toHaveCount(0);

    // The edit form holds the same text in its fields, whole.
    await open(page, js, `${new URL(here).pathname}/edit`);
    await expect(page.getByLabel("Title", { exact: true })).toHaveValue(title);
    await expect(page.getByLabel("Content", { exact: true })).toHaveValue(content);
    await expect(page.locator("[data-fw-injected]")).toHaveCount(0);
    await expect(page.locator("head meta[http-equiv]")).toHaveCount(0);
    expect(await page.title()).toBe(`Edit “${title}” · Formwork`);
  });

  test("a refused post keeps its markup as text in its fields", async ({ page, js }) => {
    await signUp(page);
    const content = `Kept ${breakout("kept")}`;
    await open(page, js, "/posts");
    await page.getByLabel("Title", { exact: true }).fill(" ");
    await page.getByLabel("Content", { exact: true }).fill(content);
    await page.getByRole("button", { name: "Publish", exact: true }).click();
    await expect(page.locator("#title-error")).toHaveText("Title cannot be empty.");
    await expect(page.getByLabel("Content", { exact: true })).toHaveValue(content);
    await expect(page.locator("[data-fw-injected]")).toHaveCount(0);
    await expect(page.locator("head meta[http-equiv]")).toHaveCount(0);
  });
});
