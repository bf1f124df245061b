// infercat catalog, shared by every page's script: number formatting (the same rules as
// site-gen/src/format.rs, so a cell reads the same before and after the script touches it), the
// compact data in api/v1/index.json, the operating point under latency targets (the rules of
// pipeline/src/analysis/operating_point.rs), costs, replicas, and page state kept in the URL.
// Text from data is only ever inserted with textContent.
"use strict";

const IC = (() => {
  const root = document.body.dataset.root || "";

  // ---- formatting (mirrors site-gen/src/format.rs) ----
  const known = (v) => v !== null && v !== undefined && Number.isFinite(v);

  // toFixed, but an exact tie rounds to even as Rust's `{:.N}` does (toFixed rounds it up).
  function fixed(v, decimals) {
    const rounded = v.toFixed(decimals);
    const exact = v.toFixed(Math.min(100, decimals + 40));
    const tail = exact.slice(exact.length - 40);
    if (!/^50*$/.test(tail)) return rounded;
    const truncated = exact.slice(0, exact.length - 40).replace(/\.$/, "");
    return Number(truncated.slice(-1)) % 2 === 0 ? truncated : rounded;
  }

  function grouped(v, decimals) {
    const text = fixed(Math.abs(v), decimals);
    const [int, frac] = text.split(".");
    const sign = v < 0 && Number(text) !== 0 ? "-" : "";
    return sign + int.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (frac ? "." + frac : "");
  }

  function sigDecimals(v) {
    if (v === 0) return 0;
    return Math.min(4, Math.max(0, 2 - Math.floor(Math.log10(Math.abs(v)))));
  }

  // Three significant digits, thousands grouped: 10,524 · 279 · 44.5 · 0.045.
  function sig(v) {
    return known(v) ? grouped(v, sigDecimals(v)) : "N/A";
  }

  // At most `digits` decimals, trailing zeros dropped: 8 · 2.5 · 94.57.
  function trimmed(v, digits) {
    if (!known(v)) return "N/A";
    const text = grouped(v, digits);
    return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
  }

  function usdPerHour(v) {
    if (!known(v)) return "N/A";
    return Math.abs(v) >= 1 ? grouped(v, 2) : sig(v);
  }

  function loadText(p) {
    if (p.loadKind === "rate") return trimmed(p.load, 2) + " req/s";
    if (p.loadKind === "concurrency") return "concurrency " + trimmed(p.load, 1);
    return "unbounded load";
  }

  // ---- data ----
  const METRICS = ["ntpot", "ttft", "itl"];
  const METRIC_NAMES = { ntpot: "NTPOT", ttft: "TTFT", itl: "ITL" };

  function pointOf(row, statistics) {
    const p = {
      loadKind: row[0], load: row[1], qps: row[2], out: row[3], in: row[4], perUser: row[5],
      shown: { ntpot: row[6], ttft: row[7], itl: row[8] }, strict: {},
    };
    statistics.forEach((s, i) => {
      p.strict[s] = { ntpot: row[9][i][0], ttft: row[9][i][1], itl: row[9][i][2] };
    });
    return p;
  }

  let cached = null;
  function load() {
    if (!cached) {
      cached = fetch(root + "api/v1/index.json").then((response) => {
        if (!response.ok) throw new Error("api/v1/index.json: HTTP " + response.status);
        return response.json();
      }).then((data) => {
        for (const p of data.profiles) {
          p.curve = p.curve.map((row) => pointOf(row, data.statistics));
          p.priceOf = Object.fromEntries(data.pricingModels.map((m, i) => [m, p.prices[i]]));
        }
        return data;
      });
    }
    return cached;
  }

  // ---- operating point (pipeline/src/analysis/operating_point.rs) ----
  function activeTargets(targets) {
    return METRICS.filter((m) => known(targets[m]));
  }

  function meets(point, targets, stat) {
    return activeTargets(targets).every((m) => known(point.strict[stat][m]) && point.strict[stat][m] <= targets[m]);
  }

  function lerp(a, b, t) {
    if (t === 0) return a;
    if (t === 1) return b;
    return known(a) && known(b) ? a + t * (b - a) : null;
  }

  function lerpPoint(a, b, t) {
    const out = { loadKind: a.loadKind, shown: {}, strict: {} };
    for (const k of ["load", "qps", "out", "in", "perUser"]) out[k] = lerp(a[k], b[k], t);
    out.out = a.out + t * (b.out - a.out);
    for (const m of METRICS) out.shown[m] = lerp(a.shown[m], b.shown[m], t);
    for (const s of Object.keys(a.strict)) {
      out.strict[s] = {};
      for (const m of METRICS) out.strict[s][m] = lerp(a.strict[s][m], b.strict[s][m], t);
    }
    return out;
  }

  function largestFraction(a, b, targets, stat) {
    let t = 1;
    for (const m of activeTargets(targets)) {
      const va = a.strict[stat][m];
      const vb = b.strict[stat][m];
      let tm = 0;
      if (known(va) && known(vb)) tm = vb > targets[m] ? Math.min(1, Math.max(0, (targets[m] - va) / (vb - va))) : 1;
      t = Math.min(t, tm);
    }
    return t;
  }

  // The largest load meeting every target at `stat`, or null when none passes or the knee at
  // that statistic does not keep up (the CLI then refuses the profile too).
  function operatingPoint(profile, targets, stat) {
    const knee = profile.knees[stat];
    if (!knee || !knee[1]) return null;
    const curve = profile.curve.slice(0, profile.usablePoints);
    const fail = curve.findIndex((p) => !meets(p, targets, stat));
    if (fail === 0 || curve.length === 0) return null;
    if (fail === -1) return { point: curve[curve.length - 1], passing: curve.length - 1, fraction: 0 };
    const a = curve[fail - 1];
    const b = curve[fail];
    const t = b.load === null ? 0 : largestFraction(a, b, targets, stat);
    return { point: lerpPoint(a, b, t), passing: fail - 1, fraction: t };
  }

  // The statistic a curve's latencies are shown at (Percentile::for_curve, the CLI's rule):
  // `stat` if any point reports it for TTFT or NTPOT, else the mean (some tools report means
  // only). Targets are still checked at `stat` itself (an unreported statistic fails them).
  function curveStat(profile, stat) {
    return reports(profile, stat, "ttft") || reports(profile, stat, "ntpot") ? stat : "mean";
  }

  // Whether any point of the profile reports `metric` at `stat` (a target on one it does
  // not report cannot be checked).
  function reports(profile, stat, metric) {
    return profile.curve.some((p) => known(p.strict[stat][metric]));
  }

  function kneePoint(profile, stat) {
    const knee = profile.knees[stat];
    return knee && knee[0] !== null ? profile.curve[knee[0]] : null;
  }

  // ---- cost and sizing (pipeline/src/analysis/cost.rs, sizing.rs) ----
  function machinePrice(profile, pricing, ownAcceleratorHour) {
    if (known(ownAcceleratorHour)) return ownAcceleratorHour * profile.acceleratorCount;
    const v = profile.priceOf[pricing];
    return known(v) ? v : null;
  }

  function costPerMillion(point, usdPerHour, ratio) {
    if (!known(usdPerHour) || !known(point.in)) return null;
    const weighted = point.in / ratio + point.out;
    if (!(weighted > 0)) return null;
    const perOutput = usdPerHour / 3600 / weighted;
    return { out: perOutput * 1e6, in: (perOutput / ratio) * 1e6 };
  }

  function replicasFor(qps, point, headroom) {
    if (!known(qps) || qps < 0 || !(point.qps > 0)) return null;
    return Math.max(1, Math.ceil((qps * headroom) / point.qps));
  }

  // ---- versions ----
  function versionKey(v) {
    return (String(v).match(/\d+/g) || []).map(Number);
  }

  function compareVersions(a, b) {
    const ka = versionKey(a);
    const kb = versionKey(b);
    for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
      const d = (ka[i] ?? -1) - (kb[i] ?? -1);
      if (d !== 0) return d;
    }
    return String(a).localeCompare(String(b));
  }

  // ---- state in the URL ----
  function readState(names) {
    const q = new URLSearchParams(location.search);
    return Object.fromEntries(names.map((n) => [n, q.get(n) || ""]));
  }

  function writeState(state) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(state)) if (v !== "" && v !== null && v !== undefined) q.set(k, v);
    const text = q.toString();
    history.replaceState(null, "", location.pathname + (text ? "?" + text : "") + location.hash);
  }

  function number(text) {
    const v = parseFloat(text);
    return Number.isFinite(v) && v > 0 ? v : null;
  }

  function el(tag, props = {}, children = []) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === "text") e.textContent = v;
      else if (k === "className") e.className = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  }

  return {
    root, known, sig, trimmed, usdPerHour, grouped, loadText, METRICS, METRIC_NAMES, load,
    operatingPoint, curveStat, reports, kneePoint, machinePrice, costPerMillion, replicasFor, versionKey,
    compareVersions, readState, writeState, number, el,
  };
})();
