import { test, expect, uniqueTitle, open, expectNoReload, countActionPosts, signUp, signOut, newUser } from "./fixtures";

const newPostForm = "form:has(#new-post-title)";

test.describe("posts", () => {
  // Writing needs an account: every test here starts signed in as a new user.
  test.beforeEach(async ({ page }) => {
    await signUp(page);
  });

  test("publishing from the list shows the post at the top of the list", async ({ page, js }) => {
    await open(page, js, "/posts");
    const title = uniqueTitle("Stay");
    await page.getByLabel("Title", { exact: true }).fill(title);
    await page.getByLabel("Content", { exact: true }).fill("Written on the list page.");
    await page.getByRole("button", { name: "Publish", exact: true }).click();

    const first = page.locator(".post-list > li").first();
    await expect(first.getByRole("heading")).toHaveText(title);
    await expect(first.locator(".excerpt")).toHaveText("Written on the list page.");
    await expect(page).toHaveURL(/\/posts$/);
    await expect(page.getByLabel("Title", { exact: true })).toHaveValue("");
    await expect(page.getByRole("status")).toHaveText(`Published ${title}.`);
    await expectNoReload(page, js);
  });

  test("publish and open lands on the post's own page under its slug", async ({ page, js }) => {
    await open(page, js, "/posts");
    const title = uniqueTitle("Open Me");
    await page.getByLabel("Title", { exact: true }).fill(title);
    await page.getByLabel("Content", { exact: true }).fill("A post of its own.");
    await page.getByRole("button", { name: "Publish and open" }).click();

    const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, "-");
    await expect(page).toHaveURL(new RegExp(`/posts/${slug}$`));
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
    // Where a reader starts: the page's heading (a document load starts at its top).
    if (js) await expect(page.getByRole("heading", { level: 1 })).toBeFocused();
    await expect(page.locator("article .content")).toHaveText("A post of its own.");
    await expect(page).toHaveTitle(new RegExp(title));
    // With JavaScript the post's page replaced the list in this same document: no load.
    await expectNoReload(page, js);

    // The redirect made a history entry: back is the list, forward the post again.
    await page.goBack();
    await expect(page).toHaveURL(/\/posts$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Posts");
    await page.goForward();
    await expect(page).toHaveURL(new RegExp(`/posts/${slug}$`));
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
    await expectNoReload(page, js);
  });

  test("a title that is taken gets the next free suffix", async ({ page, js }) => {
    const title = uniqueTitle("Same Title");
    const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, "-");
    for (const expected of [slug, `${slug}-2`, `${slug}-3`]) {
      await open(page, js, "/posts");
      await page.getByLabel("Title", { exact: true }).fill(title);
      await page.getByLabel("Content", { exact: true }).fill("Again.");
      await page.getByRole("button", { name: "Publish and open" }).click();
      await expect(page).toHaveURL(new RegExp(`/posts/${expected}$`));
    }
  });

  test("invalid input is explained in the form, and nothing is published", async ({ page, js }) => {
    const posts = countActionPosts(page);
    await open(page, js, "/posts");
    const before = await page.locator(".post-list > li").count();
    // Spaces pass the browser's `required` check; the server trims and refuses them.
    await page.getByLabel("Title", { exact: true }).fill("   ");
    await page.getByLabel("Content", { exact: true }).fill("Content without a title.");
    await page.getByRole("button", { name: "Publish", exact: true }).click();

    await expect(page.locator("#title-error")).toHaveText("Title cannot be empty.");
    await expect(page.getByLabel("Title", { exact: true })).toHaveAttribute("aria-invalid", "true");
    await expect(page.getByLabel("Title", { exact: true })).toHaveAttribute("aria-describedby", "title-error");
    await expect(page.getByRole("alert").locator(".form-error")).toHaveText("Some fields need attention: see the notes beside them.");
    // Nothing the user typed is lost, and nothing rides in the URL.
    await expect(page.getByLabel("Content", { exact: true })).toHaveValue("Content without a title.");
    await expect(page).toHaveURL(/\/posts$/);
    await expect(page.locator(".post-list > li")).toHaveCount(before);
    await expectNoReload(page, js);
    // With JavaScript the runtime checked the schema's rules itself and sent nothing; without it, the
    // server was asked once and refused.
    expect(posts()).toBe(js ? 0 : 1);
  });

  test("a field is checked against the schema when the user leaves it, and passes once fixed", async ({ page, js }) => {
    await open(page, js, "/posts");
    const title = page.getByLabel("Title", { exact: true });
    const content = page.getByLabel("Content", { exact: true });
    await title.fill("  ");
    await content.focus(); // leave the title
    if (js) {
      // With JavaScript the message shows at once, with the server's exact words.
      await expect(page.locator("#title-error")).toHaveText("Title cannot be empty.");
      await expect(title).toHaveAttribute("aria-invalid", "true");
    }
    await content.fill("Checked as I go.");
    await page.getByRole("button", { name: "Publish", exact: true }).click();
    await expect(page.locator("#title-error")).toHaveText("Title cannot be empty.");
    await expect(title).toHaveAttribute("aria-invalid", "true");

    const fixed = uniqueTitle("Fixed");
    await title.fill(fixed);
    if (js) {
      // Once flagged, the field is checked as the user types: the message goes as soon as it is right.
      await expect(page.locator("#title-error")).toHaveCount(0);
      await expect(title).not.toHaveAttribute("aria-invalid");
    }
    await page.getByRole("button", { name: "Publish", exact: true }).click();
    await expect(page.getByRole("status")).toHaveText(`Published ${fixed}.`);
    await expect(page.locator("#title-error")).toHaveCount(0);
    await expect(page.getByRole("alert")).toHaveCount(0);
  });

  test("the inputs carry the schema's rules as HTML constraints", async ({ page, js }) => {
    await open(page, js, "/posts");
    const title = page.getByLabel("Title", { exact: true });
    await expect(title).toHaveAttribute("required", "");
    await expect(title).toHaveAttribute("maxlength", "200");
    await expect(page.getByLabel("Content", { exact: true })).toHaveAttribute("maxlength", "10000");
    // An empty title never leaves the browser: its own constraint check stops it.
    const posts = countActionPosts(page);
    await page.getByLabel("Content", { exact: true }).fill("No title at all.");
    await page.getByRole("button", { name: "Publish", exact: true }).click();
    // The browser refuses to submit and puts the focus on the field that needs filling.
    await expect(title).toBeFocused();
    await expect(page.getByRole("status")).toHaveCount(0);
    expect(posts()).toBe(0);
  });

  test("a reload after publishing neither publishes again nor repeats the message", async ({ page, js }) => {
    await open(page, js, "/posts");
    const title = uniqueTitle("Once Only");
    await page.getByLabel("Title", { exact: true }).fill(title);
    await page.getByLabel("Content", { exact: true }).fill("Exactly one of me.");
    await page.getByRole("button", { name: "Publish", exact: true }).click();
    await expect(page.getByRole("status")).toHaveText(`Published ${title}.`);
    await expect(page.getByRole("link", { name: title })).toHaveCount(2); // message + list

    await page.reload();
    await expect(page.getByRole("status")).toHaveCount(0);
    await expect(page.locator(".post-list").getByRole("link", { name: title })).toHaveCount(1);
  });

  test("a submission sent twice on the wire (a retry, a replayed request) publishes once", async ({ page, js }) => {
    await open(page, js, "/posts");
    const title = uniqueTitle("Sent Twice");
    await page.getByLabel("Title", { exact: true }).fill(title);
    await page.getByLabel("Content", { exact: true }).fill("One of me, whatever the network does.");
    // The post goes out twice, byte for byte: the first answer is lost, the second is shown.
    await page.route((url) => url.pathname.startsWith("/api/create_post"), async (route) => {
      await route.fetch({ maxRedirects: 0 });
      await route.continue();
    });
    await page.getByRole("button", { name: "Publish", exact: true }).click();
    await expect(page.getByRole("status")).toHaveText(`Published ${title}.`);
    await page.unrouteAll();
    await open(page, js, "/posts");
    await expect(page.locator(".post-list").getByRole("link", { name: title })).toHaveCount(1);
  });

  test("a double click on publish gives one post", async ({ page, js }) => {
    const posts = countActionPosts(page);
    let sent: { url: string; body: string; type: string } | undefined;
    page.on("request", (request) => {
      if (request.method() === "POST" && !sent) {
        sent = { url: request.url(), body: request.postData() ?? "", type: request.headers()["content-type"] };
      }
    });
    await open(page, js, "/posts");
    const title = uniqueTitle("Double Click");
    await page.getByLabel("Title", { exact: true }).fill(title);
    await page.getByLabel("Content", { exact: true }).fill("Clicked twice.");
    // With JavaScript, hold the action's answer to see the form while it is in flight.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    if (js) {
      await page.route((url) => url.pathname.startsWith("/api/"), async (route) => {
        await held;
        await route.continue();
      });
    }
    await page.getByRole("button", { name: "Publish", exact: true }).dblclick();
    if (js) {
      // The useFormStatus analogue: the button says what is happening and takes no more clicks.
      await expect(page.getByRole("button", { name: "Publishing…" })).toBeDisabled();
      await expect(page.locator(newPostForm)).toHaveAttribute("aria-busy", "true");
      release();
    }
    await expect(page.getByRole("status")).toHaveText(`Published ${title}.`);
    await expect(page.getByRole("button", { name: "Publish", exact: true })).toBeEnabled();

    if (js) {
      // The pending form ignored the second click.
      expect(posts()).toBe(1);
    } else {
      // Chromium drops a second click on a form that is already navigating, but not every
      // browser does, and a resubmitted page sends the same form again: send the browser's
      // own request once more, as a browser would, and the server must not publish twice.
      const again = await page.request.post(sent!.url, {
        headers: { "content-type": sent!.type, accept: "text/html" },
        data: sent!.body,
        maxRedirects: 0,
      });
      expect(again.status()).toBe(303);
      expect(again.headers()["location"]).toBe("/posts");
    }
    await page.reload();
    await expect(page.locator(".post-list").getByRole("link", { name: title })).toHaveCount(1);
  });

  test("a forged or replayed flash cookie shows nothing", async ({ page, js, context, baseURL }) => {
    // Capture the real flash cookie a plain post sets, to replay it later.
    let flashCookie = "";
    page.on("response", async (response) => {
      const set = (await response.allHeaders())["set-cookie"] ?? "";
      const match = /fw_flash=([^;]+)/.exec(set);
      if (match && match[1] !== "") flashCookie = match[1];
    });
    await open(page, js, "/contact");
    await page.getByLabel("Name").fill("A ");
    // The server must refuse it: with JavaScript the runtime would refuse it first, unsent.
    await page.getByLabel("Name").evaluate((el) => el.removeAttribute("data-fw-rule"));
    await page.getByLabel("Email").fill("ada@example.org");
    await page.getByLabel("Message").fill("Hello there, team!");
    await page.getByRole("button", { name: "Send" }).click();
    await expect(page.locator("#name-error")).toHaveText("Name needs at least 2 characters.");
    // The listener reads the headers asynchronously: it may finish after the page showed the
    // refusal.
    await expect.poll(() => flashCookie, { message: "the post set a flash cookie" }).not.toBe("");

    for (const value of [flashCookie, "00000000000000000000000000000000.forged", "garbage"]) {
      await context.addCookies([{ name: "fw_flash", value, url: baseURL! }]);
      const response = await page.goto("/contact");
      expect(response?.status()).toBe(200);
      await expect(page.locator("#name-error")).toHaveCount(0);
      await expect(page.getByRole("alert")).toHaveCount(0);
      await expect(page.getByLabel("Name")).toHaveValue("");
    }
  });

  test("deleting a post from its page returns to the list without it", async ({ page, js }) => {
    await open(page, js, "/posts");
    const title = uniqueTitle("Short Lived");
    await page.getByLabel("Title", { exact: true }).fill(title);
    await page.getByLabel("Content", { exact: true }).fill("Soon gone.");
    await page.getByRole("button", { name: "Publish and open" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
    const postUrl = page.url();

    await page.getByRole("button", { name: `Delete “${title}”` }).click();
    await expect(page).toHaveURL(/\/posts$/);
    await expect(page.getByRole("link", { name: title })).toHaveCount(0);

    const gone = await page.goto(postUrl);
    expect(gone?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  });

  test("deleting from the list stays on the same page of the list", async ({ page, js }) => {
    await open(page, js, "/posts");
    const title = uniqueTitle("Delete From List");
    await page.getByLabel("Title", { exact: true }).fill(title);
    await page.getByLabel("Content", { exact: true }).fill("Listed, then deleted.");
    await page.getByRole("button", { name: "Publish", exact: true }).click();
    const listed = page.locator(".post-list").getByRole("link", { name: title });
    await expect(listed).toBeVisible();

    await page.getByRole("button", { name: `Delete “${title}”` }).click();
    await expect(page).toHaveURL(/\/posts$/);
    await expect(listed).toHaveCount(0);
  });

  test("the list pages through posts twenty at a time, newest first", async ({ page, js, baseURL }) => {
    await open(page, js, "/posts");
    const action = await page.locator(newPostForm).getAttribute("action");
    expect(action).toBeTruthy();
    const prefix = uniqueTitle("Paged");
    for (let i = 1; i <= 21; i++) {
      // Straight to the action as this site's own script would (the user's cookie, our origin).
      const response = await page.request.post(action!, {
        headers: { origin: baseURL! },
        form: { title: `${prefix} #${i}`, content: `Number ${i}.` },
      });
      expect(response.status()).toBe(200);
    }

    await open(page, js, "/posts");
    const titles = page.locator(".post-list > li h2");
    await expect(titles).toHaveCount(20);
    await expect(titles.first()).toHaveText(`${prefix} #21`);
    await expect(titles.last()).toHaveText(`${prefix} #2`);
    await expect(page.getByRole("link", { name: "← Newer" })).toHaveCount(0);

    // Pages go by position: the next one is "older than the last post shown".
    await page.getByRole("link", { name: "Older →" }).click();
    await expect(page).toHaveURL(/\/posts\?before=\d+$/);
    await expect(page.locator(".post-list > li h2").first()).toHaveText(`${prefix} #1`);
    await expect(page.getByRole("link", { name: "← Newer" })).toHaveAttribute("href", "/posts");
    await page.getByRole("link", { name: "← Newer" }).click();
    await expect(page).toHaveURL(/\/posts$/);
    await expect(page.locator(".post-list > li h2").first()).toHaveText(`${prefix} #21`);
  });

  test("a post sent after signing out in another tab is refused in the form: please sign in", async ({ page, js, context }) => {
    await open(page, js, "/posts");
    const title = uniqueTitle("Too Late");
    await page.getByLabel("Title", { exact: true }).fill(title);
    await page.getByLabel("Content", { exact: true }).fill("Written while signed in.");
    // Another tab of the same browser signs out.
    const other = await context.newPage();
    await other.goto("/posts");
    await signOut(other);
    await other.close();

    await page.getByRole("button", { name: "Publish", exact: true }).click();
    await expect(page.getByRole("alert")).toHaveText("Please sign in to do this.");
    await expect(page).toHaveURL(/\/posts$/);
    await page.goto("/posts");
    await expect(page.locator(".post-list").getByRole("link", { name: title })).toHaveCount(0);
  });

  test("an unknown post is a real 404 page", async ({ page }) => {
    const response = await page.goto("/posts/there-is-no-such-post");
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  });
});

test("the home page links to the posts", async ({ page }) => {
  await page.goto("/");
  await page.getByRole("link", { name: "Read the posts" }).click();
  await expect(page).toHaveURL(/\/posts$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Posts");
});

test.describe("editing", () => {
  test.beforeEach(async ({ page }) => {
    await signUp(page);
  });

  async function publish(page: import("@playwright/test").Page, title: string, content: string): Promise<string> {
    // Straight to the action, as this site's own script would: the test is about the edit page.
    await page.goto("/posts");
    const action = (await page.locator(newPostForm).getAttribute("action"))!;
    const response = await page.request.post(action, {
      headers: { origin: new URL(page.url()).origin },
      form: { title, content },
    });
    expect(response.status()).toBe(200);
    return (await response.json()).slug;
  }

  test("only the author may edit a post; others see no Edit or Delete, and the edit page says why", async ({ page, js }) => {
    const title = uniqueTitle("Authored");
    const slug = await publish(page, title, "Mine alone.");
    await open(page, js, `/posts/${slug}`);
    await expect(page.getByRole("link", { name: "Edit" })).toBeVisible();
    await expect(page.getByRole("button", { name: `Delete “${title}”` })).toBeVisible();

    await signOut(page);
    const other = await signUp(page, newUser("other"));
    await open(page, js, `/posts/${slug}`);
    await expect(page.locator(".byline .author")).not.toHaveText(other.username);
    await expect(page.getByRole("link", { name: "Edit" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: `Delete “${title}”` })).toHaveCount(0);
    const refused = await page.goto(`/posts/${slug}/edit`);
    expect(refused?.status()).toBe(403);
    await expect(page.getByRole("alert")).toHaveText("Only its author can edit this post.");
    await expect(page.getByLabel("Title")).toHaveCount(0);
  });

  test("a post is edited in place and keeps its address", async ({ page, js }) => {
    const title = uniqueTitle("Draft");
    const slug = await publish(page, title, "First version.");
    await open(page, js, `/posts/${slug}`);
    await page.getByRole("link", { name: "Edit" }).click();
    await expect(page).toHaveURL(new RegExp(`/posts/${slug}/edit$`));
    await expect(page.getByLabel("Title")).toHaveValue(title);
    await expect(page.getByLabel("Content")).toHaveValue("First version.");

    // A blank title is explained at the field, and what the user wrote stays.
    await page.getByLabel("Title").fill("   ");
    await page.getByLabel("Content").fill("Second version.");
    await page.getByRole("button", { name: "Save changes" }).click();
    await expect(page).toHaveURL(new RegExp(`/posts/${slug}/edit$`));
    await expect(page.locator("#title-error")).toHaveText("Title cannot be empty.");
    await expect(page.getByLabel("Title")).toHaveAttribute("aria-invalid", "true");
    await expect(page.getByLabel("Content")).toHaveValue("Second version.");

    const renamed = uniqueTitle("Final");
    await page.getByLabel("Title").fill(renamed);
    await page.getByRole("button", { name: "Save changes" }).click();
    await expect(page).toHaveURL(new RegExp(`/posts/${slug}$`));
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(renamed);
    await expect(page.locator("article .content")).toHaveText("Second version.");
  });

  test("a bound id changed in the page is refused with a clear message", async ({ page, js }) => {
    const slug = await publish(page, uniqueTitle("Guarded"), "Keep me.");
    const other = await publish(page, uniqueTitle("Target"), "Not yours to edit.");
    await open(page, js, `/posts/${other}/edit`);
    const otherId = await page.locator('form.edit-post input[name="id"]').getAttribute("value");
    await open(page, js, `/posts/${slug}/edit`);
    // Swap the signed id's value for the other post's, keeping this form's signature.
    const mine = await page.locator('form.edit-post input[name="id"]').getAttribute("value");
    const forged = `${otherId!.split(".")[0]}.${mine!.split(".")[1]}`;
    await page.locator('form.edit-post input[name="id"]').evaluate((el, v) => ((el as HTMLInputElement).value = v), forged);
    await page.getByLabel("Title").fill("Hijacked");
    await page.getByRole("button", { name: "Save changes" }).click();

    await expect(page.getByRole("alert")).toContainText(
      "This form was changed after the server made it. Reload the page and try again.",
    );
    await open(page, js, `/posts/${other}`);
    await expect(page.getByRole("heading", { level: 1 })).not.toHaveText("Hijacked");
  });
});
