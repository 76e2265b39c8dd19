// Lists the WASM and JS a page really loads in Chromium: the files its HTML names and the
// ones fetched afterwards (formwork's runtime, the split loader, a lazy island's chunks). Prints one line per
// file, "<page path> <file URL>", for bench/run.sh to weigh.
//
// Usage: node bundle.cjs <base URL> <page path>...
//   env SESSION: an fw_session cookie to load the pages with; CHROMIUM_PATH: the browser.
const { chromium } = require("@playwright/test");

async function main() {
  const [base, ...paths] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
  const context = await browser.newContext();
  if (process.env.SESSION) {
    await context.addCookies([{ name: "fw_session", value: process.env.SESSION, url: base }]);
  }
  for (const path of paths) {
    const page = await context.newPage();
    const files = new Set();
    page.on("response", (response) => {
      const url = new URL(response.url());
      const ours = url.pathname.startsWith("/pkg/") || url.pathname.startsWith("/_formwork/");
      if (ours && /\.(wasm|js)$/.test(url.pathname)) files.add(url.pathname);
    });
    await page.goto(`${base}${path}`, { waitUntil: "networkidle" });
    // Every form formwork enhances is live: the runtime's at once, the islands' once hydrated
    // (they hydrate when the browser is idle).
    await page.waitForFunction(() =>
      [...document.querySelectorAll("form[data-fw-form]")].every((f) => f.hasAttribute("data-fw-ready")),
    );
    await page.waitForLoadState("networkidle");
    for (const file of [...files].sort()) console.log(`${path} ${file}`);
    await page.close();
  }
  await browser.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
