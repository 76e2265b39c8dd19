import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { admin, expect, newUser, open, signIn, signUp, test, uniqueTitle } from "./fixtures";

// Accessibility, with and without JavaScript: the error summary a failed submission leaves at
// the top of its form, and an axe-core scan of every page the app has, in each state the
// suite meets (signed out, signed in, as an admin, after a refusal).

/** WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices. */
const STANDARDS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];

/**
 * Scans the page as it stands with axe-core and fails on any violation, each named with its
 * rule, its help text and the elements it found. Prints one line per page for the record.
 */
async function scan(page: Page, js: boolean, what: string): Promise<void> {
  const target = js ? page : await scriptable(page);
  try {
    const results = await new AxeBuilder({ page: target }).withTags(STANDARDS).analyze();
    const violations = results.violations.map(
      (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(" ")).join("\n    ")}`,
    );
    console.log(
      `axe ${js ? "js  " : "nojs"} ${what}: ${results.violations.length} violations, ${results.passes.length} rules passed`,
    );
    expect(violations, `axe violations on ${what}`).toEqual([]);
  } finally {
    if (target !== page) await target.context().close();
  }
}

/**
 * axe runs as a script in the page, which a page without JavaScript cannot run. So the
 * document such a page holds (the server's markup, as the browser parsed it) is shown at the
 * same address in a page that can: the document's own scripts are taken out, and what it had
 * in `<noscript>` stands as the browser without JavaScript rendered it. Its styles load from
 * the server as usual.
 */
async function scriptable(page: Page): Promise<Page> {
  const html = (await page.content())
    .replace(/<script\b[\s\S]*?<\/script>/gi, "")
    .replace(/<\/?noscript>/gi, "");
  const url = page.url();
  const browser = page.context().browser();
  if (!browser) throw new Error("the page has no browser to open a second context in");
  const context = await browser.newContext({ javaScriptEnabled: true });
  const copy = await context.newPage();
  await copy.route(
    (address) => address.href === url,
    (route) => route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: html }),
  );
  await copy.goto(url);
  return copy;
}

/** Publishes a post through the page's form and returns its address. */
async function publish(page: Page, js: boolean): Promise<string> {
  await open(page, js, "/posts");
  const title = uniqueTitle("Accessible");
  await page.getByLabel("Title", { exact: true }).fill(title);
  await page.getByLabel("Content", { exact: true }).fill("A post to look at.");
  await page.getByRole("button", { name: "Publish and open" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
  return new URL(page.url()).pathname;
}

test.describe("accessibility", () => {
  test("a refused form is summed up at its top: announced, focused, each problem a link to its field", async ({
    page,
    js,
  }) => {
    await open(page, js, "/contact");
    // Both pass the browser's own constraints and break the schema's rules.
    await page.getByLabel("Name").fill("  A ");
    await page.getByLabel("Email").fill("ada@example");
    await page.getByLabel("Message").fill("Hello there, team!");
    await page.getByRole("button", { name: "Send" }).click();

    const summary = page.getByRole("alert");
    await expect(summary.locator(".form-error")).toHaveText("Some fields need attention: see the notes beside them.");
    await expect(summary.getByRole("link")).toHaveText([
      "Name needs at least 2 characters.",
      "Enter an email address like name@example.org.",
    ]);
    // First in the form, and it has the focus: a screen reader starts there.
    const first = await page.locator("form.contact").evaluate((form) => {
      const box = form.querySelector("[data-fw-summary]");
      const field = form.querySelector("[name=name]");
      return !!box && !!field && !!(box.compareDocumentPosition(field) & Node.DOCUMENT_POSITION_FOLLOWING);
    });
    expect(first, "the summary comes before the fields").toBe(true);
    await expect(summary).toBeFocused();
    await scan(page, js, "/contact, refused");

    // Each link takes the user to the field it is about.
    await summary.getByRole("link", { name: "Enter an email address like name@example.org." }).click();
    await expect(page.getByLabel("Email")).toBeFocused();
    await page.getByLabel("Email").fill("ada@example.org");
    await page.getByLabel("Name").fill("Ada");
    await page.getByRole("button", { name: "Send" }).click();
    await expect(page).toHaveURL(/\/contact\/thanks$/);
    await expect(page.getByRole("alert")).toHaveCount(0);
  });

  test("a refusal only the server can make takes the focus too", async ({ page, js }) => {
    await open(page, js, "/login");
    await page.getByLabel("Username").fill("nobody-here");
    await page.getByLabel("Password").fill("not the password at all");
    await page.getByRole("button", { name: "Sign in" }).click();
    const summary = page.getByRole("alert");
    await expect(summary).toHaveText("Wrong username or password.");
    await expect(summary).toBeFocused();
    await scan(page, js, "/login, refused");
  });

  test("every page, signed out, has no axe violations", async ({ page, js }) => {
    for (const path of ["/", "/posts", "/newsletter", "/contact", "/feedback", "/login", "/register", "/search", "/search?q=post", "/todos", "/settings", "/no-such-page"]) {
      await open(page, js, path);
      await scan(page, js, path);
    }
  });

  test("every page, signed in, has no axe violations", async ({ page, js }) => {
    await signUp(page, newUser("axe"));
    const post = await publish(page, js);
    await scan(page, js, "/posts/:slug (own post)");
    for (const path of ["/", "/posts", `${post}/edit`, "/contact/thanks", "/settings", "/settings/profile"]) {
      await open(page, js, path);
      await scan(page, js, path.replace(post, "/posts/:slug"));
    }
    await open(page, js, "/todos");
    await page.getByLabel("New todo", { exact: true }).fill("Water the plants");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await expect(page.locator(".todo-list > li")).toHaveCount(1);
    await scan(page, js, "/todos (one todo)");

    // A refused post: the summary and the field's message.
    await open(page, js, "/posts");
    await page.getByLabel("Title", { exact: true }).fill("   ");
    await page.getByLabel("Content", { exact: true }).fill("No title.");
    await page.getByRole("button", { name: "Publish", exact: true }).click();
    await expect(page.getByRole("alert")).toBeFocused();
    await scan(page, js, "/posts, refused");
  });

  test("the admin page has no axe violations", async ({ page, js }) => {
    await signIn(page, admin());
    await open(page, js, "/admin");
    await scan(page, js, "/admin");
  });
});
