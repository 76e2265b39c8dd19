import { test, expect, open, newUser, signUp, signIn, signOut, admin } from "./fixtures";

// The admin page is server-rendered: with JavaScript it behaves exactly as without.

test.describe("admin", () => {
  test("an admin changes a role, and the page shows it after a reload", async ({ page, js }) => {
    const user = await signUp(page, newUser("promoted"));
    await signOut(page);
    await signIn(page, admin());
    await open(page, js, `/admin?q=${encodeURIComponent(user.username)}`);
    const role = page.getByLabel(`Role of ${user.username}`, { exact: true });
    await expect(role).toHaveValue("user");
    await role.selectOption("moderator");
    await page.getByRole("button", { name: `Save the role of ${user.username}` }).click();
    await expect(page.getByRole("status")).toHaveText(`${user.username} is now a moderator.`);
    await expect(page).toHaveURL(/\/admin\?q=/);

    await page.reload();
    await expect(page.getByLabel(`Role of ${user.username}`, { exact: true })).toHaveValue("moderator");
    await expect(page.getByRole("status")).toHaveCount(0);
  });

  test("the last admin cannot be demoted", async ({ page, js }) => {
    const root = admin();
    await signIn(page, root);
    await open(page, js, `/admin?q=${encodeURIComponent(root.username)}`);
    await page.getByLabel(`Role of ${root.username}`, { exact: true }).selectOption("user");
    await page.getByRole("button", { name: `Save the role of ${root.username}` }).click();
    await expect(page.getByRole("alert")).toHaveText(
      `${root.username} is the last admin and stays one: make another account an admin first.`,
    );
    await page.reload();
    await expect(page.getByLabel(`Role of ${root.username}`, { exact: true })).toHaveValue("admin");
  });

  test("anyone but an admin is kept out", async ({ page }) => {
    const signedOut = await page.goto("/admin");
    expect(signedOut?.status()).toBe(401);
    await expect(page.getByText("as an admin to see this page")).toBeVisible();

    await signUp(page);
    const response = await page.goto("/admin");
    expect(response?.status()).toBe(403);
    await expect(page.getByRole("alert")).toHaveText("Only admins can see this page.");
    await expect(page.locator("table.accounts")).toHaveCount(0);
  });

  test("a new subscriber's welcome email is sent by a job and shows in the admin's outbox", async ({ page, js }) => {
    const email = `welcome-${Date.now().toString(36)}-${js ? "js" : "nojs"}@example.org`;
    await open(page, js, "/newsletter");
    await page.getByLabel("Email").fill(email);
    await page.getByRole("button", { name: "Subscribe" }).click();
    // The answer does not wait for the email.
    await expect(page.getByRole("status")).toHaveText(`Subscribed! The next issue goes to ${email}.`);

    await signIn(page, admin());
    await open(page, js, "/admin");
    const outbox = page.getByRole("region", { name: "Outbox" });
    const sent = outbox.locator("li", { hasText: email });
    // The job runs in the background: look again until it has.
    await expect(async () => {
      await page.reload();
      await expect(sent).toHaveCount(1, { timeout: 500 });
    }).toPass({ timeout: 15_000 });
    await expect(sent.locator(".subject")).toHaveText("Welcome to the Formwork newsletter");
    await sent.locator("summary").click();
    await expect(sent.locator("pre")).toContainText(`you subscribed ${email} to the Formwork newsletter`);
  });
});
