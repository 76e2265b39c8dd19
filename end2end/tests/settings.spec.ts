import { test, expect, open, signIn, signUp, expectNoReload, hold } from "./fixtures";

// The theme is a cookie an action sets; every page is rendered with it, so the first paint
// is already right, with or without JavaScript.

test.describe("settings", () => {
  // Without JavaScript the theme is a form with a Save button. With it, picking a theme is
  // the control: the change sends the form (`submit_on_change`, the browser runtime), and the
  // Save button is hidden. Either way the same theme is saved and shown.
  test("the chosen theme is saved, stays after a reload, and is in the page's first bytes", async ({ page, js, baseURL }) => {
    const choose = async (label: string) => {
      await page.getByLabel(label, { exact: true }).check();
      if (!js) await page.getByRole("button", { name: "Save" }).click();
    };
    await open(page, js, "/settings");
    await expect(page.locator("html")).toHaveAttribute("data-theme", "system");
    await expect(page.getByLabel("Same as my system")).toBeChecked();
    await expect(page.getByRole("button", { name: "Save" })).toBeVisible({ visible: !js });

    await choose("Dark");
    await expect(page.getByRole("status")).toHaveText("Saved: Dark.");
    await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
    await expectNoReload(page, js);

    await page.reload();
    await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
    await expect(page.getByLabel("Dark", { exact: true })).toBeChecked();
    await expect(page.getByRole("status")).toHaveCount(0);

    // Server-rendered: the HTML itself carries the theme, before any script or style runs.
    const html = await (await page.request.get(`${baseURL}/posts`)).text();
    expect(html).toContain('<html lang="en" data-theme="dark"');

    await open(page, js, "/settings");
    await choose("Light");
    await expect(page.getByRole("status")).toHaveText("Saved: Light.");
    await page.goto("/posts");
    await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
    expect((await page.context().cookies()).map((c) => c.name)).toContain("fw_theme");

    // The system's theme is the default: choosing it deletes the cookie.
    await open(page, js, "/settings");
    await choose("Same as my system");
    await expect(page.getByRole("status")).toHaveText("Saved: Same as my system.");
    await expect(page.locator("html")).toHaveAttribute("data-theme", "system");
    expect((await page.context().cookies()).map((c) => c.name)).not.toContain("fw_theme");
  });

  // The server's own refusal: what reaches it names a theme it does not know, a 422 at the
  // theme field. With JavaScript the pick shows at once and says it is saving, then goes
  // back; without, the form comes back with the error. Both end on the theme the page had,
  // with the reason.
  test("a refused theme leaves the page as it was and says why", async ({ page, js }) => {
    await open(page, js, "/settings");
    await expect(page.locator("html")).toHaveAttribute("data-theme", "system");
    const release = await hold(page, "set_theme", (body) => body.replace(/theme=\w+/, "theme=purple"));
    await page.getByLabel("Dark", { exact: true }).check();
    const saved = js ? Promise.resolve() : page.getByRole("button", { name: "Save" }).click();
    await release.arrived;
    if (js) {
      await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
      await expect(page.getByRole("status")).toHaveText("Saving…");
      await expect(page.locator("form.settings")).toHaveAttribute("aria-busy", "true");
    }
    release();
    await saved;
    await expect(page.getByRole("alert")).toContainText("Choose one of the options for Theme.");
    await expect(page.locator("html")).toHaveAttribute("data-theme", "system");
    await expect(page.getByLabel("Same as my system")).toBeChecked();
    await expect(page.getByRole("status")).toHaveCount(0);
    await expectNoReload(page, js);
  });

  // A second pick while the first is on its way is not lost: with JavaScript it is sent once
  // the first is answered; without, the Save button sends the last pick. Both end on it.
  test("a theme picked again while the first pick is being saved is the one kept", async ({ page, js }) => {
    await open(page, js, "/settings");
    const release = await hold(page, "set_theme");
    await page.getByLabel("Dark", { exact: true }).check();
    if (js) await release.arrived;
    await page.getByLabel("Light", { exact: true }).check();
    release();
    if (!js) await page.getByRole("button", { name: "Save" }).click();
    // With JavaScript the first answer says "Saved: Dark." while the second is on its way.
    await expect(page.getByRole("status").filter({ hasText: "Saved:" })).toHaveText("Saved: Light.");
    await expect(page.getByRole("status")).toHaveCount(1);
    await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
    await expect(page.getByLabel("Light", { exact: true })).toBeChecked();
    await expectNoReload(page, js);
    await page.reload();
    await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
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
