// The report page: grid with paging, sort, filters, a detail view and two summary plots.
// Every value from the data goes into the page as a text node or an attribute value, never
// as markup. The detail view of an image can be linked: #item-ID or #source=PATH.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const items = data.items;
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const state = { sort: "score-desc", cls: "", status: "all", page: 0 };

  const isFailed = (item) => item.error !== null;
  const baseName = (path) => path.split(/[\\/]/).pop();
  const score = (item) => (item.score === null || item.score === undefined ? -1 : item.score);

  // An element with attributes and children (strings become text nodes).
  function node(namespace, tag, attributes, ...children) {
    const element = namespace ? document.createElementNS(namespace, tag) : document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
    element.append(...children.filter((child) => child !== null && child !== undefined));
    return element;
  }
  const html = (tag, attributes, ...children) => node(null, tag, attributes, ...children);
  const svg = (tag, attributes, ...children) => node(SVG, tag, attributes, ...children);

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
    const verdict = isFailed(item) ? `failed: ${item.error}`
      : `${item.flagged ? "artifact" : "clean"} ${item.score === null ? "\u2013" : item.score.toFixed(2)}`
        + ` \u00b7 area ${(item.area * 100).toFixed(1)} %`;
    const element = html("div", { class: "card" + (isFailed(item) ? " failed" : item.flagged ? " flagged" : "") },
      item.thumb ? html("img", { loading: "lazy", decoding: "async", src: item.thumb, alt: "" }) : null,
      html("div", { class: "name", title: item.source }, baseName(item.source)),
      html("div", { class: "meta" }, verdict),
      html("div", {}, ...item.labels.map((label) => html("span", { class: "chip" }, label))));
    Object.assign(element.dataset, { id: item.id, score: score(item), area: item.area, flagged: item.flagged,
      labels: item.labels.join(" ") });
    if (!isFailed(item)) element.addEventListener("click", () => show(item));
    return element;
  }

  function render() {
    const shown = visible();
    const pages = Math.max(1, Math.ceil(shown.length / data.page_size));
    state.page = Math.min(state.page, pages - 1);
    const start = state.page * data.page_size;
    $("grid").replaceChildren(...shown.slice(start, start + data.page_size).map(card));
    $("page-info").textContent = `${shown.length ? start + 1 : 0}-${Math.min(shown.length, start + data.page_size)} of ${shown.length} (page ${state.page + 1} of ${pages})`;
    $("prev-page").disabled = state.page === 0;
    $("next-page").disabled = state.page >= pages - 1;
  }

  function regionBox(region) {
    const [x0, y0, x1, y1] = region.box;
    return svg("rect", { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, svg("title", {}, region.caption || ""));
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
      boxes.append(...item.regions.map(regionBox));
    }
    $("detail-mask-figure").hidden = !item.mask;
    $("detail-mask").src = item.mask || "";
    const regions = item.regions.map((region) => html("li", {}, (region.caption || region.label_name || "region")
      + (region.mean_score !== undefined ? ` (mean score ${region.mean_score.toFixed(2)})` : "")));
    $("detail-regions").replaceChildren(...(regions.length ? regions : [html("li", {}, "none")]));
    const rows = Object.entries(item.scores).sort((a, b) => b[1] - a[1]).map(([key, value]) =>
      html("tr", { class: item.labels.includes(key) ? "passed" : "" }, html("td", {}, key),
        html("td", {}, value.toFixed(3)),
        html("td", {}, html("span", { class: "score-bar", style: `width:${Math.round(value * 120)}px` }))));
    $("detail-scores").replaceChildren(...(rows.length ? rows : [html("tr", {}, html("td", {}, "no per-class scores in this record"))]));
    if (!$("detail").open) $("detail").showModal();
  }

  // The URL names the image shown: #item-ID (its place in the report), or #source=PATH.
  const fragmentOf = (item) => `#item-${item.id}`;
  function itemOfFragment(fragment) {
    let text;
    try { text = decodeURIComponent(fragment.replace(/^#/, "")); } catch (error) { return undefined; }
    const byId = /^item-(\d+)$/.exec(text);
    const found = byId ? items.find((item) => item.id === Number(byId[1]))
      : text.startsWith("source=") ? items.find((item) => item.source === text.slice(7)) : undefined;
    return found && !isFailed(found) ? found : undefined;
  }
  function show(item) {
    if (location.hash === fragmentOf(item)) openDetail(item);
    else location.hash = fragmentOf(item);  // hashchange opens it; the back button closes it again
  }
  function followFragment() {
    const item = itemOfFragment(location.hash);
    if (item) openDetail(item);
    else if ($("detail").open) $("detail").close();
  }

  function bars(values, labels, classes) {
    const width = 320, height = 140, bottom = 22, top = 8;
    const peak = Math.max(1, ...values);
    const step = width / values.length;
    return [...values.map((value, i) => {
      const h = ((height - bottom - top) * value) / peak;
      return svg("rect", { class: `bar ${classes[i] || ""}`, x: i * step + 1, y: height - bottom - h,
        width: Math.max(1, step - 2), height: h }, svg("title", {}, `${labels[i]}: ${value}`));
    }), svg("text", { class: "axis", x: 2, y: 10 }, String(peak))];
  }

  // Images per class as horizontal bars, one row per class with its whole name.
  function classBars(names, counts) {
    const row = 16, labelWidth = 150, barWidth = 130, peak = Math.max(1, ...names.map((n) => counts[n]));
    const plot = $("classes");
    const height = row * names.length + 4;
    plot.setAttribute("viewBox", `0 0 320 ${height}`);
    plot.style.height = `${height}px`;
    plot.replaceChildren(...names.flatMap((name, i) => {
      const y = 2 + i * row, w = (barWidth * counts[name]) / peak;
      return [svg("text", { class: "axis class-name", x: labelWidth - 4, y: y + 11, "text-anchor": "end" }, name),
        svg("rect", { class: "bar", x: labelWidth, y: y + 2, width: w, height: row - 4 },
          svg("title", {}, `${name}: ${counts[name]}`)),
        svg("text", { class: "axis", x: labelWidth + w + 3, y: y + 11 }, String(counts[name]))];
    }));
  }

  function plots() {
    const scored = items.filter((item) => !isFailed(item) && item.score !== null);
    const bins = new Array(20).fill(0);
    for (const item of scored) bins[Math.min(19, Math.floor(item.score * 20))] += 1;
    const binLabels = bins.map((_, i) => `${(i / 20).toFixed(2)}-${((i + 1) / 20).toFixed(2)}`);
    $("histogram").replaceChildren(...bars(bins, binLabels, bins.map((_, i) => (i < 10 ? "clean" : ""))),
      svg("line", { class: "threshold", x1: 160, x2: 160, y1: 0, y2: 118 }),
      svg("text", { class: "axis", x: 0, y: 134 }, "0"), svg("text", { class: "axis", x: 150, y: 134 }, "0.5"),
      svg("text", { class: "axis", x: 308, y: 134 }, "1"));
    const counts = {};
    for (const item of items) for (const label of item.labels) counts[label] = (counts[label] || 0) + 1;
    const names = Object.keys(counts).sort((a, b) => counts[b] - counts[a] || a.localeCompare(b));
    if (names.length) classBars(names, counts);
    else $("classes").replaceChildren(svg("text", { class: "axis", x: 10, y: 70 }, "no labels in these results"));
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
  $("detail").addEventListener("close", () => { if (itemOfFragment(location.hash)) location.hash = ""; });
  window.addEventListener("hashchange", followFragment);
  plots();
  render();
  followFragment();
  document.body.dataset.ready = "true";
})();
