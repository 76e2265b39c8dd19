import { test, expect, open, expectNoReload, countActionPosts, hold } from "./fixtures";

// Newsletter, contact and feedback are server-rendered forms: no island, no WASM. With
// JavaScript formwork's browser runtime sends them without a reload, and they end exactly as
// without it.

test.describe("newsletter", () => {
  test("subscribing shows a success message, and a second time a friendly one", async ({ page, js }) => {
    const email = `reader-${Date.now().toString(36)}@example.org`;
    await open(page, js, "/newsletter");
    await page.getByLabel("Email").fill(email);
    await page.getByRole("button", { name: "Subscribe" }).click();
    await expect(page).toHaveURL(/\/newsletter$/);
    await expect(page.getByRole("status")).toHaveText(`Subscribed! The next issue goes to ${email}.`);
    await expect(page.getByLabel("Email")).toHaveValue("");

    await page.getByLabel("Email").fill(email.toUpperCase());
    await page.getByRole("button", { name: "Subscribe" }).click();
    await expect(page.getByRole("alert")).toHaveText(`${email} is already subscribed. Thank you for reading!`);
    await expect(page.getByLabel("Email")).toHaveValue(email.toUpperCase());
    await expectNoReload(page, js);

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

  test("a message with problems comes back with every field kept and explained", async ({ page, js }) => {
    await open(page, js, "/contact");
    await page.getByLabel("Name").fill("  A ");
    await page.getByLabel("Email").fill("ada@example.org");
    await page.getByLabel("Message").fill("Hello there, team!");
    await page.getByRole("button", { name: "Send" }).click();
    await expect(page).toHaveURL(/\/contact$/);
    await expect(page.locator("#name-error")).toHaveText("Name needs at least 2 characters.");
    await expect(page.getByLabel("Email")).toHaveValue("ada@example.org");
    await expect(page.getByLabel("Message")).toHaveValue("Hello there, team!");
    await expect(page.getByRole("alert").locator(".form-error")).toHaveText("Some fields need attention: see the notes beside them.");
    await expectNoReload(page, js);
  });

  // Each value passes the browser's own constraints (required, type=email, set by a script so
  // no length is enforced) and breaks one of the schema's rules. Without JavaScript the server
  // says why; with it, formwork's runtime says it before sending, in the same words.
  test("the checks before sending say what the server says, word for word", async ({ page, js }) => {
    const posts = countActionPosts(page);
    const cases: [Record<string, string>, Record<string, string>][] = [
      [
        { name: " é ", email: "a@b", message: "          x" },
        {
          name: "Name needs at least 2 characters.",
          email: "Enter an email address like name@example.org.",
          message: "Message needs at least 10 characters.",
        },
      ],
      [
        { name: "\u200B\u2060 \uFEFF", email: "a..b@example.org", message: "Hello\u0007 there, team" },
        {
          name: "Name cannot be empty.",
          email: "Enter an email address like name@example.org.",
          message: "Message cannot contain control characters.",
        },
      ],
      [
        { name: "x".repeat(101), email: "someone@localhost", message: "A perfectly fine message." },
        {
          name: "Name can be at most 100 characters (it has 101).",
          email: "Enter an email address like name@example.org.",
          message: "",
        },
      ],
      [
        { name: "A\u001b[31mda", email: `${"a".repeat(65)}@example.org`, message: "y".repeat(5001) },
        {
          name: "Name cannot contain control characters.",
          email: "Enter an email address like name@example.org.",
          message: "Message can be at most 5000 characters (it has 5001).",
        },
      ],
    ];
    for (const [values, said] of cases) {
      await open(page, js, "/contact");
      for (const [field, value] of Object.entries(values)) {
        await page.locator(`[name="${field}"]`).evaluate((el, v) => ((el as HTMLInputElement).value = v), value);
      }
      await page.getByRole("button", { name: "Send" }).click();
      await expect(page.getByRole("alert").locator(".form-error")).toHaveText("Some fields need attention: see the notes beside them.");
      for (const [field, message] of Object.entries(said)) {
        const input = page.locator(`[name="${field}"]`);
        const error = page.locator(`[id="${field}-error"]`);
        if (message) {
          await expect(error).toHaveText(message);
          await expect(input).toHaveAttribute("aria-invalid", "true");
        } else {
          await expect(error).toHaveCount(0);
        }
        // What was typed is still there, as it was typed.
        await expect(input).toHaveValue(values[field]);
      }
    }
    // With JavaScript nothing was sent at all; without it, each was the server's answer.
    expect(posts()).toBe(js ? 0 : cases.length);
  });

  test("a message too large to send is refused with the limit, not an error page", async ({ page, js }) => {
    await open(page, js, "/contact");
    await page.getByLabel("Name").fill("Ada");
    await page.getByLabel("Email").fill("ada@example.org");
    // Set programmatically (typing stops at maxlength), as a script or an old browser could:
    // over the 32 KB the contact action accepts. The field's rule goes too, as a client that
    // checks nothing sends it (with it, the runtime would refuse the length before sending).
    await page.getByLabel("Message").evaluate((el) => {
      (el as HTMLTextAreaElement).value = "x".repeat(100_000);
      el.removeAttribute("data-fw-rule");
    });
    await page.getByRole("button", { name: "Send" }).click();
    await expect(page).toHaveURL(/\/contact$/);
    await expect(page.getByRole("alert")).toHaveText(
      "This is too large to send: the limit is 32 KB. Make it smaller and try again.",
    );
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Contact us");
  });

  // The contact form's fields are an app component built on `formwork::use_form_status`. The
  // server's answer is held back until the page has been looked at while the post is on its way.
  test("the form's own status component says whose message is on its way and holds the inputs", async ({ page, js }) => {
    await open(page, js, "/contact");
    const note = page.locator("p.sending");
    await expect(note).toBeHidden();
    await page.getByLabel("Name").fill("Ada");
    await page.getByLabel("Email").fill("ada@example.org");
    await page.getByLabel("Message").fill("Hello there, team!");

    const release = await hold(page, "send_message");
    const clicked = page.getByRole("button", { name: "Send" }).click();
    await release.arrived;
    // Without JavaScript the browser is posting the form and shows its own progress: there is
    // no page to look at until the answer comes.
    if (js) {
      await expect(note).toBeVisible();
      await expect(note).toHaveText("Sending your message as ada@example.org…");
      await expect(page.getByLabel("Message")).toBeDisabled();
      await expect(page.getByRole("button", { name: "Sending…" })).toBeDisabled();
    }
    release();
    await clicked;
    await expect(page).toHaveURL(/\/contact\/thanks$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Thank you");
    await expectNoReload(page, js);
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

