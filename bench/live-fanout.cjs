// Holds N live streams open on one instance, as N open pages of /posts would, then publishes
// a post R times and times how long each stream takes to hear the revalidation. Prints the
// server's resident memory per open stream and, over all rounds, the p50, p99 and worst
// delay from sending the action to a stream reading its event, with how many streams heard
// it (every one must).
//
// Usage: [METRICS_URL=<the operator port's /metrics>] node live-fanout.cjs <base URL> <server pid> <streams> <rounds>
//   env SESSION: the publisher's fw_session cookie.
const http = require("node:http");
const fs = require("node:fs");

const [base, pidArg, streamsArg, roundsArg] = process.argv.slice(2);
const streams = Number(streamsArg || 10_000);
const rounds = Number(roundsArg || 5);
const cookie = `fw_session=${process.env.SESSION}`;
const { hostname, port } = new URL(base);
const subscription = "/_formwork/live?path=%2Fposts&tags=posts";

const rssKib = () => {
  const status = fs.readFileSync(`/proc/${pidArg}/status`, "utf8");
  return Number(status.match(/^VmRSS:\s+(\d+) kB/m)[1]);
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;

// One stream: resolves once the server's first frame (the retry hint) is in; `heard` is
// called with the time each `revalidate` event is read.
function open(heard) {
  return new Promise((resolve, reject) => {
    const request = http.get({ hostname, port, path: subscription, agent: false, headers: { accept: "text/event-stream" } });
    request.on("error", reject);
    request.on("response", (response) => {
      if (response.statusCode !== 200) return reject(new Error(`the stream answered ${response.statusCode}`));
      response.setEncoding("utf8");
      let buffered = "";
      let ready = false;
      response.on("data", (chunk) => {
        const at = now();
        buffered += chunk;
        let end;
        while ((end = buffered.indexOf("\n\n")) >= 0) {
          const frame = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          if (!ready && /^retry:/m.test(frame)) {
            ready = true;
            resolve(request);
          }
          if (/^event: ?revalidate$/m.test(frame)) heard(at);
        }
      });
      response.on("end", () => reject(new Error("a stream ended")));
    });
  });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main() {
  const page = await (await fetch(`${base}/posts`, { headers: { cookie } })).text();
  const action = page.match(/action="(\/api\/create_post[^"]*)"/)[1];

  const before = rssKib();
  let round = null; // { sent, delays[] } while a round runs
  const requests = [];
  const opening = now();
  // In batches, so the listen backlog never overflows and no connection waits on a SYN retry.
  for (let i = 0; i < streams; i += 250) {
    const batch = [];
    for (let j = i; j < Math.min(streams, i + 250); j++) {
      batch.push(open((at) => round && round.delays.push(at - round.sent)));
    }
    requests.push(...(await Promise.all(batch)));
  }
  const opened = now() - opening;
  await sleep(1000);
  const after = rssKib();
  // The operator's port (METRICS_URL): the public address answers /metrics with a 404.
  const metrics = await (await fetch(process.env.METRICS_URL || `${base}/metrics`)).text();
  const counted = Number((metrics.match(/^formwork_live_streams (\d+)$/m) || [])[1]);
  console.log(
    `${streams} streams open in ${(opened / 1000).toFixed(1)} s; the server counts ${counted}; ` +
      `RSS ${(before / 1024).toFixed(1)} MiB → ${(after / 1024).toFixed(1)} MiB: ` +
      `${(((after - before) * 1024) / streams / 1024).toFixed(1)} KiB per stream`,
  );

  const all = [];
  let missed = 0;
  for (let r = 0; r < rounds; r++) {
    round = { sent: now(), delays: [] };
    const response = await fetch(`${base}${action}`, {
      method: "POST",
      headers: {
        cookie,
        accept: "application/json",
        "content-type": "application/x-www-form-urlencoded",
        origin: base,
      },
      body: `title=${encodeURIComponent(`Fan-out ${r} ${Date.now().toString(36)}`)}&content=Measured.`,
    });
    if (!response.ok) throw new Error(`publishing answered ${response.status}: ${await response.text()}`);
    const deadline = now() + 10_000;
    while (round.delays.length < streams && now() < deadline) await sleep(5);
    const delays = round.delays.sort((a, b) => a - b);
    missed += streams - delays.length;
    console.log(
      `  round ${r + 1}: ${delays.length}/${streams} heard it; p50 ${percentile(delays, 50).toFixed(1)} ms, ` +
        `p99 ${percentile(delays, 99).toFixed(1)} ms, last ${delays[delays.length - 1].toFixed(1)} ms`,
    );
    all.push(...delays);
    round = null;
    await sleep(500);
  }
  all.sort((a, b) => a - b);
  console.log(
    `fan-out to ${streams} streams over ${rounds} rounds: p50 ${percentile(all, 50).toFixed(1)} ms, ` +
      `p99 ${percentile(all, 99).toFixed(1)} ms (goal ≤ 1000 ms), worst ${all[all.length - 1].toFixed(1)} ms; ` +
      `${missed} missed (goal 0)`,
  );
  for (const request of requests) request.destroy();
  if (missed > 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
