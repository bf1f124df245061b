// infercat catalog: filtering, sorting and latency targets on top of the static pages.
// Reads the static JSON API (api/v1/index.json: the compact form of api/v1/profiles.json). The operating point follows the same rules
// as `infercat profiles list` (pipeline/src/analysis/operating_point.rs); text from data is
// only ever inserted with textContent.
"use strict";

const root = document.body.dataset.root || "";

function fmt(v, digits) {
  return v === null || v === undefined || !Number.isFinite(v) ? "N/A" : v.toFixed(digits);
}

function loadText(p) {
  if (p.loadKind === "rate") return fmt(p.load, 2) + " req/s";
  if (p.loadKind === "concurrency") return "conc. " + fmt(p.load, 0);
  return "unbounded";
}

const METRICS = [["ntpot", "ntpotMilliseconds"], ["ttft", "ttftMilliseconds"], ["itl", "itlMilliseconds"]];

function checksFor(targets) {
  return METRICS.filter(([name]) => targets[name] !== null).map(([name, key]) => [key, targets[name]]);
}

function meets(point, checks) {
  return checks.every(([key, t]) => point[key] !== null && point[key] !== undefined && point[key] <= t);
}

function lerpOpt(a, b, t) {
  if (t === 0) return a;
  if (t === 1) return b;
  if (a === null || b === null || a === undefined || b === undefined) return null;
  return a + t * (b - a);
}

// The largest load meeting every target, interpolated between the last passing and the first
// failing measured point; null when no point passes.
function operatingPoint(curve, targets) {
  const checks = checksFor(targets);
  const fail = curve.findIndex((p) => !meets(p, checks));
  if (fail === 0 || curve.length === 0) return null;
  if (fail === -1) return curve[curve.length - 1];
  const a = curve[fail - 1];
  const b = curve[fail];
  let t = 1;
  if (b.load === null || b.loadKind !== a.loadKind) {
    t = 0;
  } else {
    for (const [key, target] of checks) {
      const va = a[key];
      const vb = b[key];
      let tm = 0;
      if (va !== null && vb !== null && va !== undefined && vb !== undefined) {
        tm = vb > target ? Math.min(1, Math.max(0, (target - va) / (vb - va))) : 1;
      }
      t = Math.min(t, tm);
    }
  }
  if (t === 0) return a;
  const out = { loadKind: a.loadKind };
  for (const key of Object.keys(a)) {
    if (typeof a[key] === "number" || a[key] === null) out[key] = lerpOpt(a[key], b[key], t);
  }
  out.outputTokensPerSecond = a.outputTokensPerSecond + t * (b.outputTokensPerSecond - a.outputTokensPerSecond);
  return out;
}

// The points targets may use: none from the first that falls behind its requested rate.
function usableCurve(p) {
  return p.curve.slice(0, p.usablePoints);
}

function costAt(point, price, ratio) {
  if (!price || price.usdPerHour === null || point.inputTokensPerSecond === null || point.inputTokensPerSecond === undefined) return null;
  const weighted = point.inputTokensPerSecond / ratio + point.outputTokensPerSecond;
  if (!(weighted > 0)) return null;
  const perOutput = price.usdPerHour / 3600 / weighted;
  return { out: perOutput * 1e6, in: (perOutput / ratio) * 1e6 };
}

function readTargets(form) {
  const t = {};
  for (const [name] of METRICS) {
    const v = form.elements[name] ? parseFloat(form.elements[name].value) : NaN;
    t[name] = Number.isFinite(v) && v > 0 ? v : null;
  }
  return t;
}

const CURVE_FIELDS = ["loadKind", "load", "queriesPerSecond", "outputTokensPerSecond", "inputTokensPerSecond",
  "ntpotMilliseconds", "ttftMilliseconds", "itlMilliseconds", "ntpotDisplay", "ttftDisplay", "itlDisplay"];

async function loadProfiles() {
  const response = await fetch(root + "api/v1/index.json");
  if (!response.ok) throw new Error("api/v1/index.json: HTTP " + response.status);
  const data = await response.json();
  const map = new Map();
  for (const p of data.profiles) {
    p.curve = p.curve.map((row) => Object.fromEntries(CURVE_FIELDS.map((f, i) => [f, row[i]])));
    p.prices = data.pricingModels.map((m, i) => ({ pricingModel: m, usdPerHour: p.prices[i] }));
    p.outputInputCostRatio = data.outputInputCostRatio;
    map.set(p.profileId, p);
  }
  return map;
}

function priceOf(profile, pricing) {
  return profile.prices.find((x) => x.pricingModel === pricing) || null;
}

function cell(row, cls) {
  return row.querySelector("td." + cls);
}

// ---- index page ----
function setupIndex(profiles) {
  const form = document.getElementById("filters");
  const table = document.getElementById("profiles");
  const status = document.getElementById("status");
  const rows = Array.from(table.tBodies[0].rows);
  form.hidden = false;

  function refresh() {
    const want = {
      model: form.elements.model.value,
      server: form.elements.server.value,
      accelerator: form.elements.accelerator.value,
      workload: form.elements.workload.value,
    };
    const pricing = form.elements.pricing.value;
    const targets = readTargets(form);
    const anyTarget = Object.values(targets).some((v) => v !== null);
    let shown = 0;
    for (const row of rows) {
      const p = profiles.get(row.dataset.id);
      const matches = Object.entries(want).every(([k, v]) => !v || row.dataset[k] === v);
      let point = p ? p.curve[p.kneeIndex] : null;
      let kind = row.dataset.point;
      if (p && anyTarget) {
        point = operatingPoint(usableCurve(p), targets);
        kind = "target";
      }
      const visible = matches && point !== null;
      row.hidden = !visible;
      if (!visible) continue;
      shown += 1;
      cell(row, "point").textContent = kind === "target" ? "at target" : kind;
      cell(row, "load").textContent = loadText(point);
      cell(row, "out").textContent = fmt(point.outputTokensPerSecond, 2);
      cell(row, "ntpot").textContent = fmt(point.ntpotDisplay !== undefined ? point.ntpotDisplay : point.ntpotMilliseconds, 2);
      cell(row, "ttft").textContent = fmt(point.ttftDisplay !== undefined ? point.ttftDisplay : point.ttftMilliseconds, 2);
      cell(row, "itl").textContent = fmt(point.itlDisplay !== undefined ? point.itlDisplay : point.itlMilliseconds, 2);
      for (const td of row.querySelectorAll("td.cost")) {
        const c = costAt(point, priceOf(p, td.dataset.pricing), p.outputInputCostRatio);
        td.textContent = fmt(c ? c.out : null, 3);
        td.classList.toggle("selected", td.dataset.pricing === pricing);
      }
      const own = costAt(point, priceOf(p, pricing), p.outputInputCostRatio);
      cell(row, "in").textContent = fmt(own ? own.in : null, 3);
    }
    for (const th of table.querySelectorAll("th.cost")) th.classList.toggle("selected", th.dataset.pricing === pricing);
    for (const span of table.querySelectorAll(".pricing-name")) span.textContent = pricing;
    status.textContent = shown + " of " + rows.length + " profiles" + (anyTarget ? " meet the targets" : " match");
  }

  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  form.addEventListener("reset", () => setTimeout(refresh, 0));
  setupSorting(table);
  refresh();
}

function sortValue(row, index) {
  const text = row.cells[index].textContent.trim();
  const n = parseFloat(text);
  return Number.isFinite(n) ? n : text === "N/A" ? null : text.toLowerCase();
}

function setupSorting(table) {
  const headers = Array.from(table.tHead.rows[0].cells);
  headers.forEach((th, index) => {
    if (!th.dataset.key) return;
    th.tabIndex = 0;
    const sort = () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach((h) => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const body = table.tBodies[0];
      const sorted = Array.from(body.rows).sort((a, b) => {
        const va = sortValue(a, index);
        const vb = sortValue(b, index);
        if (va === null && vb === null) return 0;
        if (va === null) return 1;
        if (vb === null) return -1;
        const cmp = va < vb ? -1 : va > vb ? 1 : 0;
        return ascending ? cmp : -cmp;
      });
      for (const row of sorted) body.appendChild(row);
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", (e) => { if (e.key === "Enter") sort(); });
  });
}

// ---- model page ----
function setupCheapest(profiles) {
  const section = document.getElementById("cheapest");
  const form = document.getElementById("cheapest-form");
  const result = document.getElementById("cheapest-result");
  form.hidden = false;
  const ofModel = Array.from(profiles.values()).filter((p) => p.model === section.dataset.model);
  function refresh() {
    const targets = readTargets(form);
    const pricing = form.elements.pricing.value;
    const mine = ofModel.filter((p) => p.workload === form.elements.workload.value);
    let best = null;
    let qualifying = 0;
    for (const p of mine) {
      const anyTarget = Object.values(targets).some((v) => v !== null);
      const point = anyTarget
        ? operatingPoint(usableCurve(p), targets)
        : p.kneeOperable ? p.curve[p.kneeIndex] : null;
      if (!point) continue;
      qualifying += 1;
      const c = costAt(point, priceOf(p, pricing), p.outputInputCostRatio);
      if (c && (!best || c.out < best.cost)) best = { p, cost: c.out };
    }
    result.textContent = best
 ? best.p.acceleratorCount + "× " + best.p.acceleratorType + " (" + (best.p.variant || best.p.modelServer) + "): " + fmt(best.cost, 3) + " $/M output tokens; " + qualifying + " of " + mine.length + " profiles qualify"
      : qualifying + " of " + mine.length + " profiles qualify; none has a usable " + pricing + " price";
  }
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  refresh();
}

// ---- profile page ----
function setupBand() {
  const form = document.getElementById("band-form");
  const svg = document.getElementById("chart-throughput");
  if (!form || !svg) return;
  const band = svg.querySelector(".target-band");
  const line = svg.querySelector(".target-line");
  if (!band || !line) return;
  form.hidden = false;
  const lo = parseFloat(svg.dataset.ylogmin);
  const hi = parseFloat(svg.dataset.ylogmax);
  const top = parseFloat(svg.dataset.top);
  const bottom = parseFloat(svg.dataset.bottom);
  const move = () => {
    const v = parseFloat(form.elements.target.value);
    if (!(v > 0)) {
      line.setAttribute("visibility", "hidden");
      band.setAttribute("height", "0");
      return;
    }
    const y = Math.max(top, Math.min(bottom, top + (bottom - top) - ((Math.log10(v) - lo) / (hi - lo)) * (bottom - top)));
    band.setAttribute("y", y.toFixed(1));
    band.setAttribute("height", (bottom - y).toFixed(1));
    line.setAttribute("y1", y.toFixed(1));
    line.setAttribute("y2", y.toFixed(1));
    line.setAttribute("visibility", "visible");
  };
  form.addEventListener("input", move);
}

async function main() {
  setupBand();
  const needsData = document.getElementById("filters") || document.getElementById("cheapest");
  if (!needsData) return;
  let profiles;
  try {
    profiles = await loadProfiles();
  } catch (e) {
    const status = document.getElementById("status") || document.getElementById("cheapest-result");
    if (status) status.textContent = "Filtering needs the JSON API, which could not be loaded (" + e.message + "). Serve the site over HTTP.";
    return;
  }
  if (document.getElementById("filters")) setupIndex(profiles);
  if (document.getElementById("cheapest")) setupCheapest(profiles);
}

main();
