import { test, expect, open, signUp, expectNoReload, countActionPosts, hold } from "./fixtures";
import type { Browser, BrowserContext, Page } from "@playwright/test";

// Personal todos: with JavaScript every change shows at once and settles on the server's
// answer; without it the same forms post and come back. Both end on the same page.

function row(page: Page, title: string) {
  return page.locator(".todo-list > li", { has: page.locator(".todo-title", { hasText: new RegExp(`^${title}$`) }) });
}

function tick(page: Page, title: string) {
  return page.getByRole("checkbox", { name: `Done: ${title}`, exact: true });
}

async function add(page: Page, title: string): Promise<void> {
  await page.getByLabel("New todo", { exact: true }).fill(title);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(row(page, title)).toBeVisible();
  // Settled: the server has named it (a todo it has not named yet cannot be ticked).
  await expect(tick(page, title)).toBeEnabled();
}

/** Another tab of the same person, always with JavaScript, on /todos and live. */
async function secondTab(browser: Browser, context: BrowserContext): Promise<Page> {
  const other = await browser.newContext({ javaScriptEnabled: true, storageState: await context.storageState() });
  const page = await other.newPage();
  await open(page, true, "/todos");
  await expect(page.locator("html")).toHaveAttribute("data-fw-live", "open");
  return page;
}

/**
 * With JavaScript, an answer is followed by the page it leads to: the first such page asked
 * for from now on is rendered at once but delivered only at `release()`. `asked` settles once
 * it has been rendered. Without JavaScript nothing is held (each post's page is a document load).
 */
async function holdNextPage(page: Page, js: boolean): Promise<{ asked: Promise<void>; release: () => void }> {
  let release = () => {};
  let rendered = () => {};
  const asked = new Promise<void>((resolve) => (rendered = resolve));
  if (!js) return { asked, release };
  const gate = new Promise<void>((resolve) => (release = resolve));
  let first = true;
  await page.route(
    (url) => url.pathname === "/todos",
    async (route) => {
      if (route.request().resourceType() !== "fetch" || !first) return route.continue();
      first = false;
      const response = await route.fetch();
      rendered();
      await gate;
      await route.fulfill({ response });
    },
  );
  return { asked, release };
}

/**
 * A user with "Buy milk" and "Call Ada" on /todos ticks "Buy milk"; with JavaScript its page
 * is then held (rendered, not yet delivered) until `release()`.
 */
async function tickWithPageHeld(page: Page, js: boolean): Promise<{ release: () => void }> {
  await signUp(page);
  await open(page, js, "/todos");
  await add(page, "Buy milk");
  await add(page, "Call Ada");
  const tickPage = await holdNextPage(page, js);
  await tick(page, "Buy milk").click();
  if (js) await tickPage.asked;
  return tickPage;
}

/** "Buy milk" ticked and "Call Ada" renamed "Call Ada back", as shown and after a reload. */
async function expectTickedAndRenamed(page: Page, js: boolean): Promise<void> {
  for (const shown of [false, true]) {
    if (shown) await page.reload();
    await expect(row(page, "Call Ada back")).toBeVisible();
    await expect(row(page, "Call Ada")).toHaveCount(0);
    await expect(tick(page, "Buy milk")).toHaveAttribute("aria-checked", "true");
    await expect(page.locator(".todo-count")).toHaveText("1 to do");
    if (!shown) await expectNoReload(page, js);
  }
}

test.describe("todos", () => {
  test("signed out, the page asks to sign in", async ({ page }) => {
    const response = await page.goto("/todos");
    expect(response?.status()).toBe(401);
    await expect(page.locator(".notice")).toContainText("sign in to keep a todo list");
  });

  test("todos are added, ticked, renamed and deleted, and stay so", async ({ page, js }) => {
    await signUp(page);
    await open(page, js, "/todos");
    await expect(page.getByText("Nothing to do.")).toBeVisible();
    await add(page, "Buy milk");
    await add(page, "Call Ada");
    await expect(page.locator(".todo-count")).toHaveText("2 to do");

    await tick(page, "Buy milk").click();
    await expect(tick(page, "Buy milk")).toHaveAttribute("aria-checked", "true");
    await expect(page.locator(".todo-count")).toHaveText("1 to do");

    await page.getByLabel("New title for Call Ada", { exact: true }).fill("Call Ada back");
    await page.getByRole("button", { name: "Rename Call Ada", exact: true }).click();
    await expect(row(page, "Call Ada back")).toBeVisible();

    await page.getByRole("button", { name: "Delete Buy milk", exact: true }).click();
    await expect(row(page, "Buy milk")).toHaveCount(0);
    await expectNoReload(page, js);

    await page.reload();
    await expect(page.locator(".todo-list > li")).toHaveCount(1);
    await expect(tick(page, "Call Ada back")).toHaveAttribute("aria-checked", "false");
    await expect(page.locator(".todo-count")).toHaveText("1 to do");
  });

  test("a change's page that arrives after a later change's page does not undo the later change", async ({ page, js }) => {
    // The tick's page, rendered before the rename, is held until the rename's page is shown:
    // it arrives last, older than what the page shows.
    const tickPage = await tickWithPageHeld(page, js);
    await page.getByLabel("New title for Call Ada", { exact: true }).fill("Call Ada back");
    await page.getByRole("button", { name: "Rename Call Ada", exact: true }).click();
    if (js) {
      // The rename's page is shown (its form at rest) while the tick's is still on its way.
      await expect(row(page, "Call Ada back").locator("form.todo-rename")).not.toHaveAttribute("aria-busy", "true");
      await expect(row(page, "Buy milk").locator("form.todo-done")).toHaveAttribute("aria-busy", "true");
      tickPage.release();
      // The tick's page has arrived: no form is on its way any more.
      await expect(page.locator("form[aria-busy]")).toHaveCount(0);
    }
    await expectTickedAndRenamed(page, js);
  });

  test("typing goes on where it was while another change's page lands around it", async ({ page, js }) => {
    // The tick's page lands while the rename box has the focus and part of the new title.
    const tickPage = await tickWithPageHeld(page, js);
    const box = page.getByLabel("New title for Call Ada", { exact: true });
    await box.fill("Call");
    tickPage.release();
    await expect(tick(page, "Buy milk")).toHaveAttribute("aria-checked", "true");
    await expect(page.locator("form[aria-busy]")).toHaveCount(0);
    // The page is the server's now; the box is still the one being typed in, caret and all.
    await expect(box).toBeFocused();
    await expect(box).toHaveValue("Call");
    await page.keyboard.type(" Ada back");
    await page.keyboard.press("Enter");
    await expectTickedAndRenamed(page, js);
  });

  test("a change from another tab keeps what was typed here and not sent, and the focus", async ({ page, js, browser, context }) => {
    await signUp(page);
    await open(page, js, "/todos");
    await add(page, "Mow lawn");
    const other = await secondTab(browser, context);
    const field = other.getByLabel("New title for Mow lawn", { exact: true });
    await field.fill("Mow the lawn");
    await expect(field).toBeFocused();
    // This tab adds a todo: the other tab's list is rendered anew around the field.
    await add(page, "Rake leaves");
    await expect(row(other, "Rake leaves")).toBeVisible();
    await expect(field).toHaveValue("Mow the lawn");
    await expect(field).toBeFocused();
    await expect(row(other, "Mow lawn")).toBeVisible();
    // A field only focused, nothing typed in it yet: the keys pressed next still go there.
    const next = other.getByLabel("New todo", { exact: true });
    await next.focus();
    await add(page, "Sweep yard");
    await expect(row(other, "Sweep yard")).toBeVisible();
    await expect(next).toBeFocused();
    await other.keyboard.type("Oil gate");
    await expect(next).toHaveValue("Oil gate");
    await expectNoReload(other, true);
    await other.context().close();
  });

  test("a new todo shows at once, as the text that was typed, and settles into a real row", async ({ page, js }) => {
    await signUp(page);
    await open(page, js, "/todos");
    await expect(page.getByText("Nothing to do.")).toBeVisible();
    // Markup and a template's own slot syntax, typed as a title: it stays text everywhere.
    const title = `<img src=x onerror="document.title='pwned'">Milk & {title}`;
    const titled = page.locator(".todo-list > li", { has: page.locator(".todo-title", { hasText: title }) });
    const release = await hold(page, "add_todo");
    await page.getByLabel("New todo", { exact: true }).fill(title);
    const clicked = page.getByRole("button", { name: "Add", exact: true }).click();
    if (js) {
      await clicked;
      // Before the server has answered: the row as typed, counted, with nothing to press yet.
      await expect(titled).toBeVisible();
      await expect(tick(page, title)).toBeDisabled();
      await expect(page.locator(".todo-count")).toHaveText("1 to do");
      await expect(page.getByText("Nothing to do.")).toBeHidden();
    }
    release();
    await clicked;
    await expect(tick(page, title)).toBeEnabled();
    await expect(titled).toHaveCount(1);
    await expect(page.locator(".todo-list > li")).toHaveCount(1);
    await expect(page.locator(".todo-count")).toHaveText("1 to do");
    await expect(page.getByText("Nothing to do.")).toBeHidden();
    await expect(page.locator(".todo-list img")).toHaveCount(0);
    await expect(page).not.toHaveTitle("pwned");
    await expectNoReload(page, js);
  });

  test("a delete and a rename show at once, and settle on the server's answer", async ({ page, js }) => {
    await signUp(page);
    await open(page, js, "/todos");
    await add(page, "Walk dog");
    await add(page, "Wash car");
    const releaseDelete = await hold(page, "delete_todo");
    const deleted = page.getByRole("button", { name: "Delete Walk dog", exact: true }).click();
    if (js) {
      await deleted;
      await expect(row(page, "Walk dog")).toBeHidden();
      await expect(page.locator(".todo-count")).toHaveText("1 to do");
    }
    releaseDelete();
    await deleted;
    await expect(row(page, "Walk dog")).toHaveCount(0);
    await expect(page.locator(".todo-count")).toHaveText("1 to do");

    const releaseRename = await hold(page, "rename_todo");
    await page.getByLabel("New title for Wash car", { exact: true }).fill("Wash bike");
    const renamed = page.getByRole("button", { name: "Rename Wash car", exact: true }).click();
    if (js) {
      await renamed;
      await expect(page.locator(".todo-title")).toHaveText(["Wash bike"]);
    }
    releaseRename();
    await renamed;
    await expect(page.locator(".todo-title")).toHaveText(["Wash bike"]);
    await expect(tick(page, "Wash bike")).toBeEnabled();
    await expectNoReload(page, js);
  });

  test("a tick shows at once and settles on the server's answer, in one request", async ({ page, js }) => {
    await signUp(page);
    await open(page, js, "/todos");
    await add(page, "Water plants");
    const posts = countActionPosts(page);
    let reads = 0;
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/api/list_todos") reads += 1;
    });
    const release = await hold(page, "set_todo_done");
    // Without JavaScript the click is a navigation that waits for the held answer.
    const clicked = tick(page, "Water plants").click();
    if (js) {
      await clicked;
      // Before the server has answered, the page already shows it ticked.
      await expect(tick(page, "Water plants")).toHaveAttribute("aria-checked", "true");
      await expect(page.locator(".todo-count")).toHaveText("0 to do");
    }
    release();
    await clicked;
    await expect(tick(page, "Water plants")).toHaveAttribute("aria-checked", "true");
    await expect(row(page, "Water plants").locator("form.todo-done")).not.toHaveAttribute("aria-busy", "true");
    await expect(page.locator(".todo-list > li")).toHaveCount(1);
    expect(posts()).toBe(1);
    expect(reads, "the answer is the new list: nothing is fetched after it").toBe(0);
    await expectNoReload(page, js);
  });

  test("a tick the server refuses is rolled back and explained at its todo", async ({ page, js }) => {
    await signUp(page);
    await open(page, js, "/todos");
    await add(page, "Feed the cat");
    // The server gets a request it must refuse: a `done` that is neither true nor false.
    const release = await hold(page, "set_todo_done", (body) => body.replace(/done=true/, "done=maybe"));
    const clicked = tick(page, "Feed the cat").click();
    if (js) {
      await clicked;
      await expect(tick(page, "Feed the cat")).toHaveAttribute("aria-checked", "true");
    }
    release();
    await clicked;
    await expect(row(page, "Feed the cat").getByRole("alert")).toContainText("The submitted data could not be read");
    await expect(tick(page, "Feed the cat")).toHaveAttribute("aria-checked", "false");
    await expect(page.locator(".todo-count")).toHaveText("1 to do");
    await page.unroute("**/api/set_todo_done*");
    await page.reload();
    await expect(tick(page, "Feed the cat")).toHaveAttribute("aria-checked", "false");
  });

  test("a rename to a title already on the list is rolled back and explained", async ({ page, js }) => {
    await signUp(page);
    await open(page, js, "/todos");
    await add(page, "Pay rent");
    await add(page, "Pay bills");
    await page.getByLabel("New title for Pay bills", { exact: true }).fill("Pay rent");
    await page.getByRole("button", { name: "Rename Pay bills", exact: true }).click();
    // Beside the field, and in the form's summary as a link to it.
    await expect(row(page, "Pay bills").locator(".field-error")).toHaveText("You already have a todo called “Pay rent”.");
    await expect(row(page, "Pay bills").getByRole("alert").getByRole("link")).toHaveText("You already have a todo called “Pay rent”.");
    await expect(row(page, "Pay rent")).toHaveCount(1);
    await expect(page.locator(".todo-list > li")).toHaveCount(2);
    await expectNoReload(page, js);
  });

  test("ticks from two tabs at once converge, and each tab follows the other", async ({ page, js, browser, context }) => {
    await signUp(page);
    await open(page, js, "/todos");
    await add(page, "Book tickets");
    const other = await secondTab(browser, context);
    await expect(tick(other, "Book tickets")).toHaveAttribute("aria-checked", "false");
    let sent = 0;
    for (const tab of [page, other]) {
      tab.on("request", (request) => {
        if (new URL(request.url()).pathname.startsWith("/api/set_todo_done")) sent += 1;
      });
    }

    // Both tabs tick it at the same moment (both requests are on their way before either is
    // answered): it ends ticked, not ticked and unticked again.
    const [releaseHere, releaseThere] = [await hold(page, "set_todo_done"), await hold(other, "set_todo_done")];
    const clicks = Promise.all([tick(page, "Book tickets").click(), tick(other, "Book tickets").click()]);
    await expect.poll(() => sent, { message: "both ticks were sent" }).toBe(2);
    releaseHere();
    releaseThere();
    await clicks;
    await expect(tick(page, "Book tickets")).toHaveAttribute("aria-checked", "true");
    await expect(tick(other, "Book tickets")).toHaveAttribute("aria-checked", "true");
    await page.unroute("**/api/set_todo_done*");
    await other.unroute("**/api/set_todo_done*");

    // One tab's change shows in the other without a reload.
    await open(page, js, "/todos");
    await tick(page, "Book tickets").click();
    await expect(tick(page, "Book tickets")).toHaveAttribute("aria-checked", "false");
    await expect(tick(other, "Book tickets")).toHaveAttribute("aria-checked", "false");
    await add(page, "Pack bags");
    await expect(row(other, "Pack bags")).toBeVisible();
    await expectNoReload(other, true);
    await other.context().close();
  });
});
