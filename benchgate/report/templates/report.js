"use strict";
// Builds the sample rows from the JSON island. Untrusted text only ever reaches the page
// through textContent / createTextNode; the CSP enforces Trusted Types, so HTML sinks throw.
(function () {
  const PAGE = 50;
  const TAGS = ["regressed", "improved", "unscored", "changed", "added", "removed"];
  const data = JSON.parse(document.getElementById("benchgate-data").textContent);
  const metrics = data.metrics;
  const quality = metrics.filter((m) => m.quality);
  const rows = data.rows.map((row, index) => ({ row: row, index: index, hay: null }));
  const state = { filter: "all", query: "", sort: "worst", page: 0 };
  const list = document.getElementById("rows");
  const shown = document.getElementById("shown");
  const prev = document.getElementById("prev");
  const next = document.getElementById("next");
  const search = document.getElementById("search");
  const sort = document.getElementById("sort");
  let view = [];

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function fixed(metric, value) {
    return value === undefined || value === null ? "—" : value.toFixed(metric.decimals);
  }

  function signed(metric, value) {
    if (value === undefined || value === null) return "—";
    const text = value.toFixed(metric.decimals);
    return value > 0 ? "+" + text : Number(text) === 0 ? "+" + text.replace("-", "") : text;
  }

  function better(metric, delta) {
    return metric.direction === "lower" ? -delta : delta;
  }

  // Sum of judged-score changes, oriented so that lower is worse; null when unpaired.
  function total(row) {
    let sum = null;
    for (const m of quality) {
      if (m.name in row.d) sum = (sum || 0) + better(m, row.d[m.name]);
    }
    return sum;
  }

  function haystack(entry) {
    if (entry.hay === null) {
      const r = entry.row;
      const parts = [r.id].concat(r.s.map((seg) => seg[1]), Object.values(r.r));
      for (const key in r.u) parts.push(r.u[key][0], r.u[key][1] || "");
      entry.hay = parts.join("\n").toLowerCase();
    }
    return entry.hay;
  }

  function key(entry) {
    if (state.sort === "order") return entry.index;
    if (state.sort === "worst" || state.sort === "best") {
      const t = total(entry.row);
      if (t === null) return null;
      return state.sort === "worst" ? t : -t;
    }
    const m = metrics.find((candidate) => "d:" + candidate.name === state.sort);
    if (!m || !(m.name in entry.row.d)) return null;
    return better(m, entry.row.d[m.name]);
  }

  function compute() {
    const query = state.query.trim().toLowerCase();
    const picked = rows.filter(
      (entry) =>
        (state.filter === "all" || entry.row.t.indexOf(state.filter) !== -1) &&
        (query === "" || haystack(entry).indexOf(query) !== -1),
    );
    const keyed = picked.map((entry) => ({ entry: entry, key: key(entry) }));
    keyed.sort((a, b) => {
      if (a.key === null || b.key === null) {
        if (a.key !== b.key) return a.key === null ? 1 : -1;
      } else if (a.key !== b.key) {
        return a.key - b.key;
      }
      return a.entry.index - b.entry.index;
    });
    view = keyed.map((item) => item.entry);
  }

  function scoreTable(row) {
    const table = el("table", "scores");
    const head = el("tr");
    for (const title of ["metric", "base", "head", "Δ"]) head.appendChild(el("th", null, title));
    table.appendChild(head);
    for (const m of metrics) {
      if (!(m.name in row.h) && !(m.name in row.b) && !(m.name in row.u)) continue;
      const tr = el("tr");
      tr.appendChild(el("td", null, m.name));
      tr.appendChild(el("td", null, fixed(m, row.b[m.name])));
      tr.appendChild(el("td", null, m.name in row.u ? "unscored" : fixed(m, row.h[m.name])));
      const delta = row.d[m.name];
      let tone = null;
      if (delta !== undefined) {
        const oriented = better(m, delta);
        if (oriented < -m.max_drop) tone = "worse";
        else if (oriented > m.max_drop) tone = "better";
      }
      tr.appendChild(el("td", tone, signed(m, delta)));
      table.appendChild(tr);
    }
    return table;
  }

  function side(row, label, known, own) {
    const box = el("div", "side");
    box.appendChild(el("h4", null, label));
    const text = el("div", "text");
    if (!known) {
      text.appendChild(el("span", "missing", "output not available"));
    } else {
      const both = row.k === 3;
      for (const seg of row.s) {
        if (seg[0] === 0) text.appendChild(document.createTextNode(seg[1]));
        else if (seg[0] === own) text.appendChild(both ? el(own === 1 ? "ins" : "del", null, seg[1]) : document.createTextNode(seg[1]));
      }
      if (!text.firstChild) text.appendChild(el("span", "missing", "(empty)"));
    }
    box.appendChild(text);
    return box;
  }

  function card(row) {
    const article = el("article", "sample");
    article.dataset.id = row.id;
    const header = el("header");
    header.appendChild(el("code", null, row.id));
    for (const tag of row.t) header.appendChild(el("span", "tag " + tag, tag === "changed" ? "changed output" : tag));
    article.appendChild(header);
    article.appendChild(scoreTable(row));
    const reasons = Object.keys(row.r);
    if (reasons.length) {
      const ul = el("ul", "why");
      for (const metric of reasons) {
        const li = el("li");
        li.appendChild(el("span", "metric", metric + ": "));
        li.appendChild(document.createTextNode(row.r[metric]));
        ul.appendChild(li);
      }
      article.appendChild(ul);
    }
    for (const metric of Object.keys(row.u)) {
      const box = el("div", "unscored");
      box.appendChild(el("span", "metric", metric + " unscored: "));
      box.appendChild(document.createTextNode(row.u[metric][0]));
      if (row.u[metric][1]) box.appendChild(el("pre", null, row.u[metric][1]));
      article.appendChild(box);
    }
    const outputs = el("div", "outputs");
    outputs.appendChild(side(row, "Base output", (row.k & 2) !== 0, 2));
    outputs.appendChild(side(row, "Head output", (row.k & 1) !== 0, 1));
    article.appendChild(outputs);
    return article;
  }

  function render() {
    const pages = Math.max(1, Math.ceil(view.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    const start = state.page * PAGE;
    const slice = view.slice(start, start + PAGE);
    list.replaceChildren(...slice.map((entry) => card(entry.row)));
    shown.textContent = view.length
      ? "Samples " + (start + 1).toLocaleString("en") + "–" + (start + slice.length).toLocaleString("en") +
        " of " + view.length.toLocaleString("en")
      : "No samples match";
    prev.disabled = state.page === 0;
    next.disabled = state.page >= pages - 1;
  }

  function update() {
    compute();
    render();
  }

  const counts = { all: rows.length };
  for (const tag of TAGS) counts[tag] = rows.filter((entry) => entry.row.t.indexOf(tag) !== -1).length;
  for (const button of document.querySelectorAll("button[data-filter]")) {
    const name = button.dataset.filter;
    button.querySelector(".n").textContent = counts[name].toLocaleString("en");
    button.addEventListener("click", () => {
      state.filter = name;
      state.page = 0;
      for (const other of document.querySelectorAll("button[data-filter]")) {
        other.setAttribute("aria-pressed", String(other === button));
      }
      update();
    });
  }
  for (const m of metrics) {
    const option = el("option", null, "Δ " + m.name + " (worst first)");
    option.value = "d:" + m.name;
    sort.appendChild(option);
  }
  sort.addEventListener("change", () => {
    state.sort = sort.value;
    state.page = 0;
    update();
  });
  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      state.query = search.value;
      state.page = 0;
      update();
    }, 150);
  });
  prev.addEventListener("click", () => {
    state.page -= 1;
    render();
    window.scrollTo(0, list.offsetTop - 60);
  });
  next.addEventListener("click", () => {
    state.page += 1;
    render();
    window.scrollTo(0, list.offsetTop - 60);
  });
  update();
  document.body.dataset.ready = "true";
  performance.mark("benchgate:rendered");
})();
