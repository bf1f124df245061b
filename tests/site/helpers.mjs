// Shared helpers for the site tests: build catalogs with the infercat binary, serve a directory
// on 127.0.0.1, launch Debian's Chromium with the network cut off.
import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, statSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, extname, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = process.env.INFERCAT_BIN || join(REPO, "target", "debug", "infercat");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

export function infercat(args, opts = {}) {
  const done = spawnSync(BIN, args, { cwd: REPO, encoding: "utf8", maxBuffer: 1 << 28, ...opts });
  if (done.status !== 0) throw new Error(`infercat ${args.join(" ")} failed (${done.status}): ${done.stderr}`);
  return done;
}

/// Builds a catalog (tables + site) from a raw directory into a fresh temp dir.
export function buildCatalog(raw, extra = []) {
  const out = mkdtempSync(join(tmpdir(), "infercat-site-"));
  infercat(["build", "--raw", raw, "--out", out, ...extra]);
  return out;
}

const TYPES = { ".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript", ".json": "application/json",
  ".svg": "image/svg+xml", ".yaml": "application/yaml", ".csv": "text/csv", ".parquet": "application/octet-stream" };

/// Serves `dir` on 127.0.0.1 (random port); resolves to { url, close }.
export function serve(dir) {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const file = resolve(join(root, path.endsWith("/") ? path + "index.html" : path));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] || "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => {
    const { port } = server.address();
    ok({ url: `http://127.0.0.1:${port}/`, origin: `127.0.0.1:${port}`, close: () => new Promise((done) => server.close(done)) });
  }));
}

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"],
  });
}

/// A page whose every request to a host other than `origin` is aborted and recorded, and whose
/// console errors, page errors, failed requests and dialogs are recorded.
export async function watchedPage(browser, origin) {
  const context = await browser.newContext();
  const problems = [];
  const offHost = [];
  const dialogs = [];
  const bytes = { total: 0 };
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.host === origin || url.protocol === "data:") return route.continue();
    offHost.push(url.href);
    return route.abort();
  });
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", async (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    try { bytes.total += (await r.body()).length; } catch { /* redirects have no body */ }
  });
  page.on("dialog", async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  return { context, page, problems, offHost, dialogs, bytes };
}

/// Every file under `dir`, relative, with forward slashes.
export function walk(dir, base = dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full, base) : [full.slice(base.length + 1).split("\\").join("/")];
  });
}
