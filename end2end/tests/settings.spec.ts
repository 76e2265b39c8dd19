import { test, expect, open } from "./fixtures";

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
  });
});
