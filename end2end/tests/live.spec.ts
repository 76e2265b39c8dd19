import { test, expect, uniqueTitle, open, signUp, watch, countActionPosts, expectNoReload } from "./fixtures";
import type { Page } from "@playwright/test";

// What one person changes shows up, without a reload, on every page open elsewhere that
// shows it: only the parts that show it, and only once. The person acting runs with and
// without JavaScript; the watching browser always has it (live updates need it).

async function publish(page: Page, js: boolean, title: string, button = "Publish"): Promise<void> {
  await open(page, js, "/posts");
  await send(page, title, button);
}

/** Fills in the open "New post" form and sends it. */
async function send(page: Page, title: string, button = "Publish"): Promise<void> {
  await page.getByLabel("Title", { exact: true }).fill(title);
  await page.getByLabel("Content", { exact: true }).fill("Seen live elsewhere.");
  await page.getByRole("button", { name: button, exact: true }).click();
}

test.describe("live", () => {
  test("a post published in one browser appears in another's open list, without a reload", async ({ page, js, browser }) => {
    const watcher = await watch(browser, "/posts");
    await signUp(page);
    const title = uniqueTitle("Live");
    await publish(page, js, title);
    await expect(watcher.page.getByRole("link", { name: title })).toBeVisible();
    await expect(watcher.page.locator(".post-list > li").first()).toContainText(title);
    expect(watcher.requests("/posts"), "the list was read once").toBe(1);
    await watcher.close();
  });

  test("the publishing tab sends one request and reads its list once", async ({ page, js, browser }) => {
    await signUp(page);
    await open(page, js, "/posts");
    const watcher = await watch(browser, "/posts");
    const posts = countActionPosts(page);
    let listReads = 0;
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (request.method() === "GET" && url.pathname === "/posts") listReads += 1;
    });
    const title = uniqueTitle("Once");
    await send(page, title);
    await expect(page.locator(".post-list > li").first()).toContainText(title);
    // By the time another browser shows it, this tab has heard it on its own stream too.
    await expect(watcher.page.locator(".post-list > li").first()).toContainText(title);
    expect(posts()).toBe(1);
    expect(listReads, "the list is read once: its own answer and the stream are one revalidation").toBe(1);
    await watcher.close();
  });

  test("a new comment updates every open view of its post, and nothing else on it", async ({ page, js, browser }) => {
    await signUp(page);
    const title = uniqueTitle("Talked about");
    await publish(page, js, title, "Publish and open");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
    const path = new URL(page.url()).pathname;

    const watcher = await watch(browser, path);
    // The post itself is another region, tagged with the post: it must stay as it is.
    await watcher.page.locator('[data-fw-region="post"] article').evaluate((el) => {
      (el as unknown as { __kept: boolean }).__kept = true;
    });
    await open(page, js, path);
    await page.getByLabel("Comment", { exact: true }).fill("Seen from afar.");
    await page.getByRole("button", { name: "Comment", exact: true }).click();
    await expect(page.locator(".comment-list > li", { hasText: "Seen from afar." })).toBeVisible();

    await expect(watcher.page.locator(".comment-list > li", { hasText: "Seen from afar." })).toBeVisible();
    const kept = await watcher.page
      .locator('[data-fw-region="post"] article')
      .evaluate((el) => (el as unknown as { __kept?: boolean }).__kept === true);
    expect(kept, "the post's own region was not replaced").toBe(true);
    expect(watcher.requests(path), "one read of the page").toBe(1);
    await watcher.close();
  });

  // `subscribe` names the page that shows the count (`revalidate_path("/newsletter")`), not a
  // tag: the count is read afresh in this tab (after the 303 without JavaScript), and every
  // other tab open on the page refreshes what it read.
  test("the newsletter's count goes up here and on every open newsletter page (revalidate_path)", async ({ page, js, browser }) => {
    const watcher = await watch(browser, "/newsletter");
    const count = async (p: Page) => Number((await p.locator(".subscriber-count").textContent())?.match(/\d+/)?.[0] ?? "0");
    const before = await count(watcher.page);
    await open(page, js, "/newsletter");
    expect(await count(page)).toBe(before);
    await page.getByLabel("Email").fill(`${uniqueTitle("reader").replace(/[^a-z0-9]/gi, "")}@example.org`);
    await page.getByRole("button", { name: "Subscribe" }).click();
    await expect(page.getByRole("status")).toContainText("Subscribed!");
    const after = new RegExp(`^${before + 1} readers? so far\\.$`);
    await expect(page.locator(".subscriber-count")).toHaveText(after);
    await expect(watcher.page.locator(".subscriber-count")).toHaveText(after);
    expect(watcher.requests("/newsletter"), "one read of the page").toBe(1);
    await expectNoReload(page, js);
    await watcher.close();
  });

  test("a page whose stream was refused reconnects by itself and catches up", async ({ page, js, browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: true });
    const watcher = await context.newPage();
    // The first connection is refused (a proxy's 503, say): the browser gives up on it, the
    // page tries again by itself, from where it was rendered.
    let attempts = 0;
    let published!: () => void;
    const afterPublishing = new Promise<void>((resolve) => (published = resolve));
    await watcher.route("**/_formwork/live*", async (route) => {
      attempts += 1;
      if (attempts === 1) return route.fulfill({ status: 503, body: "busy" });
      // It gets through only after the post is out: what it missed must be replayed.
      await afterPublishing;
      await route.continue();
    });
    await open(watcher, true, "/posts");
    await expect.poll(() => attempts, { message: "the refused stream was asked for" }).toBeGreaterThan(0);

    // Published while that page had no stream.
    await signUp(page);
    const title = uniqueTitle("Missed");
    await publish(page, js, title);
    await expect(page.locator(".post-list > li").first()).toContainText(title);
    published();
    await expect(watcher.locator("html")).toHaveAttribute("data-fw-live", "open");
    await expect(watcher.getByRole("link", { name: title })).toBeVisible();
    expect(attempts).toBeGreaterThan(1);
    await expectNoReload(watcher, true);
    await context.close();
  });
});
