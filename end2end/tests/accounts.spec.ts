import { test, expect, newUser, signUp, signOut } from "./fixtures";

// Accounts are server-rendered forms: with JavaScript they behave exactly as without.

test.describe("accounts", () => {
  test("register, sign out and sign in again", async ({ page }) => {
    const user = newUser();
    await page.goto("/register");
    await page.getByLabel("Username").fill(user.username);
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page).toHaveURL(/\/posts$/);
    await expect(page.locator(".account")).toContainText(`Signed in as ${user.username}`);

    // The session survives a reload (it is a cookie, not page state).
    await page.reload();
    await expect(page.locator(".account")).toContainText(`Signed in as ${user.username}`);

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/posts$/);
    await expect(page.locator(".account").getByRole("link", { name: "Sign in" })).toBeVisible();
    await expect(page.locator(".account")).not.toContainText("Signed in");

    await page.locator(".account").getByRole("link", { name: "Sign in" }).click();
    await page.getByLabel("Username").fill(user.username.toUpperCase());
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/posts$/);
    await expect(page.locator(".account")).toContainText(`Signed in as ${user.username}`);
  });

  test("a wrong password is refused without saying which part was wrong, and is not echoed", async ({ page }) => {
    const user = await signUp(page);
    await signOut(page);

    for (const username of [user.username, `${user.username}x`]) {
      await page.goto("/login");
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password").fill("not the password at all");
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL(/\/login$/);
      await expect(page.getByRole("alert")).toHaveText("Wrong username or password.");
      await expect(page.getByLabel("Username")).toHaveValue(username);
      await expect(page.getByLabel("Password")).toHaveValue("");
      await expect(page.locator(".account")).not.toContainText("Signed in");
    }
  });

  test("a short password and a taken username are explained at the form", async ({ page }) => {
    await page.goto("/register");
    await expect(page.getByLabel("Password")).toHaveAttribute("minlength", "12");
    const user = await signUp(page);
    await signOut(page);

    await page.goto("/register");
    await page.getByLabel("Username").fill(user.username.toLowerCase());
    await page.getByLabel("Email").fill(`other-${user.email}`);
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByRole("alert")).toHaveText(`The username ${user.username.toLowerCase()} is taken. Choose another one.`);
    await expect(page.getByLabel("Email")).toHaveValue(`other-${user.email}`);
    await expect(page.getByLabel("Password")).toHaveValue("");
  });
});
