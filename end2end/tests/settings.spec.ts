import { test, expect, open, signIn, signUp } from "./fixtures";

// The theme is a cookie an action sets; every page is rendered with it, so the first paint
// is already right, with or without JavaScript.

test.describe("settings", () => {
  test("the chosen theme is saved, stays after a reload, and is in the page's first bytes", async ({ page, js, baseURL }) => {
    await open(page, js, "/settings");
    await expect(page.locator("html")).toHaveAttribute("data-theme", "system");
    await expect(page.getByLabel("Same as my system")).toBeChecked();

    await page.getByLabel("Dark", { exact: true }).check();
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("status")).toHaveText("Saved: Dark.");
    await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");

    await page.reload();
    await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
    await expect(page.getByLabel("Dark", { exact: true })).toBeChecked();
    await expect(page.getByRole("status")).toHaveCount(0);

    // Server-rendered: the HTML itself carries the theme, before any script or style runs.
    const html = await (await page.request.get(`${baseURL}/posts`)).text();
    expect(html).toContain('<html lang="en" data-theme="dark"');

    await open(page, js, "/settings");
    await page.getByLabel("Light", { exact: true }).check();
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("status")).toHaveText("Saved: Light.");
    await page.goto("/posts");
    await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
    expect((await page.context().cookies()).map((c) => c.name)).toContain("fw_theme");

    // The system's theme is the default: choosing it deletes the cookie.
    await open(page, js, "/settings");
    await page.getByLabel("Same as my system").check();
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("status")).toHaveText("Saved: Same as my system.");
    await expect(page.locator("html")).toHaveAttribute("data-theme", "system");
    expect((await page.context().cookies()).map((c) => c.name)).not.toContain("fw_theme");
  });

  test("the session list names each browser, and signing out everywhere else ends the others", async ({ page, js, browser }) => {
    const user = await signUp(page);
    // The same person on a phone: another browser, with its own User-Agent.
    const phone = await browser.newContext({
      javaScriptEnabled: js,
      // A client of its own for the rate limits (sign-ins are counted per address).
      extraHTTPHeaders: { "X-Forwarded-For": `10.254.${js ? 1 : 2}.${Date.now() % 250}` },
      userAgent:
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    });
    const phonePage = await phone.newPage();
    await signIn(phonePage, user);

    await open(page, js, "/settings");
    const sessions = page.getByRole("region", { name: "Where you are signed in" });
    const rows = sessions.locator("tbody tr");
    await expect(rows).toHaveCount(2);
    // This browser first (Playwright's Chromium on Linux), then the phone.
    await expect(rows.nth(0)).toContainText("Chrome on Linux");
    await expect(rows.nth(0)).toContainText("(this session)");
    await expect(rows.nth(1)).toContainText("Safari on iOS");
    await expect(rows.nth(1)).not.toContainText("(this session)");

    await sessions.getByRole("button", { name: "Sign out everywhere else" }).click();
    await expect(sessions.getByRole("status")).toHaveText("Signed out of 1 other session.");
    await expect(rows).toHaveCount(1);
    await expect(sessions.getByRole("button", { name: "Sign out everywhere else" })).toHaveCount(0);

    // The phone finds itself signed out; this browser is still signed in.
    await phonePage.goto("/settings");
    await expect(phonePage.locator(".account").getByRole("link", { name: "Sign in" })).toBeVisible();
    await expect(phonePage.getByRole("region", { name: "Where you are signed in" })).toHaveCount(0);
    await page.goto("/posts");
    await expect(page.locator(".account")).toContainText(`Signed in as ${user.username}`);
    await phone.close();
  });
});
