import { test, expect, open, expectNoReload } from "./fixtures";

// Newsletter and contact are server-rendered forms: no island, no WASM. With JavaScript they
// behave exactly as without. The feedback form is an island: with JavaScript it never reloads.

test.describe("newsletter", () => {
  test("subscribing shows a success message, and a second time a friendly one", async ({ page }) => {
    const email = `reader-${Date.now().toString(36)}@example.org`;
    await page.goto("/newsletter");
    await page.getByLabel("Email").fill(email);
    await page.getByRole("button", { name: "Subscribe" }).click();
    await expect(page).toHaveURL(/\/newsletter$/);
    await expect(page.getByRole("status")).toHaveText(`Subscribed! The next issue goes to ${email}.`);
    await expect(page.getByLabel("Email")).toHaveValue("");

    await page.getByLabel("Email").fill(email.toUpperCase());
    await page.getByRole("button", { name: "Subscribe" }).click();
    await expect(page.getByRole("alert")).toHaveText(`${email} is already subscribed. Thank you for reading!`);
    await expect(page.getByLabel("Email")).toHaveValue(email.toUpperCase());

    // A reload shows neither message again.
    await page.reload();
    await expect(page.getByRole("alert")).toHaveCount(0);
    await expect(page.getByRole("status")).toHaveCount(0);
  });

  test("an address the browser lets through but the rules refuse is explained at the field", async ({ page }) => {
    await page.goto("/newsletter");
    await page.getByLabel("Email").fill("someone@localhost");
    await page.getByRole("button", { name: "Subscribe" }).click();
    await expect(page.locator("#email-error")).toHaveText("Enter an email address like name@example.org.");
    await expect(page.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");
    await expect(page.getByLabel("Email")).toHaveValue("someone@localhost");
  });
});

test.describe("contact", () => {
  test("the schema's rules are the inputs' constraints", async ({ page }) => {
    await page.goto("/contact");
    const name = page.getByLabel("Name");
    await expect(name).toHaveAttribute("required", "");
    await expect(name).toHaveAttribute("minlength", "2");
    await expect(name).toHaveAttribute("maxlength", "100");
    await expect(page.getByLabel("Email")).toHaveAttribute("type", "email");
    await expect(page.getByLabel("Email")).toHaveAttribute("maxlength", "254");
    await expect(page.getByLabel("Message")).toHaveAttribute("minlength", "10");
    await expect(page.getByLabel("Message")).toHaveAttribute("maxlength", "5000");
  });

  test("a message with problems comes back with every field kept and explained", async ({ page }) => {
    await page.goto("/contact");
    await page.getByLabel("Name").fill("  A ");
    await page.getByLabel("Email").fill("ada@example.org");
    await page.getByLabel("Message").fill("Hello there, team!");
    await page.getByRole("button", { name: "Send" }).click();
    await expect(page).toHaveURL(/\/contact$/);
    await expect(page.locator("#name-error")).toHaveText("Name needs at least 2 characters.");
    await expect(page.getByLabel("Email")).toHaveValue("ada@example.org");
    await expect(page.getByLabel("Message")).toHaveValue("Hello there, team!");
    await expect(page.getByRole("alert")).toHaveText("Some fields need attention: see the notes beside them.");
  });

  test("a message too large to send is refused with the limit, not an error page", async ({ page }) => {
    await page.goto("/contact");
    await page.getByLabel("Name").fill("Ada");
    await page.getByLabel("Email").fill("ada@example.org");
    // Set programmatically (typing stops at maxlength), as a script or an old browser could:
    // over the 32 KB the contact action accepts.
    await page
      .getByLabel("Message")
      .evaluate((el) => ((el as HTMLTextAreaElement).value = "x".repeat(100_000)));
    await page.getByRole("button", { name: "Send" }).click();
    await expect(page).toHaveURL(/\/contact$/);
    await expect(page.getByRole("alert")).toHaveText(
      "This is too large to send: the limit is 32 KB. Make it smaller and try again.",
    );
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Contact us");
  });

  test("a good message lands on the thank-you page", async ({ page }) => {
    await page.goto("/contact");
    await page.getByLabel("Name").fill("Ada");
    await page.getByLabel("Email").fill("ada@example.org");
    await page.getByLabel("Message").fill("Hello there, team!");
    await page.getByRole("button", { name: "Send" }).click();
    await expect(page).toHaveURL(/\/contact\/thanks$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Thank you");
  });
});

test.describe("feedback", () => {
  test("going over the rate limit is explained in the form, with the note kept", async ({ page, js }) => {
    await open(page, js, "/feedback");
    const note = page.getByLabel("Feedback");
    const send = page.getByRole("button", { name: "Send feedback" });
    // The limit is ten a minute from one address: all ten are thanked.
    for (let i = 1; i <= 10; i++) {
      await note.fill(`Note number ${i} about the site`);
      await send.click();
      await expect(page.getByRole("status")).toHaveText("Thank you for your feedback!");
      await expect(note).toHaveValue("");
    }
    await note.fill("One note too many");
    await send.click();
    await expect(page.getByRole("alert")).toHaveText(/^Too many requests\. Please try again in \d+ seconds\.$/);
    await expect(note).toHaveValue("One note too many");
    await expect(page.getByRole("status")).toHaveCount(0);
    await expectNoReload(page, js);
  });
});

