import { deflateSync } from "node:zlib";
import { test, expect, uniqueTitle, open, signUp } from "./fixtures";
import type { Page } from "@playwright/test";

// The avatar: uploaded at /settings/profile through a multipart action, with and without
// JavaScript, checked by its bytes, prepared by a job, and shown next to the user's posts.

const WRONG_TYPE =
  "This file is not a JPEG, PNG or WebP image, whatever its name says. Choose a picture in one of those formats.";

/** CRC-32 of `bytes`, as PNG chunks carry it. */
function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** A `width`×`height` RGB PNG; `noise` makes its pixels random (so it does not compress). */
function png(width: number, height: number, noise = false): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width * 3; x++) {
      rows[row + 1 + x] = noise ? Math.floor(Math.random() * 256) : (x * 7 + y * 3) & 255;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows, { level: noise ? 0 : 6 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Waits for the profile's picture: with JavaScript the live stream brings it into the page
 * when its job is done; without, the page looks again by itself while it is being prepared. */
async function expectPicture(page: Page): Promise<string> {
  const picture = page.locator("img.avatar-large");
  await expect(picture).toBeVisible({ timeout: 20_000 });
  await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(256);
  return (await picture.getAttribute("src")) ?? "";
}

test.describe("avatar", () => {
  test("an uploaded picture is shown on the profile and next to the user's posts", async ({ page, js }) => {
    await signUp(page);
    await open(page, js, "/posts");
    const title = uniqueTitle("Portrait");
    await page.getByLabel("Title", { exact: true }).fill(title);
    await page.getByLabel("Content", { exact: true }).fill("With a face.");
    await page.getByRole("button", { name: "Publish and open" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
    await expect(page.locator(".byline img.avatar")).toHaveCount(0);

    await open(page, js, "/settings/profile");
    await expect(page.getByText("You have no picture yet.")).toBeVisible();
    await page.getByLabel("New picture").setInputFiles({ name: "me.png", mimeType: "image/png", buffer: png(300, 200) });
    await page.getByRole("button", { name: "Upload picture" }).click();
    if (js) {
      await expect(page.getByRole("status").filter({ hasText: "Received your PNG image (300×200)" })).toBeVisible();
    }
    const src = await expectPicture(page);
    expect(src).toMatch(/^\/avatars\/\d+\/[0-9a-f]{32}\.jpg$/);
    await expect(page.getByText("You have no picture yet.")).toHaveCount(0);

    // Served as a JPEG that no browser will sniff as anything else, cached for good.
    const served = await page.request.get(src);
    expect(served.status()).toBe(200);
    expect(served.headers()["content-type"]).toBe("image/jpeg");
    expect(served.headers()["x-content-type-options"]).toBe("nosniff");
    expect(served.headers()["cache-control"]).toBe("public, max-age=31536000, immutable");

    // Next to the post, in the list and on its page.
    await open(page, js, "/posts");
    const item = page.locator(".post-list > li", { hasText: title });
    await expect(item.locator("img.avatar")).toHaveAttribute("src", src);
    await item.getByRole("link", { name: title }).click();
    await expect(page.locator(".byline img.avatar")).toHaveAttribute("src", src);
    await expect.poll(() => page.locator(".byline img.avatar").evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(256);
  });

  test("a file that is not an image is refused at the field, whatever its name", async ({ page, js }) => {
    await signUp(page);
    await open(page, js, "/settings/profile");
    await page.getByLabel("New picture").setInputFiles({
      name: "holiday.png",
      mimeType: "image/png",
      buffer: Buffer.from("GIF89a, or really just some text pretending to be a picture"),
    });
    await page.getByRole("button", { name: "Upload picture" }).click();
    await expect(page.locator("#avatar-error")).toHaveText(WRONG_TYPE);
    await expect(page.getByLabel("New picture")).toHaveAttribute("aria-invalid", "true");
    await expect(page.getByText("You have no picture yet.")).toBeVisible();
    // Then a real one goes through.
    await page.getByLabel("New picture").setInputFiles({ name: "real.png", mimeType: "image/png", buffer: png(64, 64) });
    await page.getByRole("button", { name: "Upload picture" }).click();
    await expectPicture(page);
    await expect(page.locator("#avatar-error")).toHaveCount(0);
  });

  test("a file over 5 MB is refused with the limit, and nothing changes", async ({ page, js }) => {
    await signUp(page);
    await open(page, js, "/settings/profile");
    const tooBig = Buffer.concat([png(64, 64), Buffer.alloc(5 * 1024 * 1024)]);
    await page.getByLabel("New picture").setInputFiles({ name: "huge.png", mimeType: "image/png", buffer: tooBig });
    await page.getByRole("button", { name: "Upload picture" }).click();
    // With JavaScript the browser refuses it before sending; without, the server does as the
    // body arrives. The same words either way.
    await expect(page.getByRole("alert")).toContainText("This is too large to send: the limit is 5 MB. Make it smaller and try again.");
    await expect(page.getByText("You have no picture yet.")).toBeVisible();
  });

  test("on a slow connection the upload shows its progress and can be cancelled", async ({ page, js, context }) => {
    await signUp(page);
    await open(page, js, "/settings/profile");
    // About 3 MB that do not compress, sent at 1 MB/s.
    const big = png(1000, 1000, true);
    expect(big.length).toBeGreaterThan(2_900_000);
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 20,
      downloadThroughput: -1,
      uploadThroughput: 1024 * 1024,
    });
    const input = page.getByLabel("New picture");
    const progress = page.locator(".upload-progress progress");
    if (js) {
      // The bar moves while the bytes go out, and the button stops them.
      await input.setInputFiles({ name: "big.png", mimeType: "image/png", buffer: big });
      await page.getByRole("button", { name: "Upload picture" }).click();
      await expect(progress).toBeVisible();
      const seen = new Set<number>();
      await expect
        .poll(async () => {
          const value = Number(await progress.evaluate((bar: HTMLProgressElement) => bar.value));
          if (value > 0 && value < big.length) seen.add(value);
          return seen.size;
        })
        .toBeGreaterThanOrEqual(2);
      expect(Number(await progress.getAttribute("max"))).toBeGreaterThanOrEqual(big.length);
      await expect(page.locator(".upload-bytes")).toContainText("MB of");
      await page.getByRole("button", { name: "Cancel upload" }).click();
      await expect(page.getByRole("alert")).toHaveText("The upload was cancelled; nothing was changed.");
      await expect(progress).toBeHidden();
      await expect(page.getByText("You have no picture yet.")).toBeVisible();
    }
    // Sent to the end, it becomes the picture, with or without JavaScript.
    await input.setInputFiles({ name: "big.png", mimeType: "image/png", buffer: big });
    await page.getByRole("button", { name: "Upload picture" }).click();
    await expectPicture(page);
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
  });
});
