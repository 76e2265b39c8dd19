import { test, expect, newUser, open, signIn, signUp, signOut } from "./fixtures";

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

  test("a page seen again is signed out at once when the session is ended from another browser", async ({ page, js, browser }) => {
    const user = await signUp(page);
    // The same person on a phone, which has seen /posts twice: the server keeps the phone's
    // page for its next view.
    const phone = await browser.newContext({
      javaScriptEnabled: js,
      // A client of its own for the rate limits (sign-ins are counted per address).
      extraHTTPHeaders: { "X-Forwarded-For": `10.253.${js ? 1 : 2}.${Date.now() % 250}` },
    });
    const phonePage = await phone.newPage();
    await signIn(phonePage, user);
    await open(phonePage, js, "/posts");
    await open(phonePage, js, "/posts");
    await expect(phonePage.locator(".account")).toContainText(`Signed in as ${user.username}`);
    await expect(phonePage.getByRole("group", { name: "New post" })).toBeVisible();

    // This browser ends the phone's session, which changes no data: the phone still holds
    // its cookie, and its next view of the same page is signed out all the same.
    await open(page, js, "/settings");
    const sessions = page.getByRole("region", { name: "Where you are signed in" });
    await sessions.getByRole("button", { name: "Sign out everywhere else" }).click();
    await expect(sessions.getByRole("status")).toHaveText("Signed out of 1 other session.");

    await open(phonePage, js, "/posts");
    await expect(phonePage.locator(".account").getByRole("link", { name: "Sign in" })).toBeVisible();
    await expect(phonePage.locator(".account")).not.toContainText("Signed in");
    await expect(phonePage.getByRole("group", { name: "New post" })).toHaveCount(0);
    expect((await phone.cookies()).map((c) => c.name)).toContain("fw_session");
    await phone.close();
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
