// infercat catalog pages: the planner (index and model pages), the index table's filters and
// sorting, a profile page at the reader's targets (with YAML from `infercat serve` where the site
// is served by it), and the compare view. Every number is computed by core.js; every page reads
// without this script.
"use strict";

const PLAN_FIELDS = ["model", "server", "accelerator", "workload", "usecase", "in", "out", "stat", "ntpot", "ttft", "itl", "qps", "pricing", "own"];
// What a profile link carries from the planner: the targets and the traffic, not the filters.
const CARRIED = ["stat", "ntpot", "ttft", "itl", "qps", "pricing", "own"];

function planState(form) {
  const state = {};
  for (const name of PLAN_FIELDS) if (form.elements[name]) state[name] = form.elements[name].value.trim();
  return state;
}

function restoreForm(form, state) {
  for (const [name, value] of Object.entries(state)) {
    const field = form.elements[name];
    if (!field || value === "") continue;
    if (field.tagName === "SELECT" && !Array.from(field.options).some((o) => o.value === value)) continue;
    field.value = value;
  }
}

function targetsOf(state) {
  return { ntpot: IC.number(state.ntpot), ttft: IC.number(state.ttft), itl: IC.number(state.itl) };
}

function describeTargets(targets, stat) {
  const parts = IC.METRICS.filter((m) => targets[m] !== null).map((m) => IC.METRIC_NAMES[m] + " ≤ " + IC.trimmed(targets[m], 2) + " ms");
  return parts.length ? parts.join(", ") + " (" + stat + ")" : "";
}

// Whether a profile ran the workload asked for: the same workload, else the same use case,
// else input and output lengths within 25 % of the asked ones.
function workloadMatch(p, state) {
  if (state.workload) return p.workload === state.workload;
  if (state.usecase) return p.useCase === state.usecase;
  const asked = [IC.number(state.in), IC.number(state.out)];
  return asked.every((want, i) => want === null || (IC.known(p.lengths[i]) && Math.abs(p.lengths[i] - want) <= 0.25 * want));
}

function carriedQuery(state) {
  const q = new URLSearchParams();
  for (const name of CARRIED) if (state[name]) q.set(name, state[name]);
  const text = q.toString();
  return text ? "?" + text : "";
}

// One profile evaluated under the planner's state, or null when it misses the targets.
function evaluate(p, state, data) {
  const stat = state.stat || data.percentile;
  const targets = targetsOf(state);
  const anyTarget = IC.METRICS.some((m) => targets[m] !== null);
  let op;
  if (anyTarget) {
    op = IC.operatingPoint(p, targets, stat);
  } else {
    const knee = p.knees[stat];
    op = knee && knee[1] ? { point: p.curve[knee[0]] } : null;
  }
  if (!op) return null;
  const point = op.point;
  const knee = IC.kneePoint(p, stat);
  const price = IC.machinePrice(p, state.pricing || data.pricingModel, IC.number(state.own));
  const cost = IC.costPerMillion(point, price, data.outputInputCostRatio);
  const qps = IC.number(state.qps);
  const replicas = qps === null ? 1 : IC.replicasFor(qps, point, data.sizingHeadroom);
  const headroom = knee && point.out > 0 ? knee.out / point.out - 1 : null;
  // What the headroom is measured to: the knee, or the highest point where none was observed.
  const pointName = (p.knees[stat] || [])[2] || "knee";
  // Targets are checked at the statistic asked for; without one the point's latencies are
  // shown as its page shows them (the mean where the tool reports nothing else).
  const shownStat = anyTarget ? stat : IC.curveStat(p, stat);
  return {
    p, point, pointName, shownStat, cost, price, replicas,
    totalPerHour: price !== null && replicas !== null ? price * replicas : null,
    headroom, beyondKnee: headroom !== null && headroom < -1e-9,
    matches: workloadMatch(p, state),
  };
}

function rankKey(r, byTotal) {
  return byTotal ? r.totalPerHour : r.cost ? r.cost.out : null;
}

function ranked(results, byTotal) {
  return results.sort((a, b) => {
    if (a.matches !== b.matches) return a.matches ? -1 : 1;
    const ka = rankKey(a, byTotal);
    const kb = rankKey(b, byTotal);
    if ((ka === null) !== (kb === null)) return ka === null ? 1 : -1;
    if (ka !== null && ka !== kb) return ka - kb;
    const ca = a.cost ? a.cost.out : Infinity;
    const cb = b.cost ? b.cost.out : Infinity;
    if (ca !== cb) return ca - cb;
    return a.p.profileId < b.p.profileId ? -1 : 1;
  });
}

function badge(text, title, cls) {
  return IC.el("span", { className: "badge" + (cls ? " " + cls : ""), title, text });
}

// A latency with its unit, or N/A (no unit) where it is not reported.
function msText(v) {
  return IC.known(v) ? IC.sig(v) + " ms" : "N/A";
}

// Headroom to what `r` is measured against: its knee, or (no knee observed) its highest
// point, as the profile page says; `named` adds which (the planner's column is headed
// "Headroom" alone; the profile page's row names the point).
function headroomText(r, named) {
  const point = r.pointName;
  if (r.headroom === null) return "N/A";
  if (r.beyondKnee) return "beyond the " + point;
  if (Math.round(r.headroom * 100) === 0) return "at the " + point;
  return "+" + IC.trimmed(r.headroom * 100, 0) + " %" + (named ? " to the " + point : "");
}

function resultRow(r, rank, state, pageRoot) {
  const p = r.p;
  const name = p.acceleratorCount + "× " + p.acceleratorType + " · " + p.modelServer + " " + p.version + (p.variant ? " · " + p.variant : "");
  const link = IC.el("a", { href: pageRoot + "profiles/" + p.profileId + ".html" + carriedQuery(state), text: name });
  const badges = IC.el("span", { className: "badges" });
  if (!r.matches) badges.append(badge("different workload", "this profile ran " + p.workload + ", not the workload asked for", "warn"));
  if (r.beyondKnee) badges.append(badge("beyond the " + r.pointName, "the targets are met only past the " + r.pointName + ", where latency climbs fast with load", "warn"));
  for (const [b, why] of p.caveats) badges.append(badge(b, why));
  const cells = [
    IC.el("td", { className: "num", text: String(rank) }),
    IC.el("td", {}, [link, IC.el("br"), IC.el("small", { text: p.model + " · " + p.workload }), " ", badges]),
    IC.el("td", { className: "num", text: IC.loadText(r.point) }),
    IC.el("td", { className: "num", text: IC.sig(r.point.out) }),
    IC.el("td", { className: "num", text: r.replicas === null ? "N/A" : String(r.replicas) }),
    IC.el("td", { className: "num", text: IC.usdPerHour(r.totalPerHour) }),
    IC.el("td", { className: "num", text: IC.sig(r.cost ? r.cost.out : null) }),
    IC.el("td", { className: "num", text: headroomText(r, true) }),
  ];
  const row = IC.el("tr", { "data-id": p.profileId }, cells);
  if (!r.matches) row.classList.add("other-workload");
  return row;
}

// ---- planner (index and model pages) ----
function setupPlanner(data, onChange) {
  const form = document.getElementById("planner");
  const results = document.getElementById("plan-results");
  const status = document.getElementById("plan-status");
  const fixedModel = form.dataset.model || "";
  form.hidden = false;
  document.getElementById("plan").hidden = false;
  for (const n of document.querySelectorAll(".planner-static")) n.hidden = true;
  restoreForm(form, IC.readState(PLAN_FIELDS));
  const pageRoot = IC.root;
  const limit = 10;

  function refresh() {
    const state = planState(form);
    IC.writeState(state);
    const stat = state.stat || data.percentile;
    const targets = targetsOf(state);
    const want = { model: fixedModel || state.model, modelServer: state.server, acceleratorType: state.accelerator };
    const candidates = data.profiles.filter((p) => Object.entries(want).every(([k, v]) => !v || p[k] === v));
    const evaluated = candidates.map((p) => evaluate(p, state, data)).filter((r) => r !== null);
    const byTotal = IC.number(state.qps) !== null;
    const list = ranked(evaluated, byTotal);
    results.tBodies[0].replaceChildren(...list.slice(0, limit).map((r, i) => resultRow(r, i + 1, state, pageRoot)));
    const unchecked = IC.METRICS.filter((m) => targets[m] !== null).map((m) => [m, candidates.filter((p) => !IC.reports(p, stat, m)).length]).filter(([, n]) => n > 0);
    const matching = list.filter((r) => r.matches).length;
    let text = list.length + " of " + candidates.length + " profiles " + (describeTargets(targets, stat) ? "meet " + describeTargets(targets, stat) : "have a knee (or highest point) that keeps up");
    text += "; " + matching + " ran the workload asked for";
    if (list.length > limit) text += "; the " + limit + " best are listed";
    for (const [m, n] of unchecked) text += ". " + n + " cannot be checked: their tool reports no " + IC.METRIC_NAMES[m] + " at " + stat;
    status.textContent = text + ".";
    document.getElementById("plan-sort").textContent = byTotal ? "total $/hour for " + IC.trimmed(IC.number(state.qps), 2) + " req/s" : "$/M output tokens";
    const compare = document.getElementById("plan-compare");
    compare.hidden = list.length < 2;
    compare.href = pageRoot + "compare.html?ids=" + list.slice(0, 3).map((r) => r.p.profileId).join(",") + carriedQuery(state).replace("?", "&");
    compare.textContent = list.length === 2 ? "Compare the two side by side" : "Compare the first three side by side";
    if (onChange) onChange(state, evaluated);
  }

  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  form.addEventListener("reset", () => setTimeout(() => {
    history.replaceState(null, "", location.pathname);
    refresh();
  }, 0));
  refresh();
}

// ---- charts follow the planner ----
// Dims the curves of profiles that miss the targets and shades, on the frontier charts, the
// per-user speed an NTPOT target asks for (1000 ÷ NTPOT tokens/s).
function highlightCharts(state, evaluated) {
  const targets = targetsOf(state);
  const anyTarget = IC.METRICS.some((m) => targets[m] !== null);
  const meeting = new Set(evaluated.map((r) => r.p.profileId));
  for (const g of document.querySelectorAll("svg.chart g.series[data-id]")) {
    g.classList.toggle("dim", anyTarget && !meeting.has(g.dataset.id));
  }
  for (const svg of document.querySelectorAll("svg.chart[data-xtop]")) {
    const band = svg.querySelector("g.x-band");
    if (!band) continue;
    if (targets.ntpot === null) {
      band.setAttribute("visibility", "hidden");
      continue;
    }
    const speed = 1000 / targets.ntpot;
    const left = parseFloat(svg.dataset.left);
    const right = parseFloat(svg.dataset.right);
    const x = Math.min(right, left + (speed / parseFloat(svg.dataset.xtop)) * (right - left));
    band.querySelector("rect").setAttribute("x", x.toFixed(1));
    band.querySelector("rect").setAttribute("width", (right - x).toFixed(1));
    band.querySelector("line").setAttribute("x1", x.toFixed(1));
    band.querySelector("line").setAttribute("x2", x.toFixed(1));
    // NTPOT includes the prefill share, so it is at least TPOT: meeting an NTPOT target needs at
    // least this decode speed (the dimmed curves show who meets it).
    band.querySelector("text").textContent = "≥ " + IC.sig(speed) + " tok/s per user, needed for NTPOT ≤ " + IC.trimmed(targets.ntpot, 2) + " ms";
    band.removeAttribute("visibility");
  }
}

// ---- index table ----
function cell(row, cls) {
  return row.querySelector("td." + cls);
}

function setupIndexTable(data) {
  const table = document.getElementById("profiles");
  const rows = Array.from(table.tBodies[0].rows);
  const byId = new Map(data.profiles.map((p) => [p.profileId, p]));
  // The page's own cells: every profile at its knee or stand-in, shown again when no target is set.
  const changing = (r) => Array.from(r.querySelectorAll("td.point, td.num"));
  const initial = new Map(rows.map((r) => [r, changing(r).map((c) => c.textContent)]));
  const sorter = setupSorting(table);
  return (state, evaluated) => {
    const found = new Map(evaluated.map((r) => [r.p.profileId, r]));
    const filters = { model: state.model, server: state.server, accelerator: state.accelerator, workload: state.workload };
    const pricing = state.pricing || data.pricingModel;
    const stat = state.stat || data.percentile;
    const targeted = describeTargets(targetsOf(state), stat) !== "";
    const own = IC.number(state.own);
    for (const row of rows) {
      const p = byId.get(row.dataset.id);
      const r = found.get(row.dataset.id);
      const matches = Object.entries(filters).every(([k, v]) => !v || row.dataset[k] === v);
      // Targets hide what cannot meet them; a price or statistic alone hides nothing.
      row.hidden = !matches || (targeted && !r);
      if (row.hidden) continue;
      const cells = changing(row);
      initial.get(row).forEach((text, i) => { cells[i].textContent = text; });
      const point = targeted ? r.point : p.curve[p.kneeIndex];
      if (targeted) {
        cell(row, "point").textContent = "at target";
        cell(row, "load").textContent = IC.loadText(point);
        cell(row, "out").textContent = IC.sig(point.out);
        for (const m of IC.METRICS) cell(row, m).textContent = IC.sig(point.shown[m]);
      }
      if (targeted || own !== null || pricing !== data.pricingModel) {
        const c = IC.costPerMillion(point, IC.machinePrice(p, pricing, own), data.outputInputCostRatio);
        cell(row, "cost").textContent = IC.sig(c ? c.out : null);
        cell(row, "in").textContent = IC.sig(c ? c.in : null);
      }
    }
    for (const span of table.querySelectorAll(".pricing-name")) span.textContent = pricing;
    sorter.reapply();
  };
}

function sortValue(row, index, type) {
  const c = row.cells[index];
  const text = (c.dataset.sort ?? c.textContent).trim();
  if (type === "version") return text;
  if (type === "text") return text.toLowerCase();
  const n = parseFloat(text.replace(/,/g, ""));
  return Number.isFinite(n) ? n : null;
}

// Sortable headers; the active sort is re-applied whenever the rows change, so `aria-sort`
// never claims an order the table does not have.
function setupSorting(table) {
  const headers = Array.from(table.tHead.rows[0].cells);
  let active = null;
  function apply() {
    if (!active) return;
    const { index, ascending, type } = active;
    const body = table.tBodies[0];
    const sorted = Array.from(body.rows).sort((a, b) => {
      const va = sortValue(a, index, type);
      const vb = sortValue(b, index, type);
      if (va === null && vb === null) return 0;
      if (va === null) return 1;
      if (vb === null) return -1;
      const cmp = type === "version" ? IC.compareVersions(va, vb) : va < vb ? -1 : va > vb ? 1 : 0;
      return ascending ? cmp : -cmp;
    });
    for (const row of sorted) body.appendChild(row);
  }
  headers.forEach((th, index) => {
    if (!th.dataset.key) return;
    th.tabIndex = 0;
    const type = th.dataset.type || (th.classList.contains("num") ? "number" : "text");
    const sort = () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach((h) => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      active = { index, ascending, type };
      apply();
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
  });
  return { reapply: apply };
}

// ---- profile page at the reader's targets ----
function copyButton(source) {
  const button = IC.el("button", { type: "button", className: "copy", text: "Copy" });
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.textContent);
      button.textContent = "Copied";
    } catch {
      const range = document.createRange();
      range.selectNodeContents(source);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      button.textContent = "Selected: press Ctrl+C";
    }
    setTimeout(() => { button.textContent = "Copy"; }, 2000);
  });
  return button;
}

// A flag value as the CLI's command line quotes it (site-gen/src/manifests.rs `shell_quote`).
function shellQuote(value) {
  return /^[A-Za-z0-9._\/:=@+,-]+$/.test(value) ? value : "'" + value.replace(/'/g, "'\\''") + "'";
}

// Flags as the CLI's command line spells them (site-gen/src/manifests.rs `create_command`).
function flagsText(flags) {
  return flags.map(([k, v]) => " --" + k + "=" + shellQuote(v)).join("");
}

// The `manifests create` flags for this profile at the state, in the CLI's order
// (src/cmd/manifests.rs command_flags): profile, targets, platform, percentile, rate, pricing.
function createFlags(section, state, data) {
  const flags = [];
  const add = (name, value) => flags.push([name, value]);
  const targets = targetsOf(state);
  for (const m of IC.METRICS) if (targets[m] !== null) add("target-" + m + "-milliseconds", String(targets[m]));
  if (section.dataset.platform) add("platform", section.dataset.platform);
  const stat = state.stat || data.percentile;
  if (stat !== "p50") add("percentile", stat);
  if (IC.number(state.qps) !== null) add("expected-qps", String(IC.number(state.qps)));
  const pricing = state.pricing || data.pricingModel;
  if (pricing !== "spot") add("pricing-model", pricing);
  return flags;
}

// Pages sent by `infercat serve` carry a Server-Timing entry naming it
// (src/serve/site_manifest.rs). Browsers expose it in secure contexts only (HTTPS, localhost):
// elsewhere the page cannot tell, and asks the endpoint (a static host answers 404).
function servedByInfercat() {
  const nav = performance.getEntriesByType("navigation")[0];
  if (window.isSecureContext && nav && Array.isArray(nav.serverTiming)) {
    return nav.serverTiming.some((e) => e.name === "infercat-serve") ? "yes" : "no";
  }
  return "unknown";
}

// `sizedAt`: what the page's own manifests (and the CLI without a target) are sized at.
function staticNote(sizedAt) {
  return "This copy of the site is static: run the command above for the YAML at these targets; the files under Deploy are sized at the " + sizedAt + ". Served by infercat serve, this page shows it here.";
}

let yamlUrl = null;

// Shows the YAML `infercat serve` answers for these flags; `current()` says whether the page
// still wants this answer (a later change may have asked again).
async function showYaml(section, profileFlags, flags, current) {
  const out = section.querySelector(".yaml");
  const note = section.querySelector(".yaml-note");
  const link = section.querySelector(".yaml-download");
  const served = servedByInfercat();
  if (served === "no") {
    note.textContent = staticNote(section.dataset.sizedAt);
    out.hidden = true;
    return;
  }
  const q = new URLSearchParams([...profileFlags, ...flags]);
  let r;
  try {
    r = await fetch(IC.root + "infercat/v1/manifest?" + q.toString());
  } catch {
    r = null;
  }
  if (!current()) return;
  const isYaml = r && r.ok && (r.headers.get("content-type") || "").startsWith("application/yaml");
  if (!isYaml) {
    let message = staticNote(section.dataset.sizedAt);
    if (r && served === "yes") {
      try { message = "The manifest could not be made: " + (await r.json()).error.message; } catch { message = "The manifest could not be made: HTTP " + r.status; }
    }
    note.textContent = message;
    out.hidden = true;
    link.hidden = true;
    return;
  }
  const text = await r.text();
  if (!current()) return;
  out.querySelector("code").textContent = text;
  out.hidden = false;
  note.textContent = "Byte for byte what the command above prints (answered by infercat serve with the CLI's code).";
  if (yamlUrl) URL.revokeObjectURL(yamlUrl);
  yamlUrl = URL.createObjectURL(new Blob([text], { type: "application/yaml" }));
  link.href = yamlUrl;
  link.hidden = false;
}

// Places each chart's band for a metric at its target (or back where the page drew it).
function moveBands(targets, stat) {
  for (const svg of document.querySelectorAll("svg.chart[data-ylogmin]")) {
    const lo = parseFloat(svg.dataset.ylogmin);
    const hi = parseFloat(svg.dataset.ylogmax);
    const top = parseFloat(svg.dataset.top);
    const bottom = parseFloat(svg.dataset.bottom);
    addListedBands(svg);
    for (const band of svg.querySelectorAll("g.band")) {
      drawHiddenBand(svg, band);
      const rect = band.querySelector("rect");
      const line = band.querySelector("line");
      const label = band.querySelector("text");
      if (!band.dataset.initial) band.dataset.initial = JSON.stringify([band.getAttribute("visibility"), rect.getAttribute("y"), rect.getAttribute("height"), label.getAttribute("y"), label.textContent]);
      const v = targets[band.dataset.metric];
      if (v === null || v === undefined) {
        const [vis, y, h, ly, text] = JSON.parse(band.dataset.initial);
        if (vis) band.setAttribute("visibility", vis); else band.removeAttribute("visibility");
        rect.setAttribute("y", y); rect.setAttribute("height", h);
        line.setAttribute("y1", y); line.setAttribute("y2", y);
        label.setAttribute("y", ly); label.textContent = text;
        continue;
      }
      const y = Math.max(top, Math.min(bottom, top + (bottom - top) - ((Math.log10(v) - lo) / (hi - lo)) * (bottom - top)));
      band.removeAttribute("visibility");
      rect.setAttribute("y", y.toFixed(1));
      rect.setAttribute("height", (bottom - y).toFixed(1));
      line.setAttribute("y1", y.toFixed(1));
      line.setAttribute("y2", y.toFixed(1));
      label.setAttribute("y", (y - 4).toFixed(1));
      // A target outside the axis is drawn at its edge: the label says where it really is.
      const outside = Math.log10(v) < lo ? ", below this chart" : Math.log10(v) > hi ? ", above this chart" : "";
      label.textContent = band.dataset.name + " ≤ " + IC.trimmed(v, 2) + " ms (" + stat + outside + ")";
    }
    separateLabels(svg);
  }
}

// The bands a chart lists (data-bands="metric:Name ...") that it was drawn without, added
// hidden under the curves (before the grid) for a target to place.
function addListedBands(svg) {
  const grid = svg.querySelector("path.grid");
  for (const word of (svg.dataset.bands || "").split(" ").filter(Boolean)) {
    const [metric, name] = word.split(":");
    if (svg.querySelector('g.band[data-metric="' + metric + '"]')) continue;
    const band = document.createElementNS("http://www.w3.org/2000/svg", "g");
    band.setAttribute("class", "band");
    band.dataset.metric = metric;
    band.dataset.name = name;
    band.setAttribute("visibility", "hidden");
    svg.insertBefore(band, grid);
  }
}

// A band the page left empty (no target when it was built): its area, edge and label at the
// bottom of the plot, hidden, as a band with a target is drawn.
function drawHiddenBand(svg, band) {
  if (band.querySelector("rect")) return;
  const left = parseFloat(svg.dataset.left);
  const right = parseFloat(svg.dataset.right);
  const bottom = parseFloat(svg.dataset.bottom);
  const part = (tag, attrs, text) => {
    const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text) e.textContent = text;
    band.appendChild(e);
  };
  part("rect", { x: left, y: bottom, width: right - left, height: 0 });
  part("line", { x1: left, x2: right, y1: bottom, y2: bottom });
  part("text", { class: "band-label", x: right - 6, y: bottom - 4, "text-anchor": "end" }, band.dataset.name);
}

// Moves band labels down until none overlaps another text of the chart.
function separateLabels(svg) {
  const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const labels = Array.from(svg.querySelectorAll("g.band:not([visibility=hidden]) text.band-label"));
  for (const label of labels) {
    for (let tries = 0; tries < 8; tries++) {
      const box = label.getBoundingClientRect();
      const others = Array.from(svg.querySelectorAll("text")).filter((t) => t !== label && !t.closest("[visibility=hidden]") && t.textContent.trim());
      if (!others.some((t) => overlaps(box, t.getBoundingClientRect()))) break;
      label.setAttribute("y", (parseFloat(label.getAttribute("y")) + 14).toFixed(1));
    }
  }
}

// The profile page's targets form, the same on every page: built here from the choices the
// JSON API states rather than repeated in every page's markup.
function buildTargetsForm(form, data) {
  const number = (name, label, extra = {}) => IC.el("label", {}, [label + " ", IC.el("input", { name, type: "number", min: "0", step: "any", inputmode: "decimal", ...extra })]);
  const select = (name, label, values, chosen) => IC.el("label", {}, [label + " ", IC.el("select", { name }, values.map((v) => {
    const o = IC.el("option", { value: v, text: v });
    o.selected = v === chosen;
    return o;
  }))]);
  // A space between controls, as the planner's markup has: inline labels otherwise touch.
  const fieldset = (legend, ...controls) => IC.el("fieldset", {}, [
    IC.el("legend", { text: legend }), ...controls.flatMap((c, i) => (i ? [" ", c] : [c])),
  ]);
  form.replaceChildren(
    fieldset("Latency targets, ms",
      select("stat", "Statistic", data.statistics, data.percentile),
      number("ntpot", "NTPOT ≤"), number("ttft", "TTFT ≤"), number("itl", "ITL ≤")),
    fieldset("Traffic and price",
      number("qps", "Expected req/s"),
      select("pricing", "Pricing model", data.pricingModels, data.pricingModel),
      number("own", "Own $/accelerator-hour", { placeholder: "catalog price" })),
  );
}

function setupProfileTargets(data) {
  const section = document.getElementById("at-targets");
  const form = document.getElementById("targets-form");
  const p = data.profiles.find((x) => x.profileId === section.dataset.id);
  if (!p) return;
  buildTargetsForm(form, data);
  section.hidden = false;
  const profileFlags = JSON.parse(document.getElementById("profile-flags").textContent);
  const commandBase = "infercat manifests create" + flagsText(profileFlags);
  restoreForm(form, IC.readState(CARRIED));
  const facts = section.querySelector(".target-facts");
  const warn = section.querySelector(".target-warning");
  const command = section.querySelector(".target-command code");
  section.querySelector(".target-command").after(copyButton(command));
  let pending = 0;

  function refresh() {
    const state = {};
    for (const n of CARRIED) state[n] = form.elements[n] ? form.elements[n].value.trim() : "";
    IC.writeState(state);
    const stat = state.stat || data.percentile;
    const targets = targetsOf(state);
    const r = evaluate(p, state, data);
    const described = describeTargets(targets, stat);
    moveBands(targets, stat);
    const rows = [];
    if (!r) {
      // A target on a latency the tool does not report at this statistic cannot be met (the
      // CLI's rule): say that, not that the latency was too high.
      const unreported = IC.METRICS.filter((m) => targets[m] !== null && !IC.reports(p, stat, m));
      const why = unreported.length
        ? "This profile's tool reports no " + unreported.map((m) => IC.METRIC_NAMES[m]).join(" or ") + " at " + stat + ", so " + described + " cannot be checked (it counts as not met)"
        : "No measured point of this profile meets " + described + " while keeping up with its load";
      warn.textContent = described
        ? why + ": the CLI sizes its manifest at the " + section.dataset.sizedAt + " instead, without an HPA."
        : "This profile has no knee that keeps up at " + stat + ".";
      warn.hidden = false;
    } else {
      // The reader's statistic's knee, which may be of another kind than the page's.
      const point = r.pointName;
      warn.hidden = !r.beyondKnee;
      warn.textContent = r.beyondKnee ? "These targets are met only beyond the " + point + " (" + IC.sig(IC.kneePoint(p, stat).out) + " output tokens/s): latency climbs steeply there, and a small rise in load breaks the target. Prefer a tighter load or more replicas." : "";
      rows.push(["Operating point", (described ? "at " + described : "at the " + point) + ": " + IC.loadText(r.point) + ", " + IC.sig(r.point.out) + " output tokens/s"]);
      const shown = r.shownStat === stat ? stat : r.shownStat + "; the tool reports no " + stat;
      rows.push(["Latency there (" + shown + ")", IC.METRICS.map((m) => IC.METRIC_NAMES[m] + " " + msText(r.point.strict[r.shownStat][m])).join(", ")]);
      rows.push(["Headroom to the " + point, headroomText(r, false)]);
      rows.push(["Replicas", r.replicas === null ? "N/A" : String(r.replicas) + (IC.number(state.qps) !== null ? " for " + IC.trimmed(IC.number(state.qps), 2) + " req/s (×" + data.sizingHeadroom + " headroom)" : "")]);
      rows.push(["Cost", r.cost ? IC.sig(r.cost.out) + " $/M output, " + IC.sig(r.cost.in) + " $/M input, " + IC.usdPerHour(r.totalPerHour) + " $/hour in all" + (IC.number(state.own) !== null ? " (your $" + IC.trimmed(IC.number(state.own), 4) + " per accelerator-hour)" : "") : "N/A (no price for this machine; give your own $/accelerator-hour)"]);
    }
    facts.replaceChildren(...rows.flatMap(([k, v]) => [IC.el("dt", { text: k }), IC.el("dd", { text: v })]));
    const flags = createFlags(section, state, data);
    command.textContent = commandBase + flagsText(flags);
    const mine = ++pending;
    const current = () => mine === pending;
    setTimeout(() => { if (current()) showYaml(section, profileFlags, flags, current); }, 250);
  }
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  refresh();
}

// ---- main ----
// The profile page's derived manifests: the base file plus the page's hunks
// (site-gen/src/site/manifest_patch.rs), applied from the last to the first.
function applyPatch(base, hunks) {
  // Lines with their "\n" (a lone "\r" does not end one), as the site's Rust splits them.
  const lines = base.match(/[^\n]*\n|[^\n]+$/g) || [];
  const original = lines.slice();
  for (let i = hunks.length - 1; i >= 0; i--) {
    const [at, remove, insert] = hunks[i];
    const end = Math.min(at + remove, lines.length);
    // A number n >= 0 stands for that line of the base as it was before any hunk; -1 - n for
    // line n of the lines the manifest templates share (assets/manifest-lines.js).
    const text = insert.map((l) => (typeof l !== "number" ? l : l < 0 ? IC.manifestLines[-1 - l] : original[l]) ?? "");
    lines.splice(Math.min(at, end), end - Math.min(at, end), ...text);
  }
  return lines.join("");
}

async function setupDerivedManifests() {
  const links = Array.from(document.querySelectorAll("a.derived-manifest"));
  if (!links.length) return;
  let base, baseUrl;
  try {
    if (!Array.isArray(IC.manifestLines)) throw new Error("assets/manifest-lines.js did not load");
    baseUrl = links[0].closest("[data-base]").dataset.base;
    const res = await fetch(baseUrl);
    if (!res.ok) throw new Error("HTTP " + res.status);
    base = await res.text();
  } catch (e) {
    for (const a of links) a.nextElementSibling.textContent = "(needs the base manifest and the site's manifest lines, which could not be loaded: " + e.message + ")";
    return;
  }
  // A variant is named after the base file: <profile id>-<its data-file>.
  const stem = baseUrl.split("?")[0].split("/").pop().replace(/\.yaml$/, "");
  for (const a of links) {
    const hunks = JSON.parse(a.parentElement.querySelector("script[type='application/json']").textContent);
    a.href = URL.createObjectURL(new Blob([applyPatch(base, hunks)], { type: "application/yaml" }));
    a.download = stem + "-" + a.dataset.file;
    a.parentElement.querySelector(".no-js-only").remove();
  }
}

// The profile page's "At your targets" parts, the same on every page: the form (filled by
// buildTargetsForm), the status line, the facts, the command and the YAML with its download.
function buildTargetsSection(section) {
  const el = IC.el;
  section.append(
    el("form", { id: "targets-form", className: "planner" }),
    el("p", { id: "targets-status", className: "target-warning warning", role: "status", hidden: "" }),
    el("dl", { className: "facts target-facts" }),
    el("p", { text: "The manifest for these targets:" }),
    el("pre", { className: "command target-command" }, [el("code")]),
    el("p", { className: "yaml-note hint" }),
    el("pre", { className: "yaml", hidden: "" }, [el("code")]),
    el("p", {}, [el("a", { className: "yaml-download", download: section.dataset.id + ".yaml", hidden: "", text: "Download this YAML" })]),
  );
}

// On a narrow screen a chart scrolls inside its box and opens at its y axis. Where a chart
// circles one point (a profile's knee, or the point it shows instead) and that point lies
// beyond what shows, the box opens scrolled just far enough to show it with its label: a
// profile measured at high loads only would otherwise open on an empty-looking plot. Charts
// that circle several points (a frontier's Pareto-best) open at their axis.
function revealCircledPoints() {
  // Room for the point's label ("highest point") beside the ring.
  const margin = 100;
  for (const svg of document.querySelectorAll(".chart-box > svg.chart")) {
    const box = svg.parentElement;
    const rings = svg.querySelectorAll("circle.ring");
    if (rings.length !== 1 || box.scrollWidth <= box.clientWidth) continue;
    const beyond = rings[0].getBoundingClientRect().right + margin - box.getBoundingClientRect().right;
    if (beyond > 0) box.scrollLeft += beyond;
  }
}

async function main() {
  revealCircledPoints();
  setupDerivedManifests();
  const targetsSection = document.getElementById("at-targets");
  if (targetsSection) buildTargetsSection(targetsSection);
  const needsData = document.getElementById("planner") || document.getElementById("at-targets") || document.getElementById("compare");
  if (!needsData) return;
  let data;
  try {
    data = await IC.load();
  } catch (e) {
    for (const id of ["plan-status", "targets-status", "compare-status"]) {
      const status = document.getElementById(id);
      if (!status) continue;
      status.textContent = "The planner needs the JSON API, which could not be loaded (" + e.message + "). Serve the site over HTTP; every number is in the tables.";
      status.hidden = false;
      for (let n = status.parentElement; n; n = n.parentElement) if (n.hidden) n.hidden = false;
    }
    for (const form of document.querySelectorAll("#planner, #targets-form, #compare")) form.hidden = true;
    return;
  }
  if (document.getElementById("planner")) {
    const table = document.getElementById("profiles");
    const updateTable = table ? setupIndexTable(data) : null;
    setupPlanner(data, (state, evaluated) => {
      if (updateTable) updateTable(state, evaluated);
      highlightCharts(state, evaluated);
    });
  }
  if (document.getElementById("at-targets")) setupProfileTargets(data);
  if (document.getElementById("compare") && typeof setupCompare === "function") setupCompare(data);
}

main();
