// The report page: grid with paging, sort, filters, a detail view and two summary plots.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const items = data.items;
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const state = { sort: "score-desc", cls: "", status: "all", page: 0 };

  const isFailed = (item) => item.error !== null;
  const baseName = (path) => path.split(/[\\/]/).pop();
  const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  const score = (item) => (item.score === null || item.score === undefined ? -1 : item.score);

  const SORTS = {
    "score-desc": (a, b) => score(b) - score(a),
    "score-asc": (a, b) => score(a) - score(b),
    "area-desc": (a, b) => b.area - a.area,
    "area-asc": (a, b) => a.area - b.area,
    name: (a, b) => a.source.localeCompare(b.source),
  };

  function visible() {
    const shown = items.filter((item) => {
      if (state.status === "failed") return isFailed(item);
      if (isFailed(item)) return state.status === "all" && !state.cls;
      if (state.status === "flagged" && !item.flagged) return false;
      if (state.status === "clean" && item.flagged) return false;
      return !state.cls || item.labels.includes(state.cls);
    });
    return shown.sort((a, b) => SORTS[state.sort](a, b) || a.id - b.id);
  }

  function card(item) {
    const element = document.createElement("div");
    element.className = "card" + (isFailed(item) ? " failed" : item.flagged ? " flagged" : "");
    element.dataset.id = item.id;
    element.dataset.score = score(item);
    element.dataset.area = item.area;
    element.dataset.flagged = item.flagged;
    element.dataset.labels = item.labels.join(" ");
    const picture = item.thumb ? `<img loading="lazy" decoding="async" src="${escape(item.thumb)}" alt="">` : "";
    const verdict = isFailed(item) ? `failed: ${escape(item.error)}`
      : `${item.flagged ? "artifact" : "clean"} ${item.score === null ? "&ndash;" : item.score.toFixed(2)}`
        + ` &middot; area ${(item.area * 100).toFixed(1)} %`;
    element.innerHTML = `${picture}<div class="name" title="${escape(item.source)}">${escape(baseName(item.source))}</div>`
      + `<div class="meta">${verdict}</div><div>${item.labels.map((l) => `<span class="chip">${escape(l)}</span>`).join("")}</div>`;
    if (!isFailed(item)) element.addEventListener("click", () => openDetail(item));
    return element;
  }

  function render() {
    const shown = visible();
    const pages = Math.max(1, Math.ceil(shown.length / data.page_size));
    state.page = Math.min(state.page, pages - 1);
    const start = state.page * data.page_size;
    const grid = $("grid");
    grid.replaceChildren(...shown.slice(start, start + data.page_size).map(card));
    $("page-info").textContent = `${shown.length ? start + 1 : 0}-${Math.min(shown.length, start + data.page_size)} of ${shown.length} (page ${state.page + 1} of ${pages})`;
    $("prev-page").disabled = state.page === 0;
    $("next-page").disabled = state.page >= pages - 1;
  }

  function openDetail(item) {
    $("detail-title").textContent = item.source;
    const verdict = item.flagged ? "artifact" : "clean";
    $("detail-verdict").textContent = `${verdict}, artifact score ${item.score === null ? "unknown" : item.score.toFixed(3)}`
      + (item.labels.length ? `; labels: ${item.labels.join(", ")}` : "") + (item.note ? ` (${item.note})` : "");
    $("detail-image").src = item.image || item.thumb || "";
    const boxes = $("detail-boxes");
    boxes.replaceChildren();
    if (item.size && !item.shows_overlay) {
      boxes.setAttribute("viewBox", `0 0 ${item.size[0]} ${item.size[1]}`);
      boxes.setAttribute("preserveAspectRatio", "none");
      for (const region of item.regions) {
        const [x0, y0, x1, y1] = region.box;
        const rect = document.createElementNS(SVG, "rect");
        Object.entries({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 }).forEach(([k, v]) => rect.setAttribute(k, v));
        const title = document.createElementNS(SVG, "title");
        title.textContent = region.caption;
        rect.appendChild(title);
        boxes.appendChild(rect);
      }
    }
    $("detail-mask-figure").hidden = !item.mask;
    $("detail-mask").src = item.mask || "";
    $("detail-regions").innerHTML = item.regions.map((region) => `<li>${escape(region.caption || region.label_name || "region")}`
      + (region.mean_score !== undefined ? ` (mean score ${Number(region.mean_score).toFixed(2)})` : "") + "</li>").join("")
      || "<li>none</li>";
    const rows = Object.entries(item.scores).sort((a, b) => b[1] - a[1]);
    $("detail-scores").innerHTML = rows.map(([key, value]) => `<tr class="${item.labels.includes(key) ? "passed" : ""}">`
      + `<td>${escape(key)}</td><td>${value.toFixed(3)}</td><td><span class="score-bar" style="width:${Math.round(value * 120)}px"></span></td></tr>`).join("")
      || "<tr><td>no per-class scores in this record</td></tr>";
    $("detail").showModal();
  }

  function bars(svg, values, labels, classes) {
    const width = 320, height = 140, bottom = 22, top = 8;
    const peak = Math.max(1, ...values);
    const step = width / values.length;
    const parts = values.map((value, i) => {
      const h = ((height - bottom - top) * value) / peak;
      return `<rect class="bar ${classes[i] || ""}" x="${i * step + 1}" y="${height - bottom - h}" width="${Math.max(1, step - 2)}" height="${h}"><title>${escape(labels[i])}: ${value}</title></rect>`;
    });
    return parts.join("") + `<text class="axis" x="2" y="10">${peak}</text>`;
  }

  function plots() {
    const scored = items.filter((item) => !isFailed(item) && item.score !== null);
    const bins = new Array(20).fill(0);
    for (const item of scored) bins[Math.min(19, Math.floor(item.score * 20))] += 1;
    const binLabels = bins.map((_, i) => `${(i / 20).toFixed(2)}-${((i + 1) / 20).toFixed(2)}`);
    $("histogram").innerHTML = bars($("histogram"), bins, binLabels, bins.map((_, i) => (i < 10 ? "clean" : "")))
      + '<line class="threshold" x1="160" x2="160" y1="0" y2="118"></line>'
      + '<text class="axis" x="0" y="134">0</text><text class="axis" x="150" y="134">0.5</text><text class="axis" x="308" y="134">1</text>';
    const counts = {};
    for (const item of items) for (const label of item.labels) counts[label] = (counts[label] || 0) + 1;
    const names = Object.keys(counts).sort((a, b) => counts[b] - counts[a]);
    $("classes").innerHTML = names.length ? bars($("classes"), names.map((n) => counts[n]), names, [])
      + names.map((n, i) => `<text class="axis" transform="translate(${(i + 0.5) * (320 / names.length) + 3},136) rotate(-90)">${escape(n.slice(0, 3))}</text>`).join("")
      : '<text class="axis" x="10" y="70">no labels in these results</text>';
    const flagged = items.filter((item) => !isFailed(item) && item.flagged).length;
    const failed = items.filter(isFailed).length;
    $("counts").textContent = `${items.length} images: ${flagged} flagged, ${items.length - flagged - failed} clean, ${failed} failed`;
    const select = $("class-filter");
    for (const name of names) select.add(new Option(`${name} (${counts[name]})`, name));
  }

  $("sort").addEventListener("change", (e) => { state.sort = e.target.value; state.page = 0; render(); });
  $("class-filter").addEventListener("change", (e) => { state.cls = e.target.value; state.page = 0; render(); });
  $("status-filter").addEventListener("change", (e) => { state.status = e.target.value; state.page = 0; render(); });
  $("prev-page").addEventListener("click", () => { state.page -= 1; render(); });
  $("next-page").addEventListener("click", () => { state.page += 1; render(); });
  $("close-detail").addEventListener("click", () => $("detail").close());
  plots();
  render();
  document.body.dataset.ready = "true";
})();
