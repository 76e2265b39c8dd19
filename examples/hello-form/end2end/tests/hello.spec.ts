import { test as base, expect } from "@playwright/test";
import { harness } from "../../../../formwork/e2e/index";

const { bothWays, open, expectNoReload } = harness(base, expect);

// The same name both ways: the outcomes are compared.
const name = `Ada ${Date.now().toString(36)}`;

bothWays("a valid name is greeted and heads the list", async ({ page, js }) => {
  await open(page, js, "/");
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Say hello" }).click();
  const status = page.getByRole("status");
  const first = page.locator("[data-fw-region=names] li").first();
  await expect(status).toHaveText(`Hello, ${name}!`);
  await expect(first).toHaveText(name);
  await expectNoReload(page, js);
  return { status: await status.textContent(), first: await first.textContent(), path: new URL(page.url()).pathname };
});

bothWays("a name the rule refuses is explained at its field and not kept", async ({ page, js }) => {
  await open(page, js, "/");
  const names = page.locator("[data-fw-region=names] li");
  const before = await names.count();
  // Three characters for the browser's own check, one for the schema's (it trims).
  await page.getByLabel("Name").fill(" x ");
  await page.getByRole("button", { name: "Say hello" }).click();
  const error = page.locator("#name-error");
  await expect(error).toHaveText("Name needs at least 2 characters.");
  await expect(page.getByLabel("Name")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByRole("status")).toHaveCount(0);
  await expectNoReload(page, js);
  await page.goto("/");
  return { errorAfterReload: await error.count(), message: "Name needs at least 2 characters.", added: (await names.count()) - before };
});
