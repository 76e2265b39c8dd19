// Playwright's global setup in `formworkConfig`: waits until the server answers before the
// first spec runs. `cargo leptos end-to-end` starts the server and the test command together,
// so the first specs would otherwise meet a port nobody listens on yet.

/** How long a server may take to start (a debug build, a database migration). */
const PATIENCE_MS = 60_000;

export default async function ready(): Promise<void> {
  const base = process.env.FORMWORK_E2E_BASE_URL ?? "http://127.0.0.1:3000";
  const until = Date.now() + PATIENCE_MS;
  let last = "";
  while (Date.now() < until) {
    try {
      // Any answer at all means it listens: the page itself is the specs' business.
      await fetch(base, { redirect: "manual", signal: AbortSignal.timeout(5_000) });
      return;
    } catch (problem) {
      last = String((problem as Error).cause ?? problem);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no server answered at ${base} within ${PATIENCE_MS / 1000} s (${last})`);
}
