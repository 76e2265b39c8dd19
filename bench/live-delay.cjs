// Measures the delay from an action to another browser's update: a post is published with a
// script call to one server, and a page of /posts open in Chromium (on the same server or on
// another instance) shows it; the time between sending the action and the title appearing
// in that page's DOM is one sample. Prints the median and worst of N runs.
//
// Usage: node live-delay.cjs <publish base URL> <watch base URL> <runs> <label>
//   env SESSION: the publisher's fw_session cookie; CHROMIUM_PATH: the browser.
const { chromium } = require("@playwright/test");

async function main() {
  const [publishBase, watchBase, runsArg, label] = process.argv.slice(2);
  const runs = Number(runsArg || 20);
  const cookie = `fw_session=${process.env.SESSION}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
  const watcher = await browser.newPage();
  await watcher.goto(`${watchBase}/posts`);
  await watcher.waitForSelector('html[data-fw-live="open"]');
  await watcher.evaluate(() => {
    const seen = (window.__seen = {});
    const look = () => {
      for (const link of document.querySelectorAll(".post-list h2 a")) {
        if (!(link.textContent in seen)) seen[link.textContent] = Date.now();
      }
    };
    look();
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  const page = await (await fetch(`${publishBase}/posts`, { headers: { cookie } })).text();
  const action = page.match(/action="(\/api\/create_post[^"]*)"/)[1];

  const delays = [];
  for (let i = 0; i < runs; i++) {
    const title = `Live ${i} ${Date.now().toString(36)}`;
    const sent = Date.now();
    const response = await fetch(`${publishBase}${action}`, {
      method: "POST",
      headers: {
        cookie,
        accept: "application/json",
        "content-type": "application/x-www-form-urlencoded",
        origin: publishBase,
      },
      body: `title=${encodeURIComponent(title)}&content=Measured.`,
    });
    if (!response.ok) throw new Error(`publishing answered ${response.status}: ${await response.text()}`);
    await watcher.waitForFunction((t) => window.__seen[t] !== undefined, title, { timeout: 10_000 });
    delays.push((await watcher.evaluate((t) => window.__seen[t], title)) - sent);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await browser.close();
  delays.sort((a, b) => a - b);
  const median = runs % 2 ? delays[(runs - 1) / 2] : (delays[runs / 2 - 1] + delays[runs / 2]) / 2;
  console.log(
    `${label.padEnd(44)} median ${String(median).padStart(5)} ms   worst ${String(delays[runs - 1]).padStart(5)} ms   best ${String(delays[0]).padStart(4)} ms   (${runs} runs)`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
