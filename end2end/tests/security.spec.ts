import { test, expect, uniqueTitle, signUp } from "./fixtures";

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
  test("pages run under a strict content security policy, and islands still come alive", async ({ page, js }) => {
    await signUp(page); // the "New post" island is there for signed-in users
    const response = await page.goto("/posts");
    const headers = response!.headers();
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["x-frame-options"]).toBe("DENY");
    const csp = headers["content-security-policy"];
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}' 'wasm-unsafe-eval'/);
    expect(csp).toContain("frame-ancestors 'none'");
    if (js) {
      // The island hydrated under the policy (a violation would also fail the console guard).
      await expect(page.locator("[data-fw-ready]")).toBeAttached();
    }
    await expect(page.getByRole("button", { name: "Publish", exact: true })).toBeEnabled();
  });
});
