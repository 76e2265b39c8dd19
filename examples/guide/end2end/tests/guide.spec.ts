import { test as base, expect, type Page } from "@playwright/test";
import { harness, hold } from "../../../../formwork/e2e/index";

// Each guide page's example, exercised as a reader would use it: every scenario runs with
// JavaScript and without (`bothWays`), and both runs must end the same. One server, one
// database, scenarios in order.
const { bothWays, open, expectNoReload } = harness(base, expect);

let counter = 0;
/** A text no other run uses. */
function unique(label: string): string {
  counter += 1;
  return `${label} ${Date.now().toString(36)}-${counter}`;
}

async function addNote(page: Page, text: string): Promise<void> {
  await page.getByLabel("Note").fill(text);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.locator("p[role=status]")).toHaveText(`Added “${text}”.`);
}

// use-server.md, use-action-state.md, revalidate-tag.md
bothWays("an action adds a note: the form says so and the tagged list shows it", async ({ page, js }) => {
  await open(page, js, "/notes");
  const text = unique("Buy milk");
  await addNote(page, text);
  await expect(page.locator("#notes li").first()).toContainText(text);
  await expect(page.getByLabel("Note")).toHaveValue("");
  await expectNoReload(page, js);
  return { path: new URL(page.url()).pathname, first: (await page.locator("#notes li span").first().textContent())?.startsWith("Buy milk") };
});

// validation.md
bothWays("the schema refuses a short note at its field, and nothing is added", async ({ page, js }) => {
  await open(page, js, "/notes");
  const before = await page.locator("#notes li").count();
  await page.getByLabel("Note").fill(" ab ");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  const error = page.locator("#text-error");
  await expect(error).toHaveText("Note needs at least 3 characters.");
  await expect(page.getByLabel("Note")).toHaveValue(" ab ");
  await expect(page.getByLabel("Note")).toHaveAttribute("minlength", "3");
  await expectNoReload(page, js);
  await page.goto("/notes");
  return { error: "Note needs at least 3 characters.", added: (await page.locator("#notes li").count()) - before };
});

// use-form-status.md, use-optimistic.md: the answer is held back while the page is looked at.
bothWays("while a note is on its way the form says what it is saving, and the list shows it at once", async ({ page, js }) => {
  await open(page, js, "/notes");
  const text = unique("Walk the dog");
  const release = await hold(page, "add_note");
  await page.getByLabel("Note").fill(text);
  const clicked = page.getByRole("button", { name: "Add", exact: true }).click();
  await release.arrived;
  const saving = page.locator("p.saving");
  // Without JavaScript the browser is posting the form and shows its own progress: there is
  // no page to look at until the answer comes.
  if (js) {
    await expect(saving).toHaveText(`Saving “${text}”…`);
    await expect(page.locator("#notes li").first()).toHaveText(text);
    await expect(page.locator("#notes li").first()).toHaveAttribute("aria-busy", "true");
  }
  release();
  await clicked;
  await expect(page.getByRole("status")).toHaveText(`Added “${text}”.`);
  await expect(saving).toBeHidden();
  await expect(page.locator("#notes li").first()).not.toHaveAttribute("aria-busy", "true");
  return { first: (await page.locator("#notes li span").first().textContent()) === text };
});

// bind.md
bothWays("a bound id deletes its own note, and a changed one is refused", async ({ page, js }) => {
  await open(page, js, "/notes");
  const text = unique("Delete me");
  await addNote(page, text);
  await page.getByRole("button", { name: `Delete “${text}”` }).click();
  await expect(page.locator("#notes li", { hasText: text })).toHaveCount(0);
  await expectNoReload(page, js);

  const other = unique("Keep me");
  await addNote(page, other);
  const form = page.locator("#notes li", { hasText: other }).locator("form");
  // The form's fields as a tampering client would send them, the id changed: its signature
  // no longer matches, and the action never runs.
  const fields: [string, string][] = await form.evaluate((f) =>
    [...new FormData(f as HTMLFormElement)].map(([name, value]) => [name, String(value)]),
  );
  const tampered = Object.fromEntries(
    fields.map(([name, value]) => {
      if (name !== "id") return [name, value];
      const dot = value.indexOf(".");
      return [name, `${Number(value.slice(0, dot)) + 1}${value.slice(dot)}`];
    }),
  );
  const response = await page.request.post((await form.getAttribute("action"))!, {
    form: tampered,
    // As the page's own script would send it (the browser says it is the site's own page).
    headers: { "Sec-Fetch-Site": "same-origin", Accept: "application/json" },
  });
  expect(response.status(), await response.text()).toBe(400);
  expect((await response.json()).message).toContain("This form was changed after the server made it. Reload the page and try again.");
  await page.reload();
  await expect(page.locator("#notes li", { hasText: other })).toHaveCount(1);
  await expect(page.locator("#notes li", { hasText: text })).toHaveCount(0);
  return { deleted: 0, kept: 1 };
});

// use-transition.md: with JavaScript a click handler calls the action; without, the same
// button is a form. A fourth star is refused by the action, and shown as it was.
bothWays("stars are set from a click, and a refused one goes back with the reason", async ({ page, js }) => {
  await open(page, js, "/notes");
  const texts = [unique("Star A"), unique("Star B"), unique("Star C"), unique("Star D")];
  for (const text of texts) await addNote(page, text);
  await open(page, js, "/stars");
  // Unstar whatever an earlier run starred.
  const starred = page.locator('button[aria-pressed="true"]');
  for (let left = await starred.count(); left > 0; left -= 1) {
    await starred.first().click();
    await expect(starred).toHaveCount(left - 1);
  }
  const star = (text: string) => page.getByRole("button", { name: `Star “${text}”` });
  for (const text of texts.slice(0, 3)) {
    await star(text).click();
    await expect(star(text)).toHaveAttribute("aria-pressed", "true");
  }
  await star(texts[3]).click();
  await expect(page.getByRole("alert")).toContainText("You can star at most 3 notes: unstar one first.");
  await expect(star(texts[3])).toHaveAttribute("aria-pressed", "false");
  await expectNoReload(page, js);
  await page.goto("/stars");
  const pressed = await Promise.all(texts.map((t) => star(t).getAttribute("aria-pressed")));
  return { pressed };
});

// revalidate-path.md: this tab, and another tab open on the page.
bothWays("revalidate_path refreshes what the page read, here and in another tab", async ({ page, js, context }) => {
  const watcher = await (await context.browser()!.newContext({ javaScriptEnabled: true })).newPage();
  await open(watcher, true, "/counter");
  await expect(watcher.locator("html")).toHaveAttribute("data-fw-live", "open");
  const read = async (p: Page) => Number((await p.locator(".count").textContent())?.match(/\d+/)?.[0]);
  await open(page, js, "/counter");
  const before = await read(page);
  await page.getByRole("button", { name: "Add one", exact: true }).click();
  await expect(page.locator(".count")).toHaveText(`Count: ${before + 1}`);
  await expect(watcher.locator(".count")).toHaveText(`Count: ${before + 1}`);
  await expectNoReload(page, js);
  await expectNoReload(watcher, true);
  await watcher.context().close();
  return { added: 1 };
});

// redirect.md
bothWays("an action redirects when it succeeds, and stays at its form when it fails after redirect()", async ({ page, js }) => {
  await open(page, js, "/redirect");
  await page.getByLabel("Code").fill("hello");
  await page.getByRole("button", { name: "Unlock", exact: true }).click();
  await expect(page.locator("#code-error")).toHaveText("That is not the code.");
  await expect(page).toHaveURL(/\/redirect$/);
  await expect(page.getByLabel("Code")).toHaveValue("hello");

  await page.getByLabel("Code").fill("open sesame");
  await page.getByRole("button", { name: "Unlock", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Unlocked");
  await expect(page).toHaveURL(/\/redirect\/done$/);
  // With JavaScript the page there was shown in place: the document is the one opened.
  await expectNoReload(page, js);
  await page.goBack();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Redirect");
  return { path: "/redirect/done" };
});

// cookies.md, headers.md
bothWays("an action sets a cookie the page reads as it renders, and deletes it", async ({ page, js }) => {
  await open(page, js, "/cookies");
  await expect(page.locator(".greeting")).toHaveText("Hello, stranger!");
  await expect(page.locator(".agent code")).toContainText("Chrome");
  await page.getByLabel("Name").fill("Zoë; the <b>bold</b>");
  await page.getByRole("button", { name: "Remember me", exact: true }).click();
  await expect(page.locator(".greeting")).toHaveText("Hello, Zoë; the <b>bold</b>!");
  const cookie = (await page.context().cookies()).find((c) => c.name === "guide_name");
  await page.reload();
  await expect(page.locator(".greeting")).toHaveText("Hello, Zoë; the <b>bold</b>!");
  await page.getByRole("button", { name: "Forget me", exact: true }).click();
  await expect(page.locator(".greeting")).toHaveText("Hello, stranger!");
  const gone = !(await page.context().cookies()).some((c) => c.name === "guide_name");
  return { httpOnly: cookie?.httpOnly, path: cookie?.path, lasting: (cookie?.expires ?? -1) > Date.now() / 1000, gone };
});

// auth.md
bothWays("the declared policies answer before the action runs: 401 signed out, 429 over the rate", async ({ page, js }) => {
  await open(page, js, "/members");
  await page.getByRole("button", { name: "Enter the members' room", exact: true }).click();
  await expect(page.locator("form.members").getByRole("alert")).toContainText("Please sign in to do this.");
  // Three waves a minute from one address: this run, or the one before it, reaches the fourth.
  let refused = "";
  const wave = page.locator("form.wave");
  for (let i = 0; i < 4 && !refused; i += 1) {
    // The last answer's words go first, so that the next ones are this click's.
    await wave.locator('[role="status"], [role="alert"]').evaluateAll((shown) => shown.forEach((el) => el.remove()));
    await wave.getByRole("button", { name: "Wave", exact: true }).click();
    const alert = wave.getByRole("alert");
    await expect(alert.or(wave.getByRole("status"))).toBeVisible();
    if (await alert.count()) refused = (await alert.textContent()) ?? "";
    else await expect(wave.getByRole("status")).toHaveText("You waved.");
  }
  expect(refused).toMatch(/Too many requests\. Please try again in \d+ seconds?\./);
  await expectNoReload(page, js);
  return { signedOut: "Please sign in to do this.", refused: refused.replace(/\d+ seconds?/, "N seconds") };
});

// uploads.md
bothWays("a text file is counted, and one that is not text is refused at its field", async ({ page, js }) => {
  await open(page, js, "/uploads");
  await page.getByLabel("Text file").setInputFiles({ name: "list.txt", mimeType: "text/plain", buffer: Buffer.from("one\ntwo\nthree\n") });
  await page.getByRole("button", { name: "Count lines", exact: true }).click();
  await expect(page.getByRole("status")).toHaveText("3 lines, 14 bytes.");
  await page.getByLabel("Text file").setInputFiles({ name: "image.txt", mimeType: "text/plain", buffer: Buffer.from([0xff, 0xd8, 0xff, 0xe0]) });
  await page.getByRole("button", { name: "Count lines", exact: true }).click();
  await expect(page.locator("#file-error")).toHaveText("Send a UTF-8 text file.");
  await expectNoReload(page, js);
  return { counted: "3 lines, 14 bytes.", refused: "Send a UTF-8 text file." };
});

// validation.md: the browser's own constraints are switched off, as a script or an old
// browser could: with JavaScript the runtime refuses before sending, without it the server
// does, with the same words at the same fields.
bothWays("each kind of field refuses a wrong value at its field, in the browser and on the server", async ({ page, js }) => {
  await open(page, js, "/validation");
  const quantity = page.getByLabel("Quantity");
  await expect(quantity).toHaveAttribute("type", "number");
  await expect(quantity).toHaveAttribute("min", "1");
  await expect(quantity).toHaveAttribute("max", "10");
  await expect(quantity).toHaveAttribute("step", "1");
  await expect(page.getByLabel("Price")).toHaveAttribute("step", "0.01");
  await expect(page.getByLabel("I accept the terms")).toHaveAttribute("required", "");
  await page.locator("form.order").evaluate((form) => ((form as HTMLFormElement).noValidate = true));
  const set = (name: string, value: string) =>
    page.locator(`[name="${name}"]`).evaluate((el, v) => ((el as HTMLInputElement).value = v), value);
  await set("quantity", "2.5");
  await set("price", "9.999");
  await set("email", "ada@example.org");
  await set("again", "ada@example.com");
  await page.getByRole("button", { name: "Order", exact: true }).click();
  const said: Record<string, string> = {
    quantity: "Quantity must be a whole number, like 42.",
    price: "Price can have at most 2 digits after the point.",
    terms: "Tick “I accept the terms” to go on.",
    size: "Choose an option for Size.",
    again: "Email again does not match Email.",
  };
  for (const [field, message] of Object.entries(said)) {
    await expect(page.locator(`[id="${field}-error"]`)).toHaveText(message);
  }
  await expect(page.locator("#email-error")).toHaveCount(0);
  await expect(page.getByLabel("Quantity")).toHaveValue("2.5");

  // What only the server knows is reported at its field the same way.
  await page.locator("form.order").evaluate((form) => ((form as HTMLFormElement).noValidate = true));
  await set("quantity", "2");
  await set("price", "9.99");
  await page.getByLabel("I accept the terms").check();
  await page.getByLabel("Size").selectOption("large");
  await set("email", "taken@example.org");
  await set("again", "taken@example.org");
  await page.getByRole("button", { name: "Order", exact: true }).click();
  await expect(page.locator("#email-error")).toHaveText("This address already has an order.");

  await set("email", "ada@example.org");
  await set("again", "ada@example.org");
  await page.getByLabel("Gift wrap").check();
  await page.getByRole("button", { name: "Order", exact: true }).click();
  await expect(page.getByRole("status")).toHaveText("Ordered: 2 × Large at 9.99, gift wrapped.");
  await expectNoReload(page, js);
  return { said, ordered: await page.getByRole("status").textContent() };
});

// api-routes.md
base("a plain route beside the actions answers JSON for other programs", async ({ request }) => {
  const response = await request.get("/api/v1/notes");
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toContain("application/json");
  const notes = (await response.json()) as { id: number; text: string; starred: boolean }[];
  expect(notes.some((n) => n.text.startsWith("Buy milk"))).toBe(true);
});
