"use strict";
// powergen trace viewer: decodes the start state + per-step deltas of #trace-data and draws step N.
// Operations: 0 unmask (+), 1 remask (~), 2 insert (*), 3 delete (-), 4 append (>); code = 8 * position + op.
(function () {
  const D = JSON.parse(document.getElementById("trace-data").textContent);
  const OPS = ["unmask", "remask", "insert", "delete", "append"];
  const SYM = {unmask: "+", remask: "~", insert: "*", delete: "-", append: ">"};
  const T = D.steps.length, K = 256, names = D.names, MASK = 0, STRIP_MAX = 5000;
  const $ = (id) => document.getElementById(id);
  const SVGNS = "http://www.w3.org/2000/svg";
  function el(tag, attrs, text) {
    const e = tag.startsWith("svg:") ? document.createElementNS(SVGNS, tag.slice(4)) : document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function parseDelta(delta) {
    const m = new Map();
    for (let k = 0; k < delta.length; k++) {
      const c = delta[k], pos = Math.floor(c / 8), op = c % 8;
      let tok = -1;
      if (op === 0 || op === 4) tok = delta[++k];
      if (!m.has(pos)) m.set(pos, []);
      m.get(pos).push([op, tok]);
    }
    return m;
  }
  // x_{t+1} from x_t; with cells=true also the display cells (deleted positions kept as ghosts)
  function applyDelta(x, delta, cells) {
    const m = parseDelta(delta), out = [], disp = [];
    for (let i = 0; i < x.length; i++) {
      const here = m.get(i);
      if (!here) { if (cells) disp.push({tok: x[i], op: "", pos: out.length}); out.push(x[i]); continue; }
      let tok = x[i], dropped = false, op = "", ins = 0;
      for (const [o, v] of here) {
        if (o === 3) dropped = true;
        else if (o === 1) { tok = MASK; op = "remask"; }
        else if (o === 0) { tok = v; op = "unmask"; }
        else if (o === 2) ins++;
      }
      if (dropped) { if (cells) disp.push({tok: x[i], op: "delete", pos: -1}); }
      else { if (cells) disp.push({tok: tok, op: op, pos: out.length, old: x[i]}); out.push(tok); }
      for (let j = 0; j < ins; j++) { if (cells) disp.push({tok: MASK, op: "insert", pos: out.length}); out.push(MASK); }
    }
    for (const [o, v] of (m.get(x.length) || [])) {
      if (o === 4) { if (cells) disp.push({tok: v, op: "append", pos: out.length}); out.push(v); }
    }
    return {x: out, cells: disp};
  }
  // one pass at load: lengths, operation counts, peak and checkpoints every K steps
  const L = new Array(T + 1), peak = new Array(T + 1), cum = [[0, 0, 0, 0, 0]], cps = [D.start.slice()];
  L[0] = peak[0] = D.start.length;
  let cur = D.start.slice();
  for (let t = 0; t < T; t++) {
    const c = cum[t].slice(), d = D.steps[t];
    let structural = false;
    for (let k = 0; k < d.length; k++) {
      const op = d[k] % 8;
      c[op]++;
      if (op === 0 || op === 4) k++;
      if (op >= 2) structural = true;
    }
    cum.push(c);
    L[t + 1] = L[t] + c[2] - cum[t][2] + c[4] - cum[t][4] - (c[3] - cum[t][3]);
    peak[t + 1] = Math.max(peak[t], L[t + 1]);
    if (structural) cur = applyDelta(cur, d, false).x;
    else for (let k = 0; k < d.length; k++) {
      const pos = Math.floor(d[k] / 8), op = d[k] % 8;
      if (op === 0) cur[pos] = d[++k]; else cur[pos] = MASK;
    }
    if ((t + 1) % K === 0) cps.push(cur.slice());
  }
  function stateAt(n) {
    let x = cps[Math.floor(n / K)].slice();
    for (let t = Math.floor(n / K) * K; t < n; t++) x = applyDelta(x, D.steps[t], false).x;
    return x;
  }
  const nm = (v) => names[v];

  // ---- views -------------------------------------------------------------------------------------------------
  function drawStrip(cells) {
    const strip = $("strip");
    strip.textContent = "";
    for (const c of cells.slice(0, STRIP_MAX)) {
      const s = el("span", {"class": "tok" + (c.op ? " op-" + c.op : "") + (c.tok === MASK ? " mask" : ""),
                            "data-tok": nm(c.tok)});
      if (c.pos >= 0) s.setAttribute("data-pos", c.pos);
      if (c.op) { s.setAttribute("data-op", c.op); s.appendChild(el("b", {"class": "sym"}, SYM[c.op])); }
      s.appendChild(document.createTextNode(c.tok === MASK ? "\u2592" : nm(c.tok)));
      if (c.op === "remask" && c.old !== undefined) s.title = "was " + nm(c.old);
      strip.appendChild(s);
    }
    if (cells.length > STRIP_MAX) strip.appendChild(el("span", {"class": "more"}, `... ${cells.length - STRIP_MAX} more`));
  }
  const PALETTE = ["#ffffff", "#f4a6a6", "#f7c68b", "#f2e394", "#b9e3a0", "#9fd8c9", "#a6cbf0", "#b7b0ee", "#e0aee6",
                   "#f0b3cc", "#d2c2a4", "#c8d98e", "#8fd3e8", "#c9c9c9", "#e8a87c", "#a8e6a1"];
  const MARK = {"[BRANCH]": "\u25c6", "[SKULL]": "\u2620", "[NORMAL]": "", "[MASK]": "?"};
  function drawGrid(cells) {
    const g = $("grid");
    if (!g.firstChild) for (let k = 0; k < 81; k++) g.appendChild(el("div", {"class": "cell", "data-cell": k}));
    const byCell = [];
    for (const c of cells) if (c.pos >= 0) byCell[c.pos] = c;
    const lines = [];
    for (let k = 0; k < 81; k++) {
      const v = byCell[4 * k], col = byCell[4 * k + 1], mk = byCell[4 * k + 2];
      const value = nm(v.tok), colour = nm(col.tok), marker = nm(mk.tok);
      const ops = [v, col, mk].map((c) => c.op).filter((o) => o);
      const d = g.children[k];
      d.className = "cell" + (ops.length ? " changed op-" + ops[0] : "") + (marker === "[SKULL]" ? " skull" : "");
      d.setAttribute("data-value", value === "[EMPTY]" ? "" : value === "[MASK]" ? "?" : value);
      d.setAttribute("data-colour", colour);
      d.setAttribute("data-marker", marker);
      d.setAttribute("data-op", ops.join(" "));
      const ci = /^\[C(\d+)\]$/.exec(colour);
      d.style.background = colour === "[MASK]" ? "" : PALETTE[ci ? +ci[1] : 0];
      d.textContent = "";
      d.appendChild(el("span", {"class": "val"}, d.getAttribute("data-value")));
      if (MARK[marker] !== undefined && MARK[marker]) d.appendChild(el("span", {"class": "mk"}, MARK[marker]));
      if (ops.length) d.appendChild(el("span", {"class": "opsym"}, ops.map((o) => SYM[o]).join("")));
      if (colour !== "[WHITE]" && colour !== "[MASK]") d.appendChild(el("span", {"class": "depth"}, colour.slice(2, -1)));
      if (ops.length) {
        const parts = ["value", "colour", "marker"].filter((_, j) => [v, col, mk][j].op)
          .map((w, j) => SYM[ops[j]] + " " + w);
        lines.push("r" + (Math.floor(k / 9) + 1) + "c" + (k % 9 + 1) + ": " + parts.join(", ") +
                   " \u2192 " + d.getAttribute("data-value") + " " + colour + " " + marker);
      }
    }
    return lines;
  }
  // max-flow: parse the token sequence (the layout of reductions.tasks.maxflow)
  function parseFlow(x) {
    const s = x.map(nm);
    let i = 6;
    const edges = [], nodes = [];
    while (i < s.length && s[i] !== "[NODES]") {
      if (s[i] === "[MASK]") { edges.push({marked: true, start: i, end: i + 6}); i += 6; continue; }
      const e = {u: +s[i + 1], v: +s[i + 2], slots: [], start: i, marked: false};
      let j = i + 3;
      while (s[j] !== ")") { e.slots.push(s[j]); j++; }
      e.end = j + 1;
      edges.push(e);
      i = j + 1;
    }
    i++;
    while (i < s.length && s[i] === "(") {
      const n = {id: +s[i + 1], slots: [], start: i};
      let j = i + 2;
      while (s[j] !== ")") { n.slots.push(s[j]); j++; }
      n.end = j + 1;
      nodes.push(n);
      i = j + 1;
    }
    return {edges: edges, nodes: nodes, tail: s.slice(i)};
  }
  function edgeState(e) {
    if (e.marked) return "marked";
    if (e.slots.length < 2) return "init";
    if (e.slots[0] === "[FB]" && e.slots[1] === "[MASK]") return "free";
    if (e.slots[0] === "[MASK]" && e.slots[1] === "[FB]") return "flow";
    return "masked";
  }
  const G = D.graph;
  function drawGraph(x, cells) {
    const svg = $("graph");
    svg.textContent = "";
    const defs = el("svg:defs");
    for (const [id, colr] of [["arr", "#333"], ["arr-flow", "#1f5fbf"], ["arr-path", "#d9480f"]]) {
      const mk = el("svg:marker", {id: id, viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7",
                                   markerHeight: "7", orient: "auto-start-reverse"});
      mk.appendChild(el("svg:path", {d: "M0,0 L10,5 L0,10 z", fill: colr}));
      defs.appendChild(mk);
    }
    svg.appendChild(defs);
    const pos = {};
    for (const [id, px, py] of G.nodes) pos[id] = [px, py];
    const st = parseFlow(x);
    const deleting = cells.some((c) => c.op === "delete");
    const touched = new Set();
    for (const c of cells) if (c.pos >= 0 && c.op) touched.add(c.pos);
    const node = {};
    for (const n of st.nodes) node[n.id] = n;
    const level = (id) => { const n = node[id]; if (!n || !n.slots.length) return "?";
      const v = n.slots[0]; return v === "[INF]" ? "inf" : v === "[MASK]" ? "?" : v.replace(/^\[LVL(\d+)\]$/, "$1"); };
    const parent = (id) => { const n = node[id]; if (!n || n.slots.length < 2) return "?";
      const v = n.slots[1]; return v === "[NIL]" ? "nil" : v === "[MASK]" ? "?" : v; };
    // the augmenting path: t's parent chain when t has a level
    const path = new Set();
    if (level(G.t) !== "inf" && level(G.t) !== "?") {
      let c = G.t, guard = 0;
      while (c !== G.s && parent(c) !== "nil" && parent(c) !== "?" && guard++ < 64) {
        const p = +parent(c); path.add(p + ">" + c); c = p;
      }
    }
    const cur = st.edges.length === G.edges.length ? st.edges.map((e, k) => [k, e]) : null;
    const byKey = {};
    for (const e of st.edges) if (!e.marked) byKey[e.u + "-" + e.v] = e;
    const lines = [];
    G.edges.forEach(([u, v], k) => {
      let e = cur ? cur[k][1] : byKey[u + "-" + v];
      const state = e ? edgeState(e) : "deleted";
      let changed = false;
      if (e) for (let p = e.start; p < e.end; p++) if (touched.has(p)) changed = true;
      const [a, b] = state === "flow" ? [v, u] : [u, v];
      const onPath = path.has(a + ">" + b);
      const [x1, y1] = pos[u], [x2, y2] = pos[v];
      const dx = x2 - x1, dy = y2 - y1, len = Math.hypot(dx, dy) || 1, r = 29;
      const sx = x1 + dx * r / len, sy = y1 + dy * r / len, ex = x2 - dx * r / len, ey = y2 - dy * r / len;
      const bend = 28 * (u < v ? 1 : -1);
      const cx = (sx + ex) / 2 - dy / len * bend, cy = (sy + ey) / 2 + dx / len * bend;
      const gE = el("svg:g", {"class": "edge e-" + state + (onPath ? " path" : "") + (changed ? " changed" : ""),
                              "data-edge": u + "-" + v, "data-u": u, "data-v": v, "data-state": state,
                              "data-path": onPath ? "1" : "0", "data-changed": changed ? "1" : "0"});
      const attrs = {d: `M${sx},${sy} Q${cx},${cy} ${ex},${ey}`, "class": "line"};
      const arrow = onPath ? "url(#arr-path)" : state === "flow" ? "url(#arr-flow)" : "url(#arr)";
      if (state === "free") attrs["marker-end"] = arrow;
      if (state === "flow") attrs["marker-start"] = arrow;
      gE.appendChild(el("svg:path", attrs));
      const tag = {free: "", flow: "f", init: "", masked: "?", marked: "cut", deleted: "\u00d7 cut"}[state] +
                  (onPath ? "\u25b6" : "") + (changed ? "\u2022" : "");
      if (tag) gE.appendChild(el("svg:text", {x: (sx + ex) / 2 - dy / len * bend * 0.55,
                                             y: (sy + ey) / 2 + dx / len * bend * 0.55 + 4,
                                             "class": "etag"}, tag));
      gE.appendChild(el("svg:title", {}, `${u}\u2192${v}: ${state}${onPath ? ", on the augmenting path" : ""}`));
      svg.appendChild(gE);
      if (changed || (state === "deleted" && deleting)) lines.push(`edge ${u}\u2192${v}: ${state}`);
    });
    for (const [id, px, py] of G.nodes) {
      const lv = level(id), pa = parent(id);
      const n = node[id];
      let changed = false;
      if (n) for (let p = n.start; p < n.end; p++) if (touched.has(p)) changed = true;
      if (changed) lines.push(`node ${id}: level ${lv === "inf" ? "\u221e" : lv}, parent ${pa}`);
      const gN = el("svg:g", {"class": "node" + (id === G.s ? " src" : "") + (id === G.t ? " tgt" : "") +
                              (changed ? " changed" : ""), "data-node": id, "data-level": lv, "data-parent": pa,
                              "data-changed": changed ? "1" : "0"});
      gN.appendChild(el("svg:circle", {cx: px, cy: py, r: 22}));
      if (id === G.s || id === G.t) gN.appendChild(el("svg:circle", {cx: px, cy: py, r: 27, "class": "ring"}));
      gN.appendChild(el("svg:text", {x: px, y: py + 7, "class": "nid"}, String(id)));
      gN.appendChild(el("svg:text", {x: px, y: py + 48, "class": "lvl"},
                        (id === G.s ? "s " : id === G.t ? "t " : "") + "L" + (lv === "inf" ? "\u221e" : lv) +
                        (pa !== "nil" && pa !== "?" ? " \u2190" + pa : "")));
      svg.appendChild(gN);
    }
    return lines;
  }

  // ---- chart, counters, controls ------------------------------------------------------------------------------
  function drawChart() {
    const svg = $("chart"), W = 300, H = 80, maxL = Math.max(1, ...peak.slice(-1));
    const B = Math.min(T + 1, 600), pts = [];
    for (let b = 0; b < B; b++) {
      const lo = Math.floor(b * (T + 1) / B), hi = Math.max(lo + 1, Math.floor((b + 1) * (T + 1) / B));
      let mn = Infinity, mx = -Infinity;
      for (let t = lo; t < hi; t++) { mn = Math.min(mn, L[t]); mx = Math.max(mx, L[t]); }
      const px = (T ? lo / T : 0) * W;
      pts.push(`${px.toFixed(1)},${(H - mn / maxL * (H - 4)).toFixed(1)}`);
      if (mx !== mn) pts.push(`${px.toFixed(1)},${(H - mx / maxL * (H - 4)).toFixed(1)}`);
    }
    svg.appendChild(el("svg:polyline", {points: pts.join(" "), "class": "lenline"}));
    svg.appendChild(el("svg:line", {id: "cursor", x1: 0, x2: 0, y1: 0, y2: H}));
    svg.addEventListener("click", (ev) => {
      const r = svg.getBoundingClientRect();
      go(Math.round((ev.clientX - r.left) / r.width * T));
    });
    $("chartmax").textContent = "peak " + maxL;
  }
  let step = 0, timer = null;
  function render(n) {
    step = Math.max(0, Math.min(T, n | 0));
    let cells, x;
    if (step === 0) { x = D.start.slice(); cells = x.map((v, i) => ({tok: v, op: "", pos: i})); }
    else { const r = applyDelta(stateAt(step - 1), D.steps[step - 1], true); x = r.x; cells = r.cells; }
    drawStrip(cells);
    let lines = [];
    if (D.view === "grid") lines = drawGrid(cells);
    else if (D.view === "graph") lines = drawGraph(x, cells);
    else for (const c of cells) if (c.op) lines.push(`${SYM[c.op]} ${c.op} at ${c.pos >= 0 ? c.pos : "(gone)"}: ` +
                                                      (c.op === "remask" ? nm(c.old) + " \u2192 " : "") + nm(c.tok));
    const c = step ? cum[step].map((v, k) => v - cum[step - 1][k]) : [0, 0, 0, 0, 0];
    const ops = $("ops");
    ops.textContent = "";
    const head = step === 0 ? "the start sequence" : OPS.filter((_, k) => c[k]).map((o, _) =>
      `${SYM[o]} ${o} ${c[OPS.indexOf(o)]}`).join(", ") || "no change";
    const label = D.labels && step ? D.label_names[D.labels[step - 1]] : "";
    ops.appendChild(el("div", {"class": "ophead", "data-label": label}, (label ? label + ": " : "") + head));
    const ul = el("ul");
    lines.slice(0, 60).forEach((l) => ul.appendChild(el("li", {}, l)));
    if (lines.length > 60) ul.appendChild(el("li", {}, `... and ${lines.length - 60} more`));
    ops.appendChild(ul);
    const tot = cum[step].reduce((a, b) => a + b, 0);
    const cnt = $("counters");
    cnt.setAttribute("data-step", step); cnt.setAttribute("data-length", L[step]);
    cnt.setAttribute("data-peak", peak[step]); cnt.setAttribute("data-ops", tot);
    $("c-step").textContent = `${step} / ${T}`;
    $("c-len").textContent = L[step];
    $("c-peak").textContent = peak[step];
    $("c-ops").textContent = `${tot} (` + OPS.map((o, k) => `${SYM[o]}${cum[step][k]}`).join(" ") + ")";
    $("slider").value = step;
    $("jump").value = step;
    const cx = (T ? step / T : 0) * 300;
    $("cursor").setAttribute("x1", cx); $("cursor").setAttribute("x2", cx);
    document.body.setAttribute("data-rendered-step", step);
  }
  function go(n) {
    render(n);
    try { history.replaceState(null, "", "#step=" + step); } catch (e) { /* file:// in some browsers */ }
  }
  function fromHash() {
    const m = /step=(\d+)/.exec(location.hash);
    return m ? +m[1] : 0;
  }
  function tick() {
    if (!timer) return;
    const sp = +$("speed").value, wait = Math.max(40, 1000 / sp), per = Math.max(1, Math.round(sp * wait / 1000));
    if (step >= T) { play(); return; }
    go(step + per);
    timer = setTimeout(tick, wait);
  }
  function play() {
    if (timer) { clearTimeout(timer); timer = null; $("play").textContent = "\u25b6 play"; return; }
    if (step >= T) go(0);
    $("play").textContent = "\u2016 pause";
    timer = setTimeout(tick, 0);
  }
  $("slider").max = T;
  $("jump").max = T;
  $("first").onclick = () => go(0);
  $("back").onclick = () => go(step - 1);
  $("fwd").onclick = () => go(step + 1);
  $("last").onclick = () => go(T);
  $("play").onclick = play;
  $("slider").oninput = (e) => go(+e.target.value);
  $("jumpform").onsubmit = (e) => { e.preventDefault(); go(+$("jump").value); };
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT" || e.target.tagName === "SELECT") return;  // the slider moves itself
    if (e.key === "ArrowRight") go(step + 1);
    else if (e.key === "ArrowLeft") go(step - 1);
    else if (e.key === " ") { e.preventDefault(); play(); }
  });
  window.addEventListener("hashchange", () => { if (fromHash() !== step) render(fromHash()); });
  drawChart();
  render(fromHash());
})();
