import { test, expect, uniqueTitle, open, signUp } from "./fixtures";

// The display name: chosen at /settings/profile, shown next to the user's posts and comments
// at once. The form is server-rendered, so it behaves the same with and without JavaScript.

test.describe("profile", () => {
  test("a display name is refused when too long, then shown next to posts and comments", async ({ page, js }) => {
    const user = await signUp(page);
    await open(page, js, "/posts");
    const title = uniqueTitle("Byline");
    await page.getByLabel("Title", { exact: true }).fill(title);
    await page.getByLabel("Content", { exact: true }).fill("Who wrote this?");
    await page.getByRole("button", { name: "Publish and open" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
    const postUrl = page.url();
    await page.getByLabel("Comment", { exact: true }).fill("And a comment.");
    await page.getByRole("button", { name: "Comment", exact: true }).click();
    await expect(page.locator(".comment-meta").first()).toContainText(user.username);

    await open(page, js, "/settings/profile");
    await expect(page.getByText(`You sign in as ${user.username}`)).toBeVisible();
    const name = page.getByLabel("Display name");
    // The browser's own maxlength stops typing at 50; a longer name can only be sent by
    // other means, and the server refuses it with the limit, keeping what was sent.
    await expect(name).toHaveAttribute("maxlength", "50");
    await name.evaluate((input: HTMLInputElement) => input.removeAttribute("maxlength"));
    const tooLong = "N".repeat(51);
    await name.fill(tooLong);
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.locator("#display_name-error")).toHaveText(
      "Display name can be at most 50 characters (it has 51).",
    );
    await expect(page.getByLabel("Display name")).toHaveValue(tooLong);

    const chosen = `Ada ${uniqueTitle("L").slice(-6)}`;
    await page.getByLabel("Display name").fill(chosen);
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("status")).toHaveText(`Saved. You are shown as ${chosen}.`);
    await expect(page.getByLabel("Display name")).toHaveValue(chosen);

    // Fresh everywhere the name shows: the list, the post's byline, its comment.
    await open(page, js, "/posts");
    const item = page.locator(".post-list > li", { hasText: title });
    await expect(item.locator(".author")).toHaveText(chosen);
    await expect(item.locator(".handle")).toHaveText(`@${user.username}`);
    await page.goto(postUrl);
    await expect(page.locator(".byline .author").first()).toHaveText(chosen);
    await expect(page.locator(".comment-meta .author").first()).toHaveText(chosen);
  });

  test("signed out, the profile asks to sign in", async ({ page, js }) => {
    await open(page, js, "/settings/profile");
    await expect(page.getByText("Please sign in to change your profile.")).toBeVisible();
    await expect(page.getByLabel("Display name")).toHaveCount(0);
  });
});
