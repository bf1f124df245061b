// The generated catalog site in real headless Chromium with the network cut off: every page
// loads cleanly, filters and targets work and agree with the CLI, every link resolves, hostile
// input stays text, and the index stays light.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
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
      const target = normalize(join(dirname(path), href.split("#")[0]));
      assert.ok(existsSync(join(site, target)), `${path} links to missing ${href}`);
      checked += 1;
    }
    await w.context.close();
  }
  assert.ok(checked > 100, `only ${checked} links checked`);
});

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
  assert.equal(await page.isVisible("#filters"), false, "filters need JS and stay hidden");
  await context.close();
});

test("filters change the table and sorting orders it", async () => {
  const w = await open(server, "index.html");
  const page = w.page;
  await page.waitForSelector("#filters:not([hidden])");
  const visible = () => page.$$eval("#profiles tbody tr:not([hidden])", (rs) => rs.map((r) => r.dataset));
  const total = bundledProfiles();
  assert.equal((await visible()).length, total);
  await page.selectOption("#filters select[name=model]", "meta-llama/Llama-3.1-8B-Instruct");
  let rows = await visible();
  assert.equal(rows.length, 6);
  assert.ok(rows.every((r) => r.model === "meta-llama/Llama-3.1-8B-Instruct"));
  await page.selectOption("#filters select[name=model]", "");
  await page.selectOption("#filters select[name=server]", "tgi");
  rows = await visible();
  assert.equal(rows.length, 2);
  assert.ok(rows.every((r) => r.server === "tgi"));
  await page.selectOption("#filters select[name=server]", "");
  // Sort by output throughput, descending after two clicks.
  const header = page.locator('#profiles th[data-key="out"]');
  await header.click();
  await header.click();
  const outs = await page.$$eval("#profiles tbody tr:not([hidden]) td.out", (tds) => tds.map((t) => parseFloat(t.textContent)));
  assert.deepEqual(outs, [...outs].sort((a, b) => b - a));
  assert.match(await page.textContent("#status"), new RegExp(`${total} of ${total} profiles`));
  assert.deepEqual(w.problems, []);
  await w.context.close();
});

test("a latency target gives the same qualifying profiles and costs as the CLI", async () => {
  for (const [field, flag, value] of [["ntpot", "--target-ntpot-milliseconds", "20"], ["ttft", "--target-ttft-milliseconds", "150"]]) {
    const cli = JSON.parse(infercat(["profiles", "list", "--out", bundled, flag + "=" + value, "--format=json"]).stdout);
    const w = await open(server, "index.html");
    await w.page.waitForSelector("#filters:not([hidden])");
    await w.page.fill(`#filters input[name=${field}]`, value);
    const rows = await w.page.$$eval("#profiles tbody tr:not([hidden])", (rs) =>
      rs.map((r) => ({ id: r.dataset.id, spot: r.querySelector('td.cost[data-pricing="spot"]').textContent, out: r.querySelector("td.out").textContent })));
    assert.deepEqual(rows.map((r) => r.id).sort(), cli.map((p) => p.profileId).sort(), `${field} <= ${value}`);
    assert.ok(rows.length > 0 && rows.length < bundledProfiles(), `${field} target should split the catalog (${rows.length})`);
    for (const p of cli) {
      const row = rows.find((r) => r.id === p.profileId);
      const stats = p.performanceStats[0];
      const spot = stats.cost.find((c) => c.pricingModel === "spot").costPerMillionOutputTokens;
      assert.equal(row.spot, spot === null ? "N/A" : spot.toFixed(3), `${p.profileId} spot cost`);
      assert.equal(row.out, stats.outputTokensPerSecond.toFixed(2), `${p.profileId} throughput`);
    }
    await w.context.close();
  }
});

test("the model page names the cheapest profile at a target, and the profile chart band moves", async () => {
  const models = JSON.parse(infercat(["models", "list", "--out", bundled, "--format=json"]).stdout);
  assert.ok(models.length > 0);
  const api = await (await fetch(server.url + "api/v1/models.json")).json();
  const llama = api.find((m) => m.model === "meta-llama/Llama-3.1-8B-Instruct");
  const w = await open(server, llama.page);
  await w.page.waitForSelector("#cheapest-form:not([hidden])");
  await w.page.fill("#cheapest-form input[name=ntpot]", "20");
  const text = await w.page.textContent("#cheapest-result");
  const cli = JSON.parse(infercat(["profiles", "list", "--out", bundled, "--model=meta-llama/Llama-3.1-8B-Instruct", "--target-ntpot-milliseconds=20", "--format=json"]).stdout);
  const best = cli[0].performanceStats[0].cost.find((c) => c.pricingModel === "spot").costPerMillionOutputTokens.toFixed(3);
  assert.ok(text.includes(best + " $/M output tokens"), `${text} should name ${best}`);
  assert.equal(await w.page.locator("svg.chart").count(), 2);
  await w.context.close();

  const profile = await open(server, "profiles/" + cli[0].profileId + ".html");
  await profile.page.waitForSelector("#band-form:not([hidden])");
  const before = await profile.page.getAttribute("#chart-throughput .target-band", "y");
  await profile.page.fill("#band-form input[name=target]", "1000");
  const moved = await profile.page.getAttribute("#chart-throughput .target-band", "y");
  assert.ok(parseFloat(moved) < parseFloat(before), `band should rise: ${before} -> ${moved}`);
  assert.deepEqual(profile.problems, []);
  await profile.context.close();
});

test("a hostile model name shows as text on every page and in the JSON, and never runs", async () => {
  const pages = walk(join(hostile, "site")).filter((f) => f.endsWith(".html"));
  for (const path of pages) {
    const w = await open(hostileServer, path);
    assert.deepEqual(w.dialogs, [], `${path} ran injected script`);
    assert.deepEqual(w.problems, [], `${path}: ${w.problems.join("; ")}`);
    const injected = await w.page.$$eval("script", (ss) => ss.filter((s) => !s.src && s.textContent.includes("alert")).length);
    assert.equal(injected, 0, `${path} has an injected inline script`);
    const imgs = await w.page.$$eval("img[onerror]", (is) => is.length);
    assert.equal(imgs, 0, `${path} has an injected img`);
    await w.context.close();
  }
  const index = await open(hostileServer, "index.html");
  await index.page.waitForSelector("#filters:not([hidden])");
  const text = await index.page.textContent("#profiles");
  assert.ok(text.includes("<script>alert(1)</script>"), "the name is shown as text");
  await index.page.fill("#filters input[name=ntpot]", "100");
  assert.deepEqual(index.dialogs, []);
  await index.context.close();
  const api = await (await fetch(hostileServer.url + "api/v1/profiles.json")).json();
  assert.ok(api.some((p) => p.modelServerInfo.model === 'evil/"quoted": {{ x }} {% y %}\nnext line <script>alert(1)</script>\'&'));
});

test("the bundled index with everything it loads stays under 300 KB", async () => {
  const w = await open(server, "index.html");
  await w.page.waitForSelector("#filters:not([hidden])");
  assert.ok(w.bytes.total < 300 * 1024, `index loads ${w.bytes.total} bytes`);
  console.log(`index page weight: ${w.bytes.total} bytes`);
  await w.context.close();
});

test("the index stays usable with 2,000 synthetic profiles", async () => {
  const raw = join(bundled, "synthetic-raw");
  infercat(["synth", "--profiles", "2000", "--points", "10", "--out", raw]);
  const big = buildCatalog(raw);
  const srv = await serve(join(big, "site"));
  try {
    const started = Date.now();
    const w = await open(srv, "index.html");
    await w.page.waitForSelector("#filters:not([hidden])");
    await w.page.waitForFunction(() => /of 2000 profiles/.test(document.getElementById("status").textContent));
    const loaded = Date.now() - started;
    assert.equal(await w.page.locator("#profiles tbody tr").count(), 2000);
    assert.ok(await w.page.locator(".badge", { hasText: "synthetic" }).count() >= 2000, "every synthetic profile is marked");
    const t0 = Date.now();
    await w.page.fill("#filters input[name=ntpot]", "30");
    const status = await w.page.textContent("#status");
    const filtered = Date.now() - t0;
    const shown = parseInt(status, 10);
    assert.ok(shown > 0 && shown < 2000, status);
    await w.page.selectOption("#filters select[name=model]", "synthetic/model-007");
    assert.ok((await w.page.locator("#profiles tbody tr:not([hidden])").count()) <= 40);
    assert.deepEqual(w.problems, []);
    console.log(`2,000 profiles (synthetic): index ready in ${loaded} ms, NTPOT target applied in ${filtered} ms, ${w.bytes.total} bytes loaded`);
    await w.context.close();
  } finally {
    await srv.close();
  }
});

test("profiles are compared within their workload, and capacities are not knees", async () => {
  const w = await open(wildServer, "index.html");
  await w.page.waitForSelector("#filters:not([hidden])");
  const workloads = await w.page.$$eval("#profiles tbody tr", (rows) => rows.map((r) => r.dataset.workload));
  assert.ok(workloads.includes("sharegpt") && workloads.includes("random 1024/1024"), workloads.join(", "));
  await w.page.selectOption("#filters select[name=workload]", "sharegpt");
  const shown = await w.page.$$eval("#profiles tbody tr:not([hidden])", (rows) => rows.map((r) => r.dataset.workload));
  assert.deepEqual([...new Set(shown)], ["sharegpt"]);
  await w.page.selectOption("#filters select[name=workload]", "");
  const points = await w.page.$$eval("#profiles tbody tr", (rows) => rows.map((r) => r.querySelector("td.point").textContent));
  assert.ok(points.includes("capacity"), points.join(", "));
  // A latency target never qualifies a capacity-only profile (the CLI's rule).
  await w.page.fill("#filters input[name=ttft]", "100000");
  const qualifying = await w.page.$$eval("#profiles tbody tr:not([hidden]) td.point", (cells) => cells.length);
  const cli = JSON.parse(infercat(["profiles", "list", "--out", wild, "--target-ttft-milliseconds=100000", "--format=json"]).stdout);
  assert.equal(qualifying, cli.length);
  await w.context.close();

  const api = await (await fetch(wildServer.url + "api/v1/models.json")).json();
  const sglang = api.find((m) => m.model === "fixture/sglang-model");
  const m = await open(wildServer, sglang.page);
  assert.equal(await m.page.locator("section.workload").count(), 2);
  await m.page.waitForSelector("#cheapest-form:not([hidden])");
  const options = await m.page.$$eval("#cheapest-form select[name=workload] option", (os) => os.map((o) => o.value));
  assert.deepEqual(options, ["random 1024/1024", "sharegpt"]);
  await m.page.selectOption("#cheapest-form select[name=workload]", "sharegpt");
  const text = await m.page.textContent("#cheapest-result");
  assert.ok(text.includes("of 1 profiles qualify"), text);
  await m.context.close();
});
