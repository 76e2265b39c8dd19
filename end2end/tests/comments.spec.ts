import {
  test,
  expect,
  uniqueTitle,
  open,
  settled,
  expectNoReload,
  newUser,
  signUp,
  signIn,
  signOut,
  admin,
  type User,
} from "./fixtures";
import type { Page } from "@playwright/test";

// Comments are server-rendered forms: with JavaScript formwork's runtime sends them without a
// reload, and they end exactly as without it.

/** Publishes a post as the signed-in user and opens it; returns its path. */
async function publishPost(page: Page, js: boolean, title: string): Promise<string> {
  await open(page, js, "/posts");
  await page.getByLabel("Title", { exact: true }).fill(title);
  await page.getByLabel("Content", { exact: true }).fill("A post to talk about.");
  await page.getByRole("button", { name: "Publish and open" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
  return new URL(page.url()).pathname;
}

async function comment(page: Page, text: string): Promise<void> {
  await page.getByLabel("Comment", { exact: true }).fill(text);
  await page.getByRole("button", { name: "Comment", exact: true }).click();
  await expect(commentByText(page, text)).toBeVisible();
}

function commentByText(page: Page, text: string) {
  return page.locator(".comment-list > li", { hasText: text });
}

/** Makes `user` a moderator through the admin page, then signs the admin out. */
async function promoteToModerator(page: Page, user: User): Promise<void> {
  await signIn(page, admin());
  await page.goto(`/admin?q=${encodeURIComponent(user.username)}`);
  await page.getByLabel(`Role of ${user.username}`, { exact: true }).selectOption("moderator");
  await page.getByRole("button", { name: `Save the role of ${user.username}` }).click();
  await expect(page.getByRole("status")).toHaveText(`${user.username} is now a moderator.`);
  await signOut(page);
}

test.describe("comments", () => {
  test("signed out, comments are read-only and ask to sign in", async ({ page, js }) => {
    await signUp(page);
    const path = await publishPost(page, js, uniqueTitle("Quiet"));
    await signOut(page);
    await open(page, js, path);
    await expect(page.getByText("No comments yet.")).toBeVisible();
    await expect(page.getByLabel("Comment", { exact: true })).toHaveCount(0);
    await expect(page.locator(".comments").getByRole("link", { name: "Sign in" })).toBeVisible();
  });

  test("a comment is deleted by its owner, and refused for another user", async ({ page, js, context }) => {
    const ada = await signUp(page, newUser("ada"));
    const path = await publishPost(page, js, uniqueTitle("Talk"));
    await comment(page, "Ada was here.");
    await expect(commentByText(page, "Ada was here.").locator(".author")).toHaveText(ada.username);

    // A second tab keeps the page as Ada saw it, with her Delete button.
    const stale = await context.newPage();
    await open(stale, js, path);
    await expect(commentByText(stale, "Ada was here.").getByRole("button", { name: "Delete" })).toBeVisible();

    // Bob signs in (the tabs share the browser's cookies): he sees no Delete on Ada's comment.
    await signOut(page);
    const bob = await signUp(page, newUser("bob"));
    await open(page, js, path);
    await expect(commentByText(page, "Ada was here.").getByRole("button", { name: "Delete" })).toHaveCount(0);

    // Ada's old button, pressed as Bob: the server asks the session, not the form, and refuses.
    await commentByText(stale, "Ada was here.").getByRole("button", { name: "Delete" }).click();
    await expect(stale.getByRole("alert")).toHaveText("Only its author or a moderator can delete this comment.");
    await expect(stale).toHaveURL(new RegExp(`${path}$`));
    await expect(commentByText(stale, "Ada was here.")).toBeVisible();

    // His own comment, Bob may delete.
    await comment(page, `${bob.username} replies.`);
    await commentByText(page, `${bob.username} replies.`).getByRole("button", { name: "Delete" }).click();
    await expect(page).toHaveURL(new RegExp(`${path}$`));
    await expect(commentByText(page, `${bob.username} replies.`)).toHaveCount(0);
    await expect(commentByText(page, "Ada was here.")).toBeVisible();
  });

  test("a moderator deletes anyone's comment", async ({ page, js }) => {
    const mod = newUser("mod");
    await signUp(page, mod);
    await signOut(page);
    await promoteToModerator(page, mod);

    await signUp(page, newUser("writer"));
    const path = await publishPost(page, js, uniqueTitle("Moderated"));
    await comment(page, "Something to remove.");
    await signOut(page);

    await signIn(page, mod);
    await open(page, js, path);
    await commentByText(page, "Something to remove.").getByRole("button", { name: "Delete" }).click();
    await expect(page).toHaveURL(new RegExp(`${path}$`));
    await expect(commentByText(page, "Something to remove.")).toHaveCount(0);
    await expect(page.getByText("No comments yet.")).toBeVisible();
  });

  test("an empty comment is explained at the field and nothing is added", async ({ page, js }) => {
    await signUp(page);
    const path = await publishPost(page, js, uniqueTitle("Blank"));
    if (js) await settled(page);
    // Spaces pass the browser's `required`; the rule trims and refuses them.
    await page.getByLabel("Comment", { exact: true }).fill("   ");
    await page.getByRole("button", { name: "Comment", exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`${path}$`));
    await expect(page.locator("#body-error")).toHaveText("Comment cannot be empty.");
    await expect(page.getByText("No comments yet.")).toBeVisible();

    // A real one is added in place, and the list shows it.
    await comment(page, "Not blank at all.");
    await expect(page.getByLabel("Comment", { exact: true })).toHaveValue("");
    await expectNoReload(page, js);
  });
});
