// The server the specs start for themselves when BASE_URL names none (see playwright.config.ts):
// the binary the last build made (`cargo leptos end-to-end`, `cargo leptos build`), serving
// target/site, on a fresh SQLite database in a temporary directory, with the admin the specs
// sign in as created first by the command line, as on a real site.
//
//   E2E_PORT            the port on 127.0.0.1 (3010)
//   E2E_ADMIN_USERNAME  the admin to create, and E2E_ADMIN_PASSWORD its password
//   E2E_SERVER          the server binary (default: the newest of target/{release,debug}/server
//                       that cargo-leptos built, under CARGO_TARGET_DIR when set)
//   E2E_REDIS_URL       a Redis for the rate limits and revalidations (default: in memory)
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const port = process.env.E2E_PORT ?? "3010";
const base = `http://127.0.0.1:${port}`;

function server() {
  if (process.env.E2E_SERVER) return process.env.E2E_SERVER;
  const dirs = [join(root, "target")];
  const custom = process.env.CARGO_TARGET_DIR;
  if (custom) dirs.unshift(isAbsolute(custom) ? custom : join(root, custom));
  const built = dirs
    .flatMap((dir) => ["release", "debug"].map((profile) => join(dir, profile, "server")))
    // cargo-leptos leaves the hashes of the site's files beside the binary it built; a binary
    // without them was built by plain cargo and cannot serve target/site.
    .filter((path) => existsSync(path) && existsSync(join(path, "..", "hash.txt")))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!built.length) {
    console.error(`no server binary built by cargo-leptos under ${dirs.join(" or ")}: build first (cargo leptos build --project formwork-site)`);
    process.exit(1);
  }
  return built[0];
}

const binary = server();
const work = mkdtempSync(join(tmpdir(), "formwork-e2e-"));
// Only what the server needs: nothing from the caller's shell (a DATABASE_URL, a METRICS_ADDR)
// reaches it by accident.
const env = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: process.env.HOME ?? work,
  DATABASE_URL: `sqlite:${join(work, "e2e.db")}`,
  RUST_LOG: "warn",
};

const admin = spawnSync(
  binary,
  ["create-admin", "--username", process.env.E2E_ADMIN_USERNAME ?? "e2e-admin", "--email", "admin@example.org"],
  { cwd: root, env: { ...env, ADMIN_PASSWORD: process.env.E2E_ADMIN_PASSWORD ?? "" }, stdio: ["ignore", "ignore", "inherit"] },
);
if (admin.status !== 0) {
  rmSync(work, { recursive: true, force: true });
  console.error(`${binary} create-admin failed`);
  process.exit(1);
}

const child = spawn(binary, [], {
  cwd: root,
  stdio: ["ignore", "inherit", "inherit"],
  env: {
    ...env,
    RUST_LOG: "warn,server=info",
    LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
    LEPTOS_SITE_ROOT: "target/site",
    LEPTOS_OUTPUT_NAME: "formwork",
    LEPTOS_HASH_FILES: "true",
    PUBLIC_ORIGIN: base,
    OBJECTS_DIR: join(work, "objects"),
    TRUSTED_PROXIES: "127.0.0.1",
    ...(process.env.E2E_REDIS_URL ? { REDIS_URL: process.env.E2E_REDIS_URL } : {}),
  },
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => child.kill("SIGTERM"));
child.on("exit", (code, signal) => {
  rmSync(work, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
