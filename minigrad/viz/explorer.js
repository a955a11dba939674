// minigrad explorer: click through a computation graph and replay its backward pass, offline.
// The data (nodes, edges, replayed steps) is the JSON in #mg-data; the graph is Graphviz's SVG in #graph
// when the page was written with `dot` installed, else laid out here in layers (layoutGraph).
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("mg-data").textContent);
  const SVGNS = "http://www.w3.org/2000/svg";
  const byId = new Map(D.nodes.map((n) => [n.id, n]));
  const nodeEl = new Map();   // node id -> its <g>
  const edgeEl = new Map();   // "src->dst" -> [<g>, ...]
  const graph = document.getElementById("graph");
  const state = { step: 0, selected: null, zoom: 1, naturalWidth: 0 };

  // ------------------------------------------------------------------ helpers
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svgEl(tag, attrs) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  }
  function fmtShape(shape) {
    return "(" + shape.join(", ") + (shape.length === 1 ? ",)" : ")");
  }
  function fmtNum(x) {
    if (x === null || x === undefined) return "nan";
    if (typeof x === "string") return x;
    if (x === 0) return "0";
    const a = Math.abs(x);
    return (a >= 1e-3 && a < 1e5) ? String(+x.toPrecision(4)) : x.toExponential(2);
  }
  function describe(n) {
    return n.kind === "op" ? n.label : (n.name ? n.name + " " : "") + fmtShape(n.shape || []) + " " + (n.dtype || "");
  }

  // ------------------------------------------------------------------ the graph: Graphviz's SVG or our own
  function bindGraphvizSvg(svg) {
    for (const g of svg.querySelectorAll("g.node")) {
      const t = g.querySelector("title");
      if (!t || !byId.has(t.textContent)) continue;
      g.dataset.id = t.textContent;
      nodeEl.set(t.textContent, g);
    }
    for (const g of svg.querySelectorAll("g.edge")) {
      const t = g.querySelector("title");
      if (!t) continue;
      const key = t.textContent.replace(/:[nsew]+/g, "");
      if (!edgeEl.has(key)) edgeEl.set(key, []);
      edgeEl.get(key).push(g);
    }
  }

  function layoutGraph() {
    // a layered layout, top to bottom: rank = longest path to a sink, counted from the deepest
    const ids = D.nodes.map((n) => n.id);
    const succ = new Map(ids.map((i) => [i, []]));
    const pred = new Map(ids.map((i) => [i, []]));
    for (const [s, d] of D.edges) { succ.get(s).push(d); pred.get(d).push(s); }
    const pending = new Map(ids.map((i) => [i, succ.get(i).length]));
    const dist = new Map(ids.map((i) => [i, 0]));
    const ready = ids.filter((i) => pending.get(i) === 0);
    while (ready.length) {
      const k = ready.pop();
      for (const p of pred.get(k)) {
        dist.set(p, Math.max(dist.get(p), dist.get(k) + 1));
        pending.set(p, pending.get(p) - 1);
        if (pending.get(p) === 0) ready.push(p);
      }
    }
    const deepest = Math.max(0, ...dist.values());
    const layers = [];
    for (const i of ids) {
      const r = deepest - dist.get(i);
      (layers[r] = layers[r] || []).push(i);
    }
    // order within layers: a few barycentre sweeps, down then up
    const pos = new Map();
    const setPos = () => layers.forEach((L) => L.forEach((i, j) => pos.set(i, j)));
    setPos();
    const bary = (i, nbrs) => {
      const ps = nbrs.get(i).filter((x) => pos.has(x)).map((x) => pos.get(x));
      return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : pos.get(i);
    };
    for (let it = 0; it < 4; it++) {
      for (let r = 1; r < layers.length; r++) { layers[r].sort((a, b) => bary(a, pred) - bary(b, pred)); setPos(); }
      for (let r = layers.length - 2; r >= 0; r--) { layers[r].sort((a, b) => bary(a, succ) - bary(b, succ)); setPos(); }
    }
    // sizes from the text
    const ctx = document.createElement("canvas").getContext("2d");
    ctx.font = "12px Helvetica, Arial, sans-serif";
    const size = new Map();
    const lines = new Map();
    for (const n of D.nodes) {
      const ls = n.kind === "op" || n.kind === "more" ? [n.label] : [n.label, (n.name ? fmtShape(n.shape) + " " : "") + n.dtype];
      const text = ls.filter((x) => x && x.trim());
      lines.set(n.id, text);
      const w = Math.max(...text.map((x) => ctx.measureText(x).width)) + (n.kind === "op" ? 34 : 20);
      size.set(n.id, [Math.max(w, 60), 16 * text.length + 14]);
    }
    const gapX = 24, gapY = 46;
    const widths = layers.map((L) => L.reduce((a, i) => a + size.get(i)[0], 0) + gapX * (L.length - 1));
    const W = Math.max(...widths) + 40;
    const xy = new Map();
    let y = 20;
    layers.forEach((L, r) => {
      const h = Math.max(...L.map((i) => size.get(i)[1]));
      let x = (W - widths[r]) / 2;
      for (const i of L) {
        const [w, hh] = size.get(i);
        xy.set(i, [x + w / 2, y + h / 2, w, hh]);
        x += w + gapX;
      }
      y += h + gapY;
    });
    const H = y - gapY + 20;
    const svg = svgEl("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}` });
    const defs = svgEl("defs");
    const marker = svgEl("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" });
    marker.appendChild(svgEl("path", { d: "M0,0 L10,5 L0,10 z", fill: "#495057" }));
    defs.appendChild(marker);
    svg.appendChild(defs);
    const edgeLayer = svgEl("g");
    svg.appendChild(edgeLayer);
    for (const [s, d, p] of D.edges) {
      const [x1, y1, , h1] = xy.get(s);
      const [x2, y2, , h2] = xy.get(d);
      const a = y1 + h1 / 2, b = y2 - h2 / 2, m = (a + b) / 2;
      const g = svgEl("g", { class: "edge" });
      const title = svgEl("title");
      title.textContent = `${s}->${d}`;
      g.appendChild(title);
      g.appendChild(svgEl("path", { d: `M${x1},${a} C${x1},${m} ${x2},${m} ${x2},${b}`, fill: "none", stroke: "#495057", "marker-end": "url(#arrow)" }));
      if (p !== null && byId.get(d).kind === "op" && D.edges.filter((e) => e[1] === d && e[2] !== null).length > 1 &&
          !["add", "mul", "maximum", "minimum"].includes(byId.get(d).name)) {
        const lab = svgEl("text", { x: (x1 + x2) / 2 + 4, y: m, "font-size": "9", fill: "#868e96" });
        lab.textContent = String(p);
        g.appendChild(lab);
      }
      edgeLayer.appendChild(g);
      const key = `${s}->${d}`;
      if (!edgeEl.has(key)) edgeEl.set(key, []);
      edgeEl.get(key).push(g);
    }
    for (const n of D.nodes) {
      const [x, yy, w, h] = xy.get(n.id);
      const cls = n.kind === "more" ? "left-out" : n.role + (n.alarm ? " alarm" : "") + (n.origin ? " nan-origin" : "");
      const g = svgEl("g", { class: "node " + cls });
      g.dataset.id = n.id;
      const title = svgEl("title");
      title.textContent = n.id;
      g.appendChild(title);
      const fill = n.alarm ? "#ff6b6b" : (D.fills[n.role] || "#fff");
      const stroke = n.origin ? "#c92a2a" : "#212529";
      if (n.kind === "op") {
        g.appendChild(svgEl("ellipse", { cx: x, cy: yy, rx: w / 2, ry: h / 2, fill, stroke }));
      } else {
        const r = n.role === "parameter" ? 8 : 0;
        const attrs = { x: x - w / 2, y: yy - h / 2, width: w, height: h, rx: r, fill, stroke };
        if (n.role === "constant" || n.kind === "more") attrs["stroke-dasharray"] = "4 3";
        if (n.role === "parameter" || n.role === "output") attrs["stroke-width"] = "2";
        g.appendChild(svgEl("rect", attrs));
      }
      const ls = lines.get(n.id);
      ls.forEach((line, j) => {
        const t = svgEl("text", { x, y: yy - (ls.length - 1) * 8 + j * 16 + 4, "text-anchor": "middle",
          "font-family": "Helvetica, Arial, sans-serif", "font-size": n.role === "constant" ? "10" : "12" });
        t.textContent = line;
        g.appendChild(t);
      });
      svg.appendChild(g);
      nodeEl.set(n.id, g);
    }
    graph.appendChild(svg);
    return svg;
  }

  const existing = graph.querySelector("svg");
  const svg = existing || layoutGraph();
  if (existing) bindGraphvizSvg(existing);
  svg.id = "graph-svg";
  graph.dataset.layout = existing ? "graphviz" : "layers";
  const px = (v) => (v && v.endsWith("pt") ? parseFloat(v) * 4 / 3 : parseFloat(v));  // Graphviz sizes are in points
  state.naturalWidth = px(svg.getAttribute("width")) || svg.getBoundingClientRect().width;
  const naturalHeight = px(svg.getAttribute("height")) || svg.getBoundingClientRect().height;
  svg.removeAttribute("height");

  function applyZoom() {
    svg.setAttribute("width", String(state.naturalWidth * state.zoom));
    svg.setAttribute("height", String(naturalHeight * state.zoom));
  }
  function fitZoom() {
    // the whole graph in view when its text stays readable (zoom >= 0.8), else the full width, scrolling down
    const w = graph.clientWidth - 20, h = graph.clientHeight - 20;
    const byWidth = w > 0 ? w / state.naturalWidth : 1;
    const whole = Math.min(byWidth, h > 0 ? h / naturalHeight : 1);
    state.zoom = Math.min(1, whole >= 0.8 ? whole : byWidth);
    applyZoom();
  }
  document.getElementById("zoom-in").addEventListener("click", () => { state.zoom *= 1.25; applyZoom(); });
  document.getElementById("zoom-out").addEventListener("click", () => { state.zoom /= 1.25; applyZoom(); });
  document.getElementById("zoom-fit").addEventListener("click", fitZoom);
  fitZoom();

  // ------------------------------------------------------------------ pictures of arrays
  function colour(t, diverging) {
    if (diverging) {
      const v = 2 * t - 1;
      const [r, g, b] = v < 0 ? [33, 102, 172] : [178, 24, 43];
      const a = Math.abs(v);
      return `rgb(${Math.round(255 + (r - 255) * a)},${Math.round(255 + (g - 255) * a)},${Math.round(255 + (b - 255) * a)})`;
    }
    return `rgb(${Math.round(255 - 222 * t)},${Math.round(255 - 153 * t)},${Math.round(255 - 83 * t)})`;
  }
  function heatCanvas(h) {
    const bytes = Uint8Array.from(atob(h.q), (c) => c.charCodeAt(0));
    const cell = Math.max(2, Math.min(10, Math.floor(300 / Math.max(h.cols, 1)), Math.floor(200 / Math.max(h.rows, 1))));
    const c = el("canvas", { width: h.cols * cell, height: h.rows * cell, class: "heat" });
    const ctx = c.getContext("2d");
    for (let i = 0; i < h.rows; i++) {
      for (let j = 0; j < h.cols; j++) {
        ctx.fillStyle = colour(bytes[i * h.cols + j] / 255, h.diverging);
        ctx.fillRect(j * cell, i * cell, cell, cell);
      }
    }
    c.addEventListener("mousemove", (ev) => {
      const i = Math.floor(ev.offsetY / cell), j = Math.floor(ev.offsetX / cell);
      if (i < 0 || j < 0 || i >= h.rows || j >= h.cols) return;
      const v = h.lo + (bytes[i * h.cols + j] / 255) * (h.hi - h.lo);
      c.title = `[${i * h.sampled[0]}, ${j * h.sampled[1]}] \u2248 ${fmtNum(v)}`;
    });
    return c;
  }
  function histCanvas(h) {
    const W = 300, H = 64;
    const c = el("canvas", { width: W, height: H, class: "hist" });
    const ctx = c.getContext("2d");
    const top = Math.max(...h.counts);
    const bw = W / h.counts.length;
    ctx.fillStyle = "#4c6ef5";
    h.counts.forEach((n, i) => {
      const bh = top ? (n / top) * (H - 4) : 0;
      ctx.fillRect(i * bw + 1, H - bh, bw - 2, bh);
    });
    return c;
  }
  function summaryBox(s, caption) {
    const box = el("div", { class: "summary" });
    box.appendChild(el("div", { class: "cap" }, caption));
    if (!s) { box.appendChild(el("div", { class: "hint" }, "none")); return box; }
    box.appendChild(el("div", {}, `${fmtShape(s.shape)} ${s.dtype}, ${s.n} value${s.n === 1 ? "" : "s"}`));
    if (s.stats) {
      const st = s.stats;
      box.appendChild(el("div", { class: "stats" },
        `min ${fmtNum(st.min)}  mean ${fmtNum(st.mean)}  max ${fmtNum(st.max)}  std ${fmtNum(st.std)}  mean|x| ${fmtNum(st.absmean)}`));
    }
    if (s.nan || s.inf) box.appendChild(el("div", { class: "bad" }, `${s.nan} NaN, ${s.inf} inf`));
    if (s.values) box.appendChild(el("div", { class: "values" }, "[" + s.values.map(fmtNum).join(", ") + "]"));
    if (s.heat) {
      box.appendChild(heatCanvas(s.heat));
      const every = (k, what) => (k === 1 ? `every ${what}` : `every ${k}${k === 2 ? "nd" : k === 3 ? "rd" : "th"} ${what}`);
      const sampled = s.heat.sampled[0] > 1 || s.heat.sampled[1] > 1
        ? ` \u00b7 sampled: ${every(s.heat.sampled[0], "row")}, ${every(s.heat.sampled[1], "column")}` : "";
      const scale = s.heat.diverging ? `blue ${fmtNum(s.heat.lo)} \u2192 white 0 \u2192 red ${fmtNum(s.heat.hi)}`
        : `white ${fmtNum(s.heat.lo)} \u2192 blue ${fmtNum(s.heat.hi)}`;
      box.appendChild(el("div", { class: "scale" }, "heatmap: " + scale + sampled));
    } else if (s.hist) {
      box.appendChild(histCanvas(s.hist));
      box.appendChild(el("div", { class: "scale" }, `histogram of all values, ${fmtNum(s.hist.lo)} to ${fmtNum(s.hist.hi)}`));
    }
    return box;
  }
  function nodeLink(id, text) {
    const a = el("a", { class: "node-link", "data-id": id }, text);
    a.addEventListener("click", () => select(id, true));
    return a;
  }

  // ------------------------------------------------------------------ the replay
  const steps = D.steps;
  const rootIds = D.nodes.filter((n) => n.role === "output").map((n) => n.id);
  function received(id, upto) {
    // the gradients that reached tensor `id` in steps [0, upto): [{step, op, grad}]
    const out = [];
    for (let k = 0; k < upto; k++) {
      for (const s of steps[k].sends) if (s.to === id && s.grad) out.push({ step: k, op: steps[k].op, grad: s.grad });
    }
    return out;
  }
  function renderStep() {
    const k = state.step;
    for (const g of nodeEl.values()) g.classList.remove("active", "receiving", "has-grad", "done");
    for (const gs of edgeEl.values()) for (const g of gs) g.classList.remove("sending");
    const info = document.getElementById("step-info");
    info.textContent = "";
    const label = document.getElementById("step-label");
    const ok = D.replay.ok;
    for (const b of ["first", "prev"]) document.getElementById(b).disabled = !ok || k === 0;
    for (const b of ["next", "last"]) document.getElementById(b).disabled = !ok || k >= steps.length;
    if (!ok) { label.textContent = "replay unavailable"; return; }
    if (D.replay.ok) for (const r of rootIds) nodeEl.get(r) && nodeEl.get(r).classList.add("has-grad");
    for (let j = 0; j < k; j++) {
      const s = steps[j];
      const opg = nodeEl.get(s.op);
      if (opg) opg.classList.add(j === k - 1 ? "active" : "done");
      for (const snd of s.sends) if (snd.to && snd.grad && nodeEl.get(snd.to)) nodeEl.get(snd.to).classList.add("has-grad");
    }
    if (k === 0) {
      label.textContent = `before backward \u00b7 ${steps.length} steps`;
      info.appendChild(el("h2", {}, "Backward, step by step"));
      info.appendChild(el("p", {}, "backward() starts at the output with the gradient 1 (dL/dL = 1). " +
        "Each step runs one op's derivative rule, in the engine's order: it takes the gradient that arrived " +
        "at the op's output and sends one gradient to each input. Press \u2192 or \u201cstep\u201d."));
      return;
    }
    const s = steps[k - 1];
    const op = byId.get(s.op);
    const active = nodeEl.get(s.op);
    if (active && active.scrollIntoView) active.scrollIntoView({ block: "nearest", inline: "nearest" });
    label.textContent = `step ${k} / ${steps.length}: ${op.label}`;
    for (const snd of s.sends) {
      if (!snd.to || !snd.grad) continue;
      const g = nodeEl.get(snd.to);
      if (g) g.classList.add("receiving");
      for (const e of edgeEl.get(`${snd.to}->${s.op}`) || []) e.classList.add("sending");
    }
    info.appendChild(el("h2", {}, `Step ${k} of ${steps.length}: the rule of ${op.label} runs`));
    const p = el("p");
    p.append("It receives the gradient of its output ");
    p.appendChild(nodeLink(s.out, describe(byId.get(s.out))));
    p.append(" and sends one gradient to each input (highlighted).");
    info.appendChild(p);
    info.appendChild(summaryBox(s.grad, "arrives: dL/d(output)"));
    for (const snd of s.sends) {
      const head = el("div", { class: "send" });
      if (!snd.grad) {
        head.append(`input ${snd.pos}${snd.arg ? " (" + snd.arg + ")" : ""}, ${snd.what}: no gradient ` +
          "(a constant, or it does not require grad)");
        info.appendChild(head);
        continue;
      }
      const box = summaryBox(snd.grad, "");
      const cap = box.querySelector(".cap");
      cap.append(`sends to input ${snd.pos}${snd.arg ? " (" + snd.arg + ")" : ""}: `);
      if (snd.to) cap.appendChild(nodeLink(snd.to, describe(byId.get(snd.to))));
      else cap.append(snd.what);
      info.appendChild(box);
    }
  }
  function go(k) {
    if (!D.replay.ok) return;
    state.step = Math.max(0, Math.min(steps.length, k));
    renderStep();
    if (state.selected) renderNode(state.selected);
  }
  document.getElementById("first").addEventListener("click", () => go(0));
  document.getElementById("prev").addEventListener("click", () => go(state.step - 1));
  document.getElementById("next").addEventListener("click", () => go(state.step + 1));
  document.getElementById("last").addEventListener("click", () => go(steps.length));
  document.addEventListener("keydown", (ev) => {
    if (ev.target && (ev.target.tagName === "INPUT" || ev.target.tagName === "TEXTAREA")) return;
    const moves = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    if (ev.key in moves) { go(state.step + moves[ev.key]); ev.preventDefault(); }
    else if (ev.key === "Home") { go(0); ev.preventDefault(); }
    else if (ev.key === "End") { go(steps.length); ev.preventDefault(); }
  });

  // ------------------------------------------------------------------ the panel
  function row(table, k, v) {
    const tr = el("tr");
    tr.appendChild(el("td", {}, k));
    const td = el("td");
    if (v instanceof Node) td.appendChild(v); else td.textContent = v;
    tr.appendChild(td);
    table.appendChild(tr);
  }
  function renderNode(id) {
    const n = byId.get(id);
    const box = document.getElementById("node-info");
    box.textContent = "";
    box.dataset.id = id;
    if (!n) return;
    box.appendChild(el("h2", {}, n.kind === "op" ? `op: ${n.label}` : (n.name || n.label)));
    const t = el("table");
    if (n.kind === "tensor") {
      row(t, "name", n.name || "(none)");
      if (n.aliases && n.aliases.length) row(t, "also", n.aliases.join(", "));
      row(t, "role", n.role);
      row(t, "op", n.made_by ? `made by ${n.made_by}` : "none: a leaf");
      row(t, "shape", fmtShape(n.shape));
      row(t, "dtype", n.dtype);
      row(t, "requires_grad", String(n.requires_grad));
      box.appendChild(t);
      box.appendChild(summaryBox(n.data, "data"));
      if (n.requires_grad) renderGradient(box, n);
      box.appendChild(summaryBox(n.grad, ".grad (what backward() stored)"));
    } else if (n.kind === "op") {
      row(t, "op", n.name);
      for (const [k, v] of Object.entries(n.attrs)) row(t, k, v);
      n.inputs.forEach((x, i) => row(t, `input ${i}` + (x.arg ? ` (${x.arg})` : ""), x.what));
      row(t, "output", nodeLink(n.output, describe(byId.get(n.output))));
      box.appendChild(t);
      const k = steps.findIndex((s) => s.op === id);
      if (k >= 0) {
        const b = el("button", { type: "button" }, `show its backward step (${k + 1})`);
        b.addEventListener("click", () => go(k + 1));
        box.appendChild(b);
      }
      if (n.origin) box.appendChild(el("p", { class: "bad" }, "NaN/inf first appears here: the inputs are finite."));
    } else if (n.kind === "const") {
      row(t, "argument", n.argument || "(unknown)");
      row(t, "role", "constant: not a tensor, gets no gradient");
      row(t, "shape", fmtShape(n.shape));
      row(t, "dtype", n.dtype);
      box.appendChild(t);
      box.appendChild(summaryBox(n.data, "data"));
    } else {
      box.appendChild(el("p", {}, n.note));
    }
  }
  function renderGradient(box, n) {
    if (!D.replay.ok) return;
    box.appendChild(el("h3", {}, `gradient in the replay (step ${state.step} of ${steps.length})`));
    if (rootIds.includes(n.id)) {
      box.appendChild(el("p", {}, "the output: backward starts here with the gradient 1"));
      return;
    }
    const got = received(n.id, state.step);
    const want = n.incoming;
    if (!got.length) {
      box.appendChild(el("p", { class: "hint" }, `nothing yet: ${want} gradient${want === 1 ? "" : "s"} will arrive`));
      return;
    }
    if (want > 1) box.appendChild(el("p", {}, `${got.length} of ${want} gradients have arrived; they add up`));
    for (const g of got) box.appendChild(summaryBox(g.grad, `from ${byId.get(g.op).label} (step ${g.step + 1})`));
    if (want > 1 && got.length === want && n.replayed) box.appendChild(summaryBox(n.replayed, "total"));
  }
  function select(id, scroll) {
    if (state.selected && nodeEl.get(state.selected)) nodeEl.get(state.selected).classList.remove("selected");
    state.selected = id;
    const g = nodeEl.get(id);
    if (g) {
      g.classList.add("selected");
      if (scroll && g.scrollIntoView) g.scrollIntoView({ block: "center", inline: "center" });
    }
    renderNode(id);
  }
  for (const [id, g] of nodeEl) g.addEventListener("click", () => select(id, false));

  // ------------------------------------------------------------------ search
  const search = document.getElementById("search");
  function matches(q) {
    q = q.trim().toLowerCase();
    if (!q) return [];
    return D.nodes.filter((n) => [n.name, n.label, ...(n.aliases || [])].some((s) => s && s.toLowerCase().includes(q))).map((n) => n.id);
  }
  search.addEventListener("input", () => {
    const hits = matches(search.value);
    for (const [id, g] of nodeEl) g.classList.toggle("match", hits.includes(id));
    graph.classList.toggle("searching", search.value.trim() !== "");
    document.getElementById("search-count").textContent = search.value.trim() ? `${hits.length} found` : "";
  });
  search.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    const hits = matches(search.value);
    if (hits.length) select(hits[0], true);
  });

  // ------------------------------------------------------------------ legend, notice, title
  const legend = document.getElementById("legend");
  for (const e of D.legend) {
    const item = el("span", { title: e.text });
    const sw = el("span", { class: `swatch sw-${e.key}` });
    if (D.fills[e.key]) sw.style.background = D.fills[e.key];
    if (e.key === "alarm") sw.style.background = "#ff6b6b";
    item.appendChild(sw);
    item.append(e.name);
    legend.appendChild(item);
  }
  for (const [cls, name, text] of [["grad", "has its gradient", "a gradient has reached this tensor (orange outline)"],
    ["active", "rule running", "the op whose derivative rule runs in this step; its inputs' arrows carry what it sends"]]) {
    const item = el("span", { title: text });
    item.appendChild(el("span", { class: `swatch sw-${cls}` }));
    item.append(name);
    legend.appendChild(item);
  }
  legend.appendChild(el("span", { class: "hint" }, "arrows: input \u2192 op \u2192 output; 0, 1: argument order"));
  document.getElementById("title").textContent = D.title;
  const notice = document.getElementById("notice");
  const notes = [];
  if (!D.replay.ok) notes.push(`The backward pass cannot be replayed: ${D.replay.reason}. The panel shows each tensor's .grad only.`);
  if (D.hidden_steps) notes.push(`${D.hidden_steps} of the ${D.replay.total} backward steps run in ops beyond max_nodes and are not shown.`);
  if (notes.length) { notice.textContent = notes.join(" "); notice.hidden = false; }
  renderStep();
})();
