// The compare page: two to four profiles at the same targets, overlaid curves drawn here as SVG
// (log latency against output throughput, the layout rules of site-gen/src/charts.rs kept
// simple), and a table of every figure with its difference to the first profile. Numbers come
// from core.js and app.js (the planner's `evaluate`), so they match the planner and the CLI.
"use strict";

const SLOTS = ["a", "b", "c", "d"];
// Okabe–Ito, as site-gen/src/charts.rs.
const COMPARE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00"];
const SVG_NS = "http://www.w3.org/2000/svg";

function svgEl(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// Tick text as the build-time charts write it: 2k, 500, 0.5.
function tickText(v) {
  if (v >= 1e6) return IC.trimmed(v / 1e6, 1) + "M";
  if (v >= 1000) return IC.trimmed(v / 1000, 1) + "k";
  return IC.trimmed(v, 3);
}

// "Nice" linear ticks (1, 2, 5 × 10^n) from 0 covering `max` (charts.rs linear_ticks).
function niceTicks(max) {
  const mag = 10 ** Math.floor(Math.log10(max / 5));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => max / s <= 6) || 10 * mag;
  const top = Math.ceil(max / step) * step;
  return { top, ticks: Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step) };
}

// One overlaid chart of `metric` (shown statistic) against output tokens/s.
function compareChart(id, title, metric, chosen) {
  const W = 720, H = 380, L = 70, R = 700, T = 36, B = 330;
  const series = chosen.map(({ p }) => p.curve.map((pt) => [pt.out, pt.shown[metric]]).filter(([x, y]) => IC.known(x) && IC.known(y) && y > 0));
  const all = series.flat();
  const legendRows = chosen.length;
  const svg = svgEl("svg", { class: "chart", id, viewBox: `0 0 ${W} ${H + 12 + 18 * legendRows}`, role: "img", "aria-label": title });
  svg.append(svgEl("rect", { x: 0, y: 0, width: W, height: H + 12 + 18 * legendRows, fill: "#fff" }));
  svg.append(svgEl("text", { x: L, y: 20, class: "chart-title" }, title));
  if (all.length === 0) {
    svg.append(svgEl("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "chart-empty" }, "No data to plot"));
    return svg;
  }
  const { top: xMax, ticks: xTicks } = niceTicks(Math.max(...all.map(([x]) => x)) * 1.05);
  const hi = Math.ceil(Math.log10(Math.max(...all.map(([, y]) => y))));
  const lo = Math.max(Math.floor(Math.log10(Math.min(...all.map(([, y]) => y)))), hi - 4);
  const top = Math.max(hi, lo + 1);
  const px = (x) => (L + (x / xMax) * (R - L)).toFixed(1);
  const py = (y) => (T + (B - T) - ((Math.log10(y) - lo) / (top - lo)) * (B - T)).toFixed(1);
  for (let d = lo; d <= top; d++) {
    const y = py(10 ** d);
    svg.append(svgEl("line", { x1: L, x2: R, y1: y, y2: y, stroke: "#e5e5e5" }));
    svg.append(svgEl("text", { x: L - 6, y: Number(y) + 4, "text-anchor": "end", class: "tick" }, tickText(10 ** d)));
  }
  for (const v of xTicks) {
    svg.append(svgEl("text", { x: px(v), y: B + 18, "text-anchor": "middle", class: "tick" }, tickText(v)));
  }
  svg.append(svgEl("line", { x1: L, x2: R, y1: B, y2: B, stroke: "#555" }));
  svg.append(svgEl("line", { x1: L, x2: L, y1: T, y2: B, stroke: "#555" }));
  series.forEach((pts, i) => {
    const shown = pts.filter(([, y]) => Math.log10(y) >= lo);
    const g = svgEl("g", { class: "series", "data-id": chosen[i].p.profileId });
    g.append(svgEl("path", { d: shown.map(([x, y], j) => (j ? " L" : "M") + px(x) + "," + py(y)).join(""), fill: "none", stroke: COMPARE_COLOURS[i], "stroke-width": 2 }));
    for (const [x, y] of shown) g.append(svgEl("circle", { cx: px(x), cy: py(y), r: 3, fill: COMPARE_COLOURS[i] }));
    const op = chosen[i].r && chosen[i].r.point;
    if (op && IC.known(op.shown[metric]) && Math.log10(op.shown[metric]) >= lo) {
      g.append(svgEl("circle", { cx: px(op.out), cy: py(op.shown[metric]), r: 7, fill: "none", stroke: "#000", "stroke-width": 2 }));
    }
    svg.append(g);
    const ly = H + 12 + 18 * i;
    svg.append(svgEl("rect", { x: 20, y: ly - 9, width: 14, height: 4, fill: COMPARE_COLOURS[i] }));
    svg.append(svgEl("text", { x: 40, y: ly, class: "legend-text" }, (i + 1) + ". " + chosen[i].label));
  });
  svg.append(svgEl("text", { x: (L + R) / 2, y: B + 38, "text-anchor": "middle", class: "axis-label" }, "output tokens/s (circled: the operating point)"));
  svg.append(svgEl("text", { x: 16, y: (T + B) / 2, "text-anchor": "middle", transform: `rotate(-90 16 ${(T + B) / 2})`, class: "axis-label" }, "latency, ms (log scale)"));
  return svg;
}

function percentDiff(v, base) {
  if (!IC.known(v) || !IC.known(base) || base === 0) return "";
  const d = (v / base - 1) * 100;
  if (Math.round(Math.abs(d)) === 0) return " (±0 %)";
  return " (" + (d > 0 ? "+" : "−") + IC.trimmed(Math.abs(d), 0) + " %)";
}

const COMPARE_ROWS = [
  ["Load", (r) => IC.loadText(r.point), null],
  ["Output tok/s", (r) => r.point.out, "more"],
  ["Output tok/s per accelerator", (r) => r.point.out / r.p.acceleratorCount, "more"],
  ["Output tok/s per user", (r) => r.point.perUser, "more"],
  ["NTPOT, ms", (r) => r.point.strict[r.shownStat].ntpot, "less"],
  ["TTFT, ms", (r) => r.point.strict[r.shownStat].ttft, "less"],
  ["ITL, ms", (r) => r.point.strict[r.shownStat].itl, "less"],
  ["$/M output", (r) => (r.cost ? r.cost.out : null), "less"],
  ["$/hour (all replicas)", (r) => r.totalPerHour, "less"],
  ["Replicas", (r) => r.replicas, "less"],
];

// What the chosen profiles are shown at without targets: "knee", or "knee or highest point"
// when one has no knee observed (each is at its own, as its page says).
function pointNames(chosen) {
  return [...new Set(chosen.filter((c) => c.r).map((c) => c.r.pointName))].join(" or ") || "knee";
}

function setupCompare(data) {
  const form = document.getElementById("compare");
  const status = document.getElementById("compare-status");
  const headline = document.getElementById("compare-headline");
  const table = document.getElementById("compare-table");
  const charts = document.getElementById("compare-charts");
  const byId = new Map(data.profiles.map((p) => [p.profileId, p]));
  const labels = new Map(Array.from(form.querySelectorAll("select[name=a] option"), (o) => [o.value, o.textContent]));
  // The page lists the profiles once, in the first slot; the other slots get a copy.
  const groups = form.querySelectorAll("select[name=a] optgroup");
  for (const slot of SLOTS.slice(1)) form.elements[slot].append(...Array.from(groups, (g) => g.cloneNode(true)));
  form.hidden = false;
  const initial = IC.readState(["ids", ...CARRIED]);
  (initial.ids || "").split(",").filter(Boolean).slice(0, 4).forEach((id, i) => { form.elements[SLOTS[i]].value = id; });
  restoreForm(form, initial);

  function refresh() {
    const state = {};
    for (const n of CARRIED) state[n] = form.elements[n].value.trim();
    const ids = SLOTS.map((s) => form.elements[s].value).filter((id) => byId.has(id));
    IC.writeState({ ids: ids.join(","), ...state });
    const stat = state.stat || data.percentile;
    // The option labels name a profile within its model (the list groups them by model):
    // profiles of different models are named with their model too.
    const models = new Set(ids.map((id) => byId.get(id).model));
    const chosen = ids.map((id) => ({ p: byId.get(id), r: evaluate(byId.get(id), state, data), label: (models.size > 1 ? byId.get(id).model + " · " : "") + (labels.get(id) || id) }));
    table.hidden = chosen.length < 2;
    charts.replaceChildren();
    if (chosen.length < 2) {
      status.textContent = "Choose at least two profiles.";
      headline.textContent = "";
      return;
    }
    const workloads = new Set(chosen.map((c) => c.p.workload));
    const described = describeTargets(targetsOf(state), stat);
    status.textContent = (models.size > 1 ? "These profiles serve different models (" + [...models].join("; ") + "). " : "") +
      (workloads.size > 1 ? "These profiles ran different workloads (" + [...workloads].join("; ") + "): their numbers are not comparable. " : "") +
      (described ? "At the largest load meeting " + described + "." : "At each profile's " + pointNames(chosen) + ".") +
      chosen.filter((c) => !c.r).map((c) => " " + c.label + " cannot meet it.").join("") +
      chosen.filter((c) => c.r && c.r.shownStat !== stat).map((c) => " " + c.label + ": latencies are " + c.r.shownStat + "s (its tool reports no " + stat + ").").join("");
    table.tHead.replaceChildren(IC.el("tr", {}, [IC.el("th", { text: "" }), ...chosen.map((c, i) => IC.el("th", {}, [IC.el("a", { href: "profiles/" + c.p.profileId + ".html" + carriedQuery(state), text: (i + 1) + ". " + c.label })]))]));
    const base = chosen[0].r;
    table.tBodies[0].replaceChildren(...COMPARE_ROWS.map(([name, get, better]) => IC.el("tr", {}, [
      IC.el("th", { text: name }),
      ...chosen.map((c, i) => {
        if (!c.r) return IC.el("td", { className: "num", text: "does not meet the targets" });
        const v = get(c.r, stat);
        if (typeof v === "string") return IC.el("td", { className: "num", text: v });
        const text = name === "Replicas" ? (v === null ? "N/A" : String(v)) : name.startsWith("$/hour") ? IC.usdPerHour(v) : IC.sig(v);
        return IC.el("td", { className: "num", text: text + (i > 0 && base && better ? percentDiff(v, get(base, stat)) : "") });
      }),
    ])));
    const second = chosen[1].r;
    // A difference neither can be stated for (a profile without a price) is left out.
    const diffs = base && second
      ? [[second.point.out, base.point.out, "throughput"], [second.cost ? second.cost.out : null, base.cost ? base.cost.out : null, "$/M output"]]
        .map(([v, b, what]) => [percentDiff(v, b).replace(/[()]/g, "").trim(), what])
        .filter(([d]) => d)
        .map(([d, what]) => d + " " + what)
      : [];
    const firstTwo = pointNames(chosen.slice(0, 2));
    headline.textContent = diffs.length
      ? "2 vs 1: " + diffs.join(", ") + (described ? " at " + described : firstTwo === "knee" ? " at the knee" : " at each one's " + firstTwo) + "."
      : "";
    // The charts draw each curve as its page does: a tool reporting means only, at its means.
    const means = chosen.map((c, i) => (IC.curveStat(c.p, data.percentile) === data.percentile ? null : i + 1)).filter((n) => n !== null);
    const drawnAt = data.percentile + (means.length ? "; " + means.join(", ") + ": means" : "");
    for (const [metric, name] of [["ntpot", "NTPOT"], ["ttft", "TTFT"]]) {
      const fig = IC.el("figure", {}, [IC.el("div", { className: "chart-box" })]);
      fig.firstChild.append(compareChart("compare-" + metric, name + " (" + drawnAt + ") vs output throughput", metric, chosen));
      charts.append(fig);
    }
  }
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  refresh();
}
