// The generated catalog site in real headless Chromium with the network cut off: every page
// loads cleanly, filters and targets work and agree with the CLI, every link resolves, hostile
// input stays text, and the index stays light.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join, dirname, normalize } from "node:path";
import { REPO, buildCatalog, infercat, serve, launch, watchedPage, walk } from "./helpers.mjs";

let bundled, hostile, wild, browser, server, hostileServer, wildServer;

before(async () => {
  bundled = buildCatalog(join(REPO, "data", "raw"), ["--strict"]);
  hostile = buildCatalog(join(REPO, "tests", "fixtures", "catalog"), ["--models-file", join(REPO, "tests", "fixtures", "catalog-models.toml")]);
  server = await serve(join(bundled, "site"));
  hostileServer = await serve(join(hostile, "site"));
  wild = buildCatalog(join(REPO, "tests", "fixtures", "wild"), ["--strict"]);
  wildServer = await serve(join(wild, "site"));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await hostileServer?.close();
  await wildServer?.close();
});

async function open(srv, path) {
  const w = await watchedPage(browser, srv.origin);
  await w.page.goto(srv.url + path, { waitUntil: "load" });
  await w.page.waitForLoadState("networkidle");
  return w;
}

test("every page loads with no console error, failed request or request to another host", async () => {
  const pages = walk(join(bundled, "site")).filter((f) => f.endsWith(".html"));
  assert.ok(pages.length >= 20, `only ${pages.length} pages`);
  for (const path of pages) {
    const w = await open(server, path);
    assert.deepEqual(w.problems, [], `${path}: ${w.problems.join("; ")}`);
    assert.deepEqual(w.offHost, [], `${path} asked another host`);
    await w.context.close();
  }
});

test("every link and download on every page resolves to a file in the site", async () => {
  const site = join(bundled, "site");
  const pages = walk(site).filter((f) => f.endsWith(".html"));
  let checked = 0;
  for (const path of pages) {
    const w = await open(server, path);
    const hrefs = await w.page.$$eval("a[href]", (as) => as.map((a) => a.getAttribute("href")));
    for (const href of hrefs) {
      if (/^[a-z]+:/i.test(href) || href.startsWith("#")) continue;
      const target = normalize(join(dirname(path), href.split("#")[0].split("?")[0]));
      assert.ok(existsSync(join(site, target)), `${path} links to missing ${href}`);
      checked += 1;
    }
    await w.context.close();
  }
  assert.ok(checked > 100, `only ${checked} links checked`);
});

test("a profile page's tables and facts, written without optional end tags, parse as written", async () => {
  // Each row has a cell under every header, no cell holds another, and each term has its value.
  const pages = walk(join(bundled, "site")).filter((f) => f.startsWith("profiles/") && f.endsWith(".html"));
  assert.ok(pages.length > 20, `only ${pages.length} profile pages`);
  for (const path of pages.slice(0, 12)) {
    const w = await open(server, path);
    const shape = await w.page.evaluate(() => ({
      tables: Array.from(document.querySelectorAll("table.numbers, table.costs, table.provenance")).map((t) => ({
        headers: t.tHead.rows[0].cells.length,
        rows: Array.from(t.tBodies[0].rows).map((r) => r.cells.length),
        nested: t.querySelectorAll("td td, td th, td tr").length,
      })),
      facts: Array.from(document.querySelector("dl.facts").children).map((c) => c.tagName),
    }));
    assert.equal(shape.tables.length, 3, path);
    for (const t of shape.tables) {
      assert.ok(t.rows.length > 0 && t.rows.every((n) => n === t.headers), `${path}: ${JSON.stringify(t)}`);
      assert.equal(t.nested, 0, path);
    }
    assert.ok(shape.facts.length >= 16, path);
    shape.facts.forEach((tag, i) => assert.equal(tag, i % 2 ? "DD" : "DT", `${path}: facts ${shape.facts.join(",")}`));
    await w.context.close();
  }
});

test("a profile has one manifest file, and its page rebuilds the HPA and bucket variants from it byte for byte", async () => {
  const site = join(bundled, "site");
  const page = walk(site).find((f) => f.startsWith("profiles/") && readFileSync(join(site, f), "utf8").split('class="derived-manifest"').length === 3);
  assert.ok(page, "a profile page with both derived variants");
  const id = page.slice("profiles/".length, -".html".length);
  const base = readFileSync(join(site, "manifests", id + ".yaml"), "utf8");
  assert.ok(!existsSync(join(site, "manifests", id)), "no per-variant files");
  const w = await open(server, page);
  await w.page.waitForFunction(() => Array.from(document.querySelectorAll("a.derived-manifest")).every((a) => a.href.startsWith("blob:")));
  const variants = await w.page.$$eval("a.derived-manifest", (as) => Promise.all(as.map(async (a) => ({
    name: a.getAttribute("download"),
    hunks: JSON.parse(a.parentElement.querySelector("script").textContent),
    text: await (await fetch(a.href)).text(),
  }))));
  assert.equal(await w.page.$$eval(".no-js-only", (n) => n.length), 0, "the no-script hint goes once the links work");
  // The rule, written out here on its own: replace `remove` lines at `at` with `insert`, last
  // hunk first; a number n >= 0 in `insert` is that line of the unpatched base, and -1 - n is
  // line n of the lines the templates share, which the site lists once.
  const sharedScript = readFileSync(join(site, "assets", "manifest-lines.js"), "utf8");
  const shared = JSON.parse(sharedScript.match(/^IC\.manifestLines = (.*);$/m)[1]);
  const rebuilt = (hunks) => {
    const original = base.match(/[^\n]*\n|[^\n]+$/g) || [];
    const lines = [...original];
    const line = (l) => (typeof l !== "number" ? l : l >= 0 ? original[l] : shared[-1 - l]);
    for (const [at, remove, insert] of [...hunks].reverse()) lines.splice(at, remove, ...insert.map(line));
    return lines.join("");
  };
  const numbered = (test) => variants.some((v) => v.hunks.some(([, , insert]) => insert.some((l) => typeof l === "number" && test(l))));
  assert.ok(numbered((l) => l >= 0), "lines the base has are written as their numbers");
  assert.ok(numbered((l) => l < 0), "lines the templates spell are written as their shared numbers");
  for (const v of variants) assert.equal(v.text, rebuilt(v.hunks), v.name);
  // Named for the point it autoscales at: `-hpa-knee.yaml`, or `-hpa-highest-point.yaml`.
  const hpa = variants.find((v) => /-hpa-(knee|highest-point)\.yaml$/.test(v.name));
  const bucket = variants.find((v) => v.name.endsWith("-bucket.yaml"));
  for (const v of variants) assert.ok(v.name.startsWith(id + "-"), `${v.name} is named after the profile`);
  assert.ok(!base.includes("kind: HorizontalPodAutoscaler") && hpa.text.includes("kind: HorizontalPodAutoscaler"));
  const yamlOf = (text) => text.slice(0, text.indexOf("\n# What this deploys"));
  assert.ok(yamlOf(hpa.text).startsWith(yamlOf(base) + "\n---\napiVersion: autoscaling/v2"), "the HPA variant is the base plus its HPA document");
  assert.ok(!base.includes("gcsfuse.csi.storage.gke.io") && bucket.text.includes("gcsfuse.csi.storage.gke.io"));
  await w.context.close();
});

// A cell shown with three significant digits (format::sig) agrees with the CLI's full value.
function assertSig(text, value, what) {
  if (value === null || value === undefined) return assert.equal(text, "N/A", what);
  const shown = parseFloat(text.replace(/,/g, ""));
  assert.ok(Math.abs(shown - value) <= Math.abs(value) * 0.005 + 1e-4, `${what}: ${text} vs ${value}`);
}

/// How many profiles the bundled catalog has, as the CLI counts them.
function bundledProfiles() {
  return JSON.parse(infercat(["profiles", "list", "--out", bundled, "--format=json"]).stdout).length;
}

test("without JavaScript the index is a full table at the knee", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(server.url + "index.html");
  const rows = await page.$$eval("#profiles tbody tr", (rs) => rs.map((r) => r.dataset.id));
  assert.equal(rows.length, bundledProfiles());
  assert.equal(await page.isVisible("#planner"), false, "the planner needs JS and stays hidden");
  // Grouped by workload, as the page says: each workload's rows are one run.
  const workloads = await page.$$eval("#profiles tbody tr", (rs) => rs.map((r) => r.dataset.workload));
  const runs = workloads.filter((w, i) => i === 0 || w !== workloads[i - 1]);
  assert.equal(runs.length, new Set(workloads).size, runs.join(" | "));
  await context.close();
});

test("filters change the table and sorting orders it", async () => {
  const w = await open(server, "index.html");
  const page = w.page;
  await page.waitForSelector("#planner:not([hidden])");
  const visible = () => page.$$eval("#profiles tbody tr:not([hidden])", (rs) => rs.map((r) => r.dataset));
  const total = bundledProfiles();
  assert.equal((await visible()).length, total);
  await page.selectOption("#planner select[name=model]", "meta-llama/Llama-3.1-8B-Instruct");
  let rows = await visible();
  assert.equal(rows.length, 6);
  assert.ok(rows.every((r) => r.model === "meta-llama/Llama-3.1-8B-Instruct"));
  await page.selectOption("#planner select[name=model]", "");
  await page.selectOption("#planner select[name=server]", "tgi");
  rows = await visible();
  assert.equal(rows.length, 2);
  assert.ok(rows.every((r) => r.server === "tgi"));
  await page.selectOption("#planner select[name=server]", "");
  // Sort by output throughput, descending after two clicks.
  const header = page.locator('#profiles th[data-key="out"]');
  await header.click();
  await header.click();
  const outs = await page.$$eval("#profiles tbody tr:not([hidden]) td.out", (tds) => tds.map((t) => parseFloat(t.textContent.replace(/,/g, ""))));
  assert.deepEqual(outs, [...outs].sort((a, b) => b - a));
  assert.match(await page.textContent("#plan-status"), /of \d+ profiles/);
  assert.deepEqual(w.problems, []);
  await w.context.close();
});

test("a latency target gives the same qualifying profiles and costs as the CLI", async () => {
  for (const [field, flag, value] of [["ntpot", "--target-ntpot-milliseconds", "20"], ["ttft", "--target-ttft-milliseconds", "150"]]) {
    const cli = JSON.parse(infercat(["profiles", "list", "--out", bundled, flag + "=" + value, "--format=json"]).stdout);
    const w = await open(server, "index.html");
    await w.page.waitForSelector("#planner:not([hidden])");
    await w.page.fill(`#planner input[name=${field}]`, value);
    const rows = await w.page.$$eval("#profiles tbody tr:not([hidden])", (rs) =>
      rs.map((r) => ({ id: r.dataset.id, spot: r.querySelector("td.cost").textContent, out: r.querySelector("td.out").textContent })));
    assert.deepEqual(rows.map((r) => r.id).sort(), cli.map((p) => p.profileId).sort(), `${field} <= ${value}`);
    assert.ok(rows.length > 0 && rows.length < bundledProfiles(), `${field} target should split the catalog (${rows.length})`);
    for (const p of cli) {
      const row = rows.find((r) => r.id === p.profileId);
      const stats = p.performanceStats[0];
      const spot = stats.cost.find((c) => c.pricingModel === "spot").costPerMillionOutputTokens;
      assertSig(row.spot, spot, `${p.profileId} spot cost`);
      assertSig(row.out, stats.outputTokensPerSecond, `${p.profileId} throughput`);
    }
    await w.context.close();
  }
});

test("the model page's planner ranks like the CLI, and the profile chart bands follow the targets", async () => {
  const api = await (await fetch(server.url + "api/v1/models.json")).json();
  const llama = api.find((m) => m.model === "meta-llama/Llama-3.1-8B-Instruct");
  const w = await open(server, llama.page + "?ntpot=20");
  await w.page.waitForSelector("#planner:not([hidden])");
  assert.equal(await w.page.inputValue("#planner input[name=ntpot]"), "20", "state comes from the URL");
  const ranked = await w.page.$$eval("#plan-results tbody tr", (rs) => rs.map((r) => r.dataset.id));
  const cli = JSON.parse(infercat(["profiles", "list", "--out", bundled, "--model=meta-llama/Llama-3.1-8B-Instruct", "--target-ntpot-milliseconds=20", "--format=json"]).stdout);
  assert.deepEqual([...ranked].sort(), cli.map((p) => p.profileId).sort(), "the same profiles meet the target");
  const spot = (id) => cli.find((p) => p.profileId === id).performanceStats[0].cost.find((c) => c.pricingModel === "spot").costPerMillionOutputTokens;
  const costs = ranked.map(spot);
  assert.deepEqual(costs, [...costs].sort((a, b) => a - b), "cheapest first");
  assert.ok((await w.page.locator("svg.chart").count()) >= 2);
  const href = await w.page.getAttribute("#plan-results tbody tr a", "href");
  assert.match(href, /ntpot=20/, "a result opens its profile with the same targets");
  assert.deepEqual(w.problems, []);
  await w.context.close();

  const profile = await open(server, "profiles/" + cli[0].profileId + ".html");
  await profile.page.waitForSelector("#at-targets:not([hidden])");
  const band = '#chart-throughput g.band[data-metric="ttft"]';
  assert.equal(await profile.page.getAttribute(band, "visibility"), "hidden", "no TTFT band without a TTFT target");
  await profile.page.fill("#targets-form input[name=ttft]", "1000");
  assert.equal(await profile.page.getAttribute(band, "visibility"), null);
  assert.match(await profile.page.textContent(band + " text"), /TTFT ≤ 1,?000 ms \(p50\)/);
  assert.match(profile.page.url(), /ttft=1000/, "the profile page keeps its state in the URL");
  // A target below the axis is drawn at its floor, and its label says it lies below.
  const lo = Number(await profile.page.getAttribute("#chart-throughput", "data-ylogmin"));
  await profile.page.fill("#targets-form input[name=ttft]", String(10 ** (lo - 1)));
  assert.match(await profile.page.textContent(band + " text"), /TTFT ≤ .* ms \(p50, below this chart\)/);
  assert.deepEqual(profile.problems, []);
  await profile.context.close();
});

test("a hostile model name shows as text on every page and in the JSON, and never runs", async () => {
  const pages = walk(join(hostile, "site")).filter((f) => f.endsWith(".html"));
  let quoted = 0;
  for (const path of pages) {
    const w = await open(hostileServer, path);
    assert.deepEqual(w.dialogs, [], `${path} ran injected script`);
    assert.deepEqual(w.problems, [], `${path}: ${w.problems.join("; ")}`);
    const injected = await w.page.$$eval("script", (ss) => ss.filter((s) => !s.src && s.type !== "application/json" && s.textContent.includes("alert")).length);
    assert.equal(injected, 0, `${path} has an injected inline script`);
    // Data blocks (a profile's manifest patches) hold the name too: still whole JSON, never cut short.
    const data = await w.page.$$eval('script[type="application/json"]', (ss) => ss.map((s) => s.textContent));
    for (const text of data) assert.doesNotThrow(() => JSON.parse(text), `${path}: a data block is not whole JSON`);
    const imgs = await w.page.$$eval("img[onerror]", (is) => is.length);
    assert.equal(imgs, 0, `${path} has an injected img`);
    if (path.startsWith("profiles/")) {
      // With no target set, the script's command (quoted by app.js) is the one the page was
      // built with (quoted by the CLI's code): the same quoting of the hostile name.
      await w.page.waitForSelector("#at-targets:not([hidden])");
      const scripted = await w.page.textContent(".target-command code");
      const built = await w.page.textContent("pre.command:not(.target-command) code");
      if (built.includes("--model='evil/")) quoted += 1;
      assert.equal(scripted, built, `${path}: the script quotes the command as the CLI does`);
    }
    await w.context.close();
  }
  assert.ok(quoted > 0, "a profile page whose command quotes the hostile name");
  const index = await open(hostileServer, "index.html");
  await index.page.waitForSelector("#planner:not([hidden])");
  const text = await index.page.textContent("#profiles");
  assert.ok(text.includes("<script>alert(1)</script>"), "the name is shown as text");
  await index.page.fill("#planner input[name=ntpot]", "100");
  assert.deepEqual(index.dialogs, []);
  await index.context.close();
  const api = await (await fetch(hostileServer.url + "api/v1/profiles.json")).json();
  assert.ok(api.some((p) => p.modelServerInfo.model === 'evil/"quoted": {{ x }} {% y %}\nnext line <script>alert(1)</script>\'&'));
});

test("the bundled index with everything it loads stays under 300 KB", async () => {
  const w = await open(server, "index.html");
  await w.page.waitForSelector("#plan-results tbody tr");
  const total = await pageWeight(w.page);
  assert.ok(total < 300 * 1024, `index loads ${total} bytes`);
  console.log(`index page weight: ${total} bytes`);
  await w.context.close();
});

// The bytes a page and everything it loaded decode to (Resource Timing: every body counted
// once it has arrived, unlike a response listener still reading bodies).
function pageWeight(page) {
  return page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    return nav.decodedBodySize + performance.getEntriesByType("resource").reduce((s, r) => s + r.decodedBodySize, 0);
  });
}

test("the index stays usable with 2,000 synthetic profiles", async () => {
  const raw = join(bundled, "synthetic-raw");
  infercat(["synth", "--profiles", "2000", "--points", "10", "--out", raw]);
  const big = buildCatalog(raw);
  const srv = await serve(join(big, "site"));
  try {
    const started = Date.now();
    const w = await open(srv, "index.html");
    await w.page.waitForSelector("#planner:not([hidden])");
    await w.page.waitForFunction(() => /of 2000 profiles/.test(document.getElementById("plan-status").textContent));
    const loaded = Date.now() - started;
    const weight = await pageWeight(w.page);
    assert.equal(await w.page.locator("#profiles tbody tr").count(), 2000);
    assert.ok(await w.page.locator(".badge", { hasText: "synthetic" }).count() >= 2000, "every synthetic profile is marked");
    const t0 = Date.now();
    await w.page.fill("#planner input[name=ntpot]", "30");
    const status = await w.page.textContent("#plan-status");
    const filtered = Date.now() - t0;
    const shown = parseInt(status, 10);
    assert.ok(shown > 0 && shown < 2000, status);
    await w.page.selectOption("#planner select[name=model]", "synthetic/model-007");
    assert.ok((await w.page.locator("#profiles tbody tr:not([hidden])").count()) <= 40);
    assert.deepEqual(w.problems, []);
    console.log(`2,000 profiles (synthetic): index ready in ${loaded} ms, NTPOT target applied in ${filtered} ms, ${weight} bytes loaded`);
    await w.context.close();
  } finally {
    await srv.close();
  }
});

test("profiles are compared within their workload, and capacities are not knees", async () => {
  const w = await open(wildServer, "index.html");
  await w.page.waitForSelector("#planner:not([hidden])");
  const workloads = await w.page.$$eval("#profiles tbody tr", (rows) => rows.map((r) => r.dataset.workload));
  assert.ok(workloads.includes("sharegpt") && workloads.includes("random 1024/1024"), workloads.join(", "));
  await w.page.selectOption("#planner select[name=workload]", "sharegpt");
  const shown = await w.page.$$eval("#profiles tbody tr:not([hidden])", (rows) => rows.map((r) => r.dataset.workload));
  assert.deepEqual([...new Set(shown)], ["sharegpt"]);
  await w.page.selectOption("#planner select[name=workload]", "");
  const points = await w.page.$$eval("#profiles tbody tr", (rows) => rows.map((r) => r.querySelector("td.point").textContent));
  assert.ok(points.includes("capacity"), points.join(", "));
  // A latency target never qualifies a capacity-only profile (the CLI's rule).
  await w.page.fill("#planner input[name=ttft]", "100000");
  const qualifying = await w.page.$$eval("#profiles tbody tr:not([hidden]) td.point", (cells) => cells.length);
  const cli = JSON.parse(infercat(["profiles", "list", "--out", wild, "--target-ttft-milliseconds=100000", "--format=json"]).stdout);
  assert.equal(qualifying, cli.length);
  await w.context.close();

  const api = await (await fetch(wildServer.url + "api/v1/models.json")).json();
  const sglang = api.find((m) => m.model === "fixture/sglang-model");
  const m = await open(wildServer, sglang.page);
  assert.equal(await m.page.locator("section.workload").count(), 2);
  await m.page.waitForSelector("#planner:not([hidden])");
  const options = await m.page.$$eval("#planner select[name=workload] option", (os) => os.map((o) => o.value));
  assert.deepEqual(options, ["", "random 1024/1024", "sharegpt"]);
  await m.page.selectOption("#planner select[name=workload]", "sharegpt");
  const others = await m.page.$$eval("#plan-results tbody tr.other-workload", (rs) => rs.length);
  const all = await m.page.$$eval("#plan-results tbody tr", (rs) => rs.length);
  const matching = all - others;
  assert.ok(matching <= 1, "one sharegpt profile of this model at most");
  const firstOther = await m.page.$$eval("#plan-results tbody tr", (rs) => rs.findIndex((r) => r.classList.contains("other-workload")));
  assert.ok(firstOther === -1 || firstOther === matching, "a different workload ranks after the one asked for");
  if (others > 0) assert.ok((await m.page.textContent("#plan-results tbody tr.other-workload")).includes("different workload"));
  await m.context.close();
});

// `infercat serve` on the bundled catalog at a free port; resolves once it answers.
async function infercatServe(out, extra = []) {
  const { createServer } = await import("node:net");
  const port = await new Promise((ok) => { const s = createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); }); });
  const { spawn } = await import("node:child_process");
  const { BIN } = await import("./helpers.mjs");
  const child = spawn(BIN, ["serve", "--out", out, "--addr", `127.0.0.1:${port}`, ...extra], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(url + "index.html")).ok) break; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, origin: `127.0.0.1:${port}`, close: () => child.kill("SIGTERM") };
}

// The words of a shown `infercat manifests create …` line, unquoted as a shell would.
function commandArgs(line) {
  return line.replace(/^infercat manifests create /, "").match(/--[^=\s]+=('[^']*'|\S+)/g).map((a) => a.replace(/='(.*)'$/, "=$1"));
}

test("a planner result opens its profile with YAML at those targets, byte-identical to manifests create", async () => {
  // A served catalog summarized differently must not leak into the page's command: the YAML is
  // what the command shown prints.
  const srv = await infercatServe(bundled, ["--percentile=p90", "--expected-qps=7"]);
  try {
    const w = await open(srv, "index.html?ntpot=30&qps=120&pricing=on-demand");
    await w.page.waitForSelector("#plan-results tbody tr");
    assert.equal(await w.page.inputValue("#planner input[name=qps]"), "120");
    assert.match(await w.page.textContent("#plan-sort"), /total \$\/hour for 120 req\/s/);
    const href = await w.page.getAttribute("#plan-results tbody tr a", "href");
    await w.page.goto(new URL(href, w.page.url()).href);
    await w.page.waitForSelector("pre.yaml:not([hidden])");
    for (const state of [null, { stat: "p90", ttft: "400", qps: "30" }]) {
      if (state) {
        await w.page.selectOption("#targets-form select[name=stat]", state.stat);
        await w.page.fill("#targets-form input[name=ntpot]", "");
        await w.page.fill("#targets-form input[name=ttft]", state.ttft);
        await w.page.fill("#targets-form input[name=qps]", state.qps);
        await w.page.waitForFunction(() => /--target-ttft-milliseconds=400 --percentile=p90 --expected-qps=30( |$)/m.test(document.querySelector("pre.yaml code").textContent));
      }
      const command = await w.page.textContent(".target-command code");
      const yaml = await w.page.textContent("pre.yaml code");
      const cli = infercat(["manifests", "create", "--out", bundled, ...commandArgs(command)]).stdout;
      assert.equal(yaml, cli, `the page's YAML is what \`${command}\` prints`);
      assert.ok(yaml.includes("Reproduce or customize: " + command.replace(/^infercat/, "infercat")), "the YAML names the same command");
    }
    assert.deepEqual(w.problems, []);
    await w.context.close();
  } finally {
    srv.close();
  }
});

test("on a static host the profile page gives the command and a copy button, and asks nothing that fails", async () => {
  const cli = JSON.parse(infercat(["profiles", "list", "--out", bundled, "--target-ntpot-milliseconds=30", "--format=json"]).stdout);
  const w = await open(server, "profiles/" + cli[0].profileId + ".html?ntpot=30");
  await w.page.waitForSelector("#at-targets:not([hidden])");
  await w.page.waitForFunction(() => document.querySelector(".yaml-note").textContent.length > 0);
  assert.match(await w.page.textContent(".yaml-note"), /static/);
  assert.match(await w.page.textContent(".target-command code"), /--target-ntpot-milliseconds=30$/);
  assert.equal(await w.page.locator("#at-targets button.copy").count(), 1);
  assert.match(await w.page.textContent(".target-facts"), /Operating point/);
  assert.deepEqual(w.problems, []);
  // A profile with no knee observed is summarized at its highest point, and says so here too.
  const site = join(bundled, "site");
  const index = JSON.parse(readFileSync(join(site, "api/v1/index.json"), "utf8"));
  const named = new Map(index.profiles.map((p) => [p.profileId, p.knees[index.percentile][2]]));
  const id = [...named].find(([, point]) => point === "highest point")[0];
  const highest = "profiles/" + id + ".html";
  const h = await open(server, highest);
  await h.page.waitForSelector("#at-targets:not([hidden])");
  const facts = await h.page.textContent(".target-facts");
  assert.match(facts, /Operating point.*at the highest point/);
  assert.match(facts, /Headroom to the highest point/);
  assert.doesNotMatch(facts, /knee/);
  // Its files, the static host's note and the warning for targets no point meets name the
  // point the CLI sizes it at, as its manifests' comments do.
  await h.page.waitForFunction(() => document.querySelector(".yaml-note").textContent.length > 0);
  assert.match(await h.page.textContent(".yaml-note"), /sized at the highest point\./);
  assert.match(await h.page.textContent("ul.downloads"), /With autoscaling at the highest point/);
  assert.doesNotMatch(await h.page.textContent("main"), /at the knee/);
  const unmet = await open(server, highest + "?ttft=0.001");
  await unmet.page.waitForSelector(".target-warning:not([hidden])");
  assert.match(await unmet.page.textContent(".target-warning"), /sizes its manifest at the highest point instead/);
  assert.deepEqual(unmet.problems, []);
  await unmet.context.close();
  await h.context.close();
  await w.context.close();
  // So do the planner's rows: their headroom is to the point each profile is measured to.
  const model = index.profiles.find((p) => p.profileId === id).model;
  const plan = await open(server, "index.html?model=" + encodeURIComponent(model));
  await plan.page.waitForSelector("#plan-results tbody tr");
  const rows = await plan.page.$$eval("#plan-results tbody tr", (rs) => rs.map((r) => [r.dataset.id, r.lastElementChild.textContent]));
  assert.ok(rows.some(([row]) => named.get(row) === "highest point"), "a profile measured to its highest point is ranked");
  for (const [row, headroom] of rows) {
    if (named.get(row) === "highest point") assert.match(headroom, /highest point|N\/A/, row);
    else assert.match(headroom, /knee|N\/A/, row);
  }
  assert.deepEqual(plan.problems, []);
  await plan.context.close();
});

test("sorting survives filter changes, versions sort as versions, and filters live in the URL", async () => {
  const w = await open(server, "index.html");
  const page = w.page;
  await page.waitForSelector("#planner:not([hidden])");
  const header = page.locator('#profiles th[data-key="server"]');
  await header.click();
  const versionsOf = () => page.$$eval("#profiles tbody tr:not([hidden]) td[data-sort]", (tds) => tds.map((t) => t.textContent.trim()));
  const key = (t) => { const [name, v] = t.split(" "); return [name, ...(v || "").match(/\d+/g).map(Number)]; };
  const ordered = (list) => list.every((t, i) => i === 0 || (() => {
    const a = key(list[i - 1]); const b = key(t);
    for (let k = 0; k < Math.max(a.length, b.length); k++) {
      if (a[k] === b[k]) continue;
      if (a[k] === undefined) return true;
      if (b[k] === undefined) return false;
      return a[k] < b[k];
    }
    return true;
  })());
  assert.ok(ordered(await versionsOf()), (await versionsOf()).join(" | "));
  await page.locator('#profiles th[data-key="out"]').click();
  await page.fill("#planner input[name=ttft]", "500");
  const outs = await page.$$eval("#profiles tbody tr:not([hidden]) td.out", (tds) => tds.map((t) => parseFloat(t.textContent.replace(/,/g, ""))));
  assert.ok(outs.length > 1);
  assert.deepEqual(outs, [...outs].sort((a, b) => a - b), "the active sort is re-applied after a target change");
  assert.equal(await page.getAttribute('#profiles th[data-key="out"]', "aria-sort"), "ascending");
  await page.selectOption("#planner select[name=server]", "vllm");
  assert.match(page.url(), /server=vllm/);
  assert.match(page.url(), /ttft=500/);
  const reloaded = await open(server, "index.html?" + new URL(page.url()).searchParams.toString());
  await reloaded.page.waitForSelector("#planner:not([hidden])");
  assert.equal(await reloaded.page.inputValue("#planner select[name=server]"), "vllm");
  const shownServers = await reloaded.page.$$eval("#profiles tbody tr:not([hidden])", (rs) => [...new Set(rs.map((r) => r.dataset.server))]);
  assert.deepEqual(shownServers, ["vllm"]);
  await reloaded.context.close();
  await w.context.close();
});

test("the script spells every number as the page does, and an NTPOT target says whom it cannot check", async () => {
  const w = await open(server, "index.html");
  await w.page.waitForSelector("#planner:not([hidden])");
  const cells = () => w.page.$$eval("#profiles tbody tr", (rs) => rs.map((r) => r.innerHTML));
  const asBuilt = await cells();
  await w.page.fill("#planner input[name=own]", "2");
  await w.page.fill("#planner input[name=own]", "");
  assert.deepEqual(await cells(), asBuilt);
  await w.page.selectOption("#planner select[name=pricing]", "on-demand");
  await w.page.fill("#planner input[name=ntpot]", "40");
  assert.match(await w.page.textContent("#plan-status"), /cannot be checked: their tool reports no NTPOT/);
  const numbers = await w.page.$$eval("#profiles tbody tr:not([hidden]) td.num", (tds) => tds.map((t) => t.textContent));
  for (const n of numbers) assert.ok(!/\d{4}/.test(n.replace(/\.\d+/, "")) || /,/.test(n), `thousands separated: ${n}`);
  await w.context.close();
});

test("chart labels never overlap, and every chart has its legend outside the plot", async () => {
  const api = await (await fetch(server.url + "api/v1/models.json")).json();
  const pages = api.map((m) => m.page).concat(api.flatMap((m) => m.profileIds.slice(0, 2).map((id) => "profiles/" + id + ".html")));
  for (const path of pages) {
    const w = await open(server, path);
    const problems = await w.page.$$eval("svg.chart", (svgs) => svgs.flatMap((svg) => {
      const shown = (t) => t.getAttribute("visibility") !== "hidden" && !t.closest('[visibility="hidden"]') && t.textContent.trim();
      const boxes = Array.from(svg.querySelectorAll("text")).filter(shown).map((t) => ({ t: t.textContent, b: t.getBoundingClientRect() }));
      // A key drawn with <use> (a profile's second chart) is the first chart's key moved
      // into this one: its texts' boxes, carried over from the chart that holds them.
      const legends = Array.from(svg.querySelectorAll("g.legend text")).map((t) => t.getBoundingClientRect());
      const here = svg.getBoundingClientRect();
      for (const use of svg.querySelectorAll("use")) {
        const key = document.querySelector(use.getAttribute("href"));
        const there = key.ownerSVGElement.getBoundingClientRect();
        const scale = here.width / there.width;
        const moved = (b) => new DOMRect(here.x + (b.x - there.x) * scale, here.y + (b.y - there.y) * scale, b.width * scale, b.height * scale);
        for (const t of Array.from(key.querySelectorAll("text")).filter(shown)) boxes.push({ t: t.textContent, b: moved(t.getBoundingClientRect()) });
        legends.push(...Array.from(key.querySelectorAll("g.legend text")).map((t) => moved(t.getBoundingClientRect())));
      }
      const out = [];
      for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i].b; const b = boxes[j].b;
        if (a.x < b.x + b.width - 0.5 && b.x < a.x + a.width - 0.5 && a.y < b.y + b.height - 0.5 && b.y < a.y + a.height - 0.5) out.push(`${svg.id}: "${boxes[i].t}" overlaps "${boxes[j].t}"`);
      }
      const plotBottom = svg.getBoundingClientRect().top + (parseFloat(svg.dataset.bottom) / svg.viewBox.baseVal.height) * svg.getBoundingClientRect().height;
      if (!legends.length && svg.querySelector("g.series")) out.push(`${svg.id}: curves but no legend`);
      for (const l of legends) if (l.top < plotBottom) out.push(`${svg.id}: legend inside the plot`);
      return out;
    }));
    assert.deepEqual(problems, [], path);
    await w.context.close();
  }
});

test("no page scrolls sideways at 390 px, and wide screens use the width", async () => {
  const pages = walk(join(bundled, "site")).filter((f) => f.endsWith(".html"));
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const wide = [];
  const hidden = [];
  for (const path of pages) {
    await page.goto(server.url + path + (path === "index.html" ? "?ntpot=30&qps=10" : ""), { waitUntil: "networkidle" });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > 390) wide.push(`${path}: ${width} px`);
    // A chart that scrolls inside its box opens with its one circled point in view, and the
    // box scrolls alone: its caption stays where it was.
    const out = await page.$$eval(".chart-box > svg.chart", (svgs) => svgs.flatMap((svg) => {
      const rings = svg.querySelectorAll("circle.ring");
      if (rings.length !== 1) return [];
      const ring = rings[0];
      const [r, f] = [ring.getBoundingClientRect(), svg.parentElement.getBoundingClientRect()];
      const caption = svg.closest("figure").querySelector("figcaption");
      const captionShifted = caption && caption.getBoundingClientRect().left < svg.closest("figure").getBoundingClientRect().left;
      return r.left >= f.left && r.right <= f.right && !captionShifted ? [] : [svg.id || "chart"];
    }));
    if (out.length) hidden.push(`${path}: ${out.join(", ")}`);
  }
  assert.deepEqual(wide, []);
  assert.deepEqual(hidden, [], "circled points out of view at 390 px");
  await context.close();
  const big = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const p2 = await big.newPage();
  const api = await (await fetch(server.url + "api/v1/models.json")).json();
  await p2.goto(server.url + "profiles/" + api[0].profileIds[0] + ".html", { waitUntil: "networkidle" });
  await p2.goto(server.url + "index.html", { waitUntil: "networkidle" });
  const [tableWidth, room] = await p2.$eval("#profiles", (t) => [t.scrollWidth, t.parentElement.clientWidth]);
  assert.ok(tableWidth <= room, `the index table (${tableWidth} px) fits its container (${room} px) at 1440 px`);
  await p2.goto(server.url + "profiles/" + api[0].profileIds[0] + ".html", { waitUntil: "networkidle" });
  const charts = await p2.$$eval("svg.chart", (svgs) => svgs.map((s) => s.getBoundingClientRect()));
  assert.equal(charts.length, 2);
  assert.ok(Math.abs(charts[0].top - charts[1].top) < 2 && charts[0].width > 500, "two charts side by side at 1440 px");
  await big.close();
});

test("the frontier marks and links the Pareto-best points, and the planner dims what misses the targets", async () => {
  const w = await open(server, "frontier.html");
  const sections = await w.page.locator("section.workload").count();
  assert.ok(sections >= 3, `${sections} workloads on the frontier page`);
  const links = await w.page.$$eval("svg.chart a.marker-link", (as) => as.map((a) => a.getAttribute("href")));
  assert.ok(links.length > 0);
  for (const href of links) assert.ok(existsSync(join(bundled, "site", href)), href);
  const circled = await w.page.locator("svg.chart a.marker-link circle").count();
  assert.ok(circled >= links.length, "one link per profile, around each of its circled points");
  const rows = await w.page.locator("table.pareto tbody tr").count();
  assert.ok(rows > 0 && rows <= circled, `${rows} Pareto rows for ${circled} circled points`);
  assert.deepEqual(w.problems, []);
  await w.context.close();

  const api = await (await fetch(server.url + "api/v1/models.json")).json();
  const llama = api.find((m) => m.model === "meta-llama/Llama-3.1-8B-Instruct");
  // NTPOT ≤ 8 ms splits this model's six profiles (the CLI: four meet it).
  const meeting = JSON.parse(infercat(["profiles", "list", "--out", bundled, "--model=meta-llama/Llama-3.1-8B-Instruct", "--target-ntpot-milliseconds=8", "--format=json"]).stdout);
  assert.ok(meeting.length > 0 && meeting.length < llama.profileIds.length);
  const m = await open(server, llama.page + "?ntpot=8");
  await m.page.waitForSelector("#plan-results tbody tr");
  const dimmed = await m.page.$$eval("svg.chart g.series.dim", (gs) => gs.length);
  const series = await m.page.$$eval("svg.chart g.series[data-id]", (gs) => gs.length);
  assert.ok(dimmed > 0 && dimmed < series, `${dimmed} of ${series} curves dimmed`);
  const bright = await m.page.$$eval("svg.chart g.series[data-id]:not(.dim)", (gs) => [...new Set(gs.map((g) => g.dataset.id))].sort());
  assert.deepEqual(bright, meeting.map((p) => p.profileId).sort(), "the curves left bright are the profiles meeting the target");
  const band = await m.page.$eval("svg[id^=frontier-cost] g.x-band", (g) => [g.getAttribute("visibility"), g.querySelector("text").textContent]);
  assert.equal(band[0], null, "the per-user band shows under an NTPOT target");
  assert.match(band[1], /≥ 125 tok\/s per user, needed for NTPOT ≤ 8 ms/);
  await m.context.close();
});

test("a profile whose tool reports means only shows its means, and a target it cannot check says so", async () => {
  const index = JSON.parse(readFileSync(join(bundled, "site", "api/v1/index.json"), "utf8"));
  const at = (row, s) => row[9][index.statistics.indexOf(s)];
  const meansOnly = index.profiles.find((p) => p.kneeOperable
    && p.curve.every((row) => at(row, index.percentile).every((v) => v === null))
    && p.curve.some((row) => at(row, "mean")[1] !== null));
  assert.ok(meansOnly, "the bundled catalog has a profile reporting means only");
  const page = "profiles/" + meansOnly.profileId + ".html";
  const w = await open(server, page);
  await w.page.waitForSelector("#at-targets:not([hidden])");
  const facts = await w.page.textContent(".target-facts");
  assert.match(facts, new RegExp("Latency there \\(mean; the tool reports no " + index.percentile + "\\)"));
  assert.match(facts, /TTFT [\d,.]+ ms/);
  await w.context.close();
  const t = await open(server, page + "?ntpot=30");
  await t.page.waitForSelector(".target-warning:not([hidden])");
  assert.match(await t.page.textContent(".target-warning"), new RegExp("reports no NTPOT at " + index.percentile + ", so NTPOT ≤ 30 ms .* cannot be checked"));
  assert.deepEqual(t.problems, []);
  await t.context.close();
  // Compared with another profile, its latencies are its means, and the status says so.
  // Another model's: the compare view then names each profile's model.
  const other = index.profiles.find((p) => p.model !== meansOnly.model && p.kneeOperable);
  const c = await open(server, `compare.html?ids=${meansOnly.profileId},${other.profileId}`);
  await c.page.waitForSelector("#compare-table:not([hidden])");
  assert.match(await c.page.textContent("#compare-status"), new RegExp("latencies are means \\(its tool reports no " + index.percentile + "\\)"));
  assert.match(await c.page.textContent("#compare-status"), /These profiles serve different models/);
  assert.match(await c.page.textContent("#compare-ttft .chart-title"), new RegExp("^TTFT \\(" + index.percentile + "; 1: means\\)"));
  assert.ok((await c.page.textContent("#compare-table thead")).includes("1. " + meansOnly.model + " · "), "each column names its model");
  const ttft = await c.page.$$eval("#compare-table tbody tr", (rs) => rs.find((r) => r.cells[0].textContent === "TTFT, ms").cells[1].textContent);
  assert.notEqual(ttft, "N/A");
  assert.deepEqual(c.problems, []);
  await c.context.close();
  // The index table says its latencies are means, beside the point they are at.
  const idx = await open(server, "index.html");
  assert.match(await idx.page.textContent(`#profiles tr[data-id="${meansOnly.profileId}"] td.point`), /^(knee|highest point) \(means\)$/);
  await idx.context.close();
  // The planner's link to the compare view says how many profiles it compares.
  const plan = await open(server, "index.html?model=" + encodeURIComponent(meansOnly.model));
  await plan.page.waitForSelector("#plan-results tbody tr");
  const ranked = await plan.page.locator("#plan-results tbody tr").count();
  const link = await plan.page.textContent("#plan-compare");
  assert.equal(link, ranked === 2 ? "Compare the two side by side" : "Compare the first three side by side");
  await plan.context.close();
});

test("the compare view shows two profiles at the same target, as the CLI computes them", async () => {
  const cli = JSON.parse(infercat(["profiles", "list", "--out", bundled, "--model=meta-llama/Llama-3.1-8B-Instruct", "--target-ntpot-milliseconds=20", "--format=json"]).stdout);
  assert.ok(cli.length >= 2);
  const [a, b] = cli;
  const w = await open(server, `compare.html?ids=${a.profileId},${b.profileId}&ntpot=20`);
  await w.page.waitForSelector("#compare-table:not([hidden])");
  const cells = await w.page.$$eval("#compare-table tbody tr", (rs) => Object.fromEntries(rs.map((r) => [r.cells[0].textContent, Array.from(r.cells).slice(1).map((c) => c.textContent)])));
  assertSig(cells["Output tok/s"][0], a.performanceStats[0].outputTokensPerSecond, "first profile's throughput");
  assertSig(cells["Output tok/s"][1].replace(/ \(.*\)$/, ""), b.performanceStats[0].outputTokensPerSecond, "second profile's throughput");
  assert.match(cells["Output tok/s"][1], /\((\+|−|±)\d+ %\)$/, "the difference to the first is stated");
  assert.match(await w.page.textContent("#compare-headline"), /2 vs 1: .* throughput/);
  assert.equal(await w.page.locator("#compare-charts svg.chart").count(), 2);
  const other = JSON.parse(infercat(["profiles", "list", "--out", bundled, "--format=json"]).stdout).find((p) => p.workload !== a.workload);
  await w.page.selectOption("#compare select[name=c]", other.profileId);
  assert.match(await w.page.textContent("#compare-status"), /different workloads/);
  assert.match(w.page.url(), new RegExp(other.profileId));
  assert.deepEqual(w.problems, []);
  await w.context.close();
  // Without targets each profile is at its own knee, or its highest point where none was
  // observed: the status and headline say which.
  const index = JSON.parse(readFileSync(join(bundled, "site", "api/v1/index.json"), "utf8"));
  const kind = (p) => p.knees[index.percentile][2];
  const knee = index.profiles.find((p) => kind(p) === "knee" && p.kneeOperable);
  const highest = index.profiles.find((p) => kind(p) === "highest point");
  const mixed = await open(server, `compare.html?ids=${knee.profileId},${highest.profileId}`);
  await mixed.page.waitForSelector("#compare-table:not([hidden])");
  assert.match(await mixed.page.textContent("#compare-status"), /At each profile's knee or highest point\./);
  assert.match(await mixed.page.textContent("#compare-headline"), /at each one's knee or highest point\.$/);
  assert.deepEqual(mixed.problems, []);
  await mixed.context.close();
});
