import { test, expect, uniqueTitle, open, signUp, expectNoReload } from "./fixtures";
import type { Page } from "@playwright/test";

// Search is a read: a plain GET form, rendered by the server, with an address for every
// query. With JavaScript the results follow the typing; both end on the same page.

async function publish(page: Page, js: boolean, title: string, content: string): Promise<void> {
  await open(page, js, "/posts");
  await page.getByLabel("Title", { exact: true }).fill(title);
  await page.getByLabel("Content", { exact: true }).fill(content);
  await page.getByRole("button", { name: "Publish", exact: true }).click();
  await expect(page.locator(".post-list > li").first()).toContainText(title);
}

test.describe("search", () => {
  test("finds posts by title and text, marks the matches, escapes them, and keeps an address", async ({ page, js }) => {
    await signUp(page);
    const word = `zq${Date.now().toString(36)}`;
    const title = uniqueTitle(`<b>${word}</b> in the title`);
    await publish(page, js, title, "Nothing special here.");
    await publish(page, js, uniqueTitle("Plain title"), `The text says ${word.toUpperCase()} once.`);
    await publish(page, js, uniqueTitle("Unrelated"), "Nothing to find.");

    await open(page, js, "/search");
    await expect(page.getByText("Type a word or two")).toBeVisible();
    await page.getByLabel("Words to look for").fill(word);
    if (js) {
      // Results follow the typing: no need to press anything, and the address keeps up.
      await expect(page.getByRole("status")).toHaveText(`2 posts match “${word}”.`);
      await expect(page).toHaveURL(new RegExp(`/search\\?q=${word}$`));
    }
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`/search\\?q=${word}$`));
    await expect(page.getByRole("status")).toHaveText(`2 posts match “${word}”.`);
    const results = page.getByRole("list", { name: "Results" });
    await expect(results.locator("li")).toHaveCount(2);
    // Markup in a title is text, and the matches are marked whatever their case.
    await expect(results.getByRole("link", { name: title })).toBeVisible();
    await expect(results.locator("b")).toHaveCount(0);
    await expect(results.locator("mark")).toHaveText([word.toUpperCase(), word]);
    await expectNoReload(page, js);

    // The address is the search: opened afresh, it shows the same.
    await page.goto(`/search?q=${word}`);
    await expect(page.getByRole("status")).toHaveText(`2 posts match “${word}”.`);
  });

  test("case is folded the Unicode way: straße finds STRASSE, ÉLAN finds élan", async ({ page, js }) => {
    await signUp(page);
    const word = `zq${Date.now().toString(36)}`;
    await publish(page, js, uniqueTitle(`Die STRASSE ${word}`), "Eine Straße in Berlin, voll élan.");

    await open(page, js, "/search");
    await page.getByLabel("Words to look for").fill(`straße ${word}`);
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await expect(page.getByRole("status")).toHaveText(`1 post matches “straße ${word}”.`);
    const results = page.getByRole("list", { name: "Results" });
    await expect(results.locator("mark")).toHaveText(["STRASSE", word, "Straße"]);

    await page.getByLabel("Words to look for").fill(`ÉLAN ${word}`);
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await expect(page.getByRole("status")).toHaveText(`1 post matches “ÉLAN ${word}”.`);
    await expect(results.locator("mark")).toHaveText([word, "élan"]);
    await expectNoReload(page, js);
  });

  test("an empty search explains itself, and one too long is refused with the limit", async ({ page }) => {
    const empty = await page.goto("/search?q=+++");
    expect(empty?.status()).toBe(200);
    await expect(page.getByText("Type a word or two")).toBeVisible();

    const long = await page.goto(`/search?q=${"a".repeat(201)}`);
    expect(long?.status()).toBe(400);
    await expect(page.getByRole("alert")).toHaveText("That search is 201 characters long; use at most 200.");
    await expect(page.getByLabel("Words to look for")).toHaveValue("a".repeat(200));

    await page.goto("/search?q=nothing-matches-this-at-all");
    await expect(page.getByRole("status")).toHaveText("No posts match “nothing-matches-this-at-all”.");
  });
});
