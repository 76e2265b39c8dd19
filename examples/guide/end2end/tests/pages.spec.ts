import { test, expect } from "@playwright/test";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

// The guide's pages (docs/guide) show the examples' code: each ```rust block that starts with
// `// examples/guide/<file>#<anchor>` must be, line for line, the code between
// `// ANCHOR: <anchor>` and `// ANCHOR_END: <anchor>` in that file (dedented). The pages'
// links must resolve, each concept page must have its four parts, and each test a page names
// under "Try it" must be one of this suite's.

const root = resolve(__dirname, "../../../..");
const guide = join(root, "docs/guide");
const pages = readdirSync(guide).filter((name) => name.endsWith(".md"));
const spec = readFileSync(join(__dirname, "guide.spec.ts"), "utf8");

/** The anchored region of `file`, without nested anchor lines, dedented. */
function region(file: string, anchor: string): string {
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const start = lines.findIndex((line) => line.trim() === `// ANCHOR: ${anchor}`);
  const end = lines.findIndex((line) => line.trim() === `// ANCHOR_END: ${anchor}`);
  if (start < 0 || end < start) throw new Error(`${file} has no anchor ${anchor}`);
  const body = lines.slice(start + 1, end).filter((line) => !/^\s*\/\/ ANCHOR(_END)?: /.test(line));
  const indent = Math.min(...body.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return body.map((line) => line.slice(indent)).join("\n");
}

/** The ```rust blocks of a page that name their source. */
function included(text: string): { source: string; anchor: string; code: string }[] {
  const blocks = [...text.matchAll(/```rust\n([\s\S]*?)\n```/g)].map((m) => m[1]);
  return blocks.flatMap((block) => {
    const [first, ...rest] = block.split("\n");
    const named = first.match(/^\/\/ (examples\/guide\/\S+)#(\S+)$/);
    return named ? [{ source: named[1], anchor: named[2], code: rest.join("\n") }] : [];
  });
}

test("the guide has a page for every concept, linked from the first page", () => {
  const first = readFileSync(join(guide, "README.md"), "utf8");
  const linked = new Set([...first.matchAll(/\]\(([\w-]+\.md)\)/g)].map((m) => m[1]));
  const concepts = pages.filter((p) => p !== "README.md");
  expect(concepts.length).toBeGreaterThanOrEqual(16);
  for (const page of concepts) expect(linked, `README.md links ${page}`).toContain(page);
});

for (const page of pages) {
  test(`${page}: its code is the examples' code, its links resolve`, () => {
    const text = readFileSync(join(guide, page), "utf8");
    for (const { source, anchor, code } of included(text)) {
      expect(code, `${page}: ${source}#${anchor}`).toBe(region(source, anchor));
    }
    for (const [, target] of text.matchAll(/\]\(((?:\.\.\/)*[\w./-]+)\)/g)) {
      if (/^https?:/.test(target)) continue;
      expect(existsSync(resolve(dirname(join(guide, page)), target)), `${page} links ${target}`).toBe(true);
    }
    if (page === "README.md" || page === "common-mistakes.md") return;
    for (const part of ["## Next.js", "## Formwork", "## What differs, and why", "## Try it"]) {
      expect(text, `${page} has "${part}"`).toContain(`\n${part}\n`);
    }
    expect(included(text).length, `${page} shows the examples' code`).toBeGreaterThan(0);
    const tryIt = text.slice(text.indexOf("## Try it"));
    const named = [...tryIt.matchAll(/"([^"]+)"/g)].map((m) => m[1].replace(/\s+/g, " ").replace(/…$/, ""));
    expect(named.length, `${page} names a test`).toBeGreaterThan(0);
    for (const title of named) expect(spec, `${page} names the test "${title}"`).toContain(title);
  });
}
