// The search page of an export: a query box, k, metadata filters and the hits with their window marked inside
// the document, searched in this page by model.search (search.js); nothing is sent anywhere. Text goes into the
// page through textContent only (never parsed as HTML).
//
// As is: index.html imports this module, which fills #minilm-app with the loaded window.minilm model.
// Embedded: import { mountSearchPage } from "./page.js"; mountSearchPage(element, await load(url)).

const CONTEXT = 280; // characters of the document shown on each side of the matching window

function make(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "className" || key === "textContent") el[key] = value;
    else el.setAttribute(key, value);
  }
  el.append(...children);
  return el;
}

// "key=value" lines -> {key: value}; a value is JSON when it parses (numbers, true, "quoted"), else text.
function parseFilters(text) {
  const filter = {};
  text.split("\n").forEach((line, i) => {
    const trimmed = line.trim();
    if (!trimmed) return;
    const eq = trimmed.indexOf("=");
    if (eq <= 0) throw new Error(`filter line ${i + 1} is "${trimmed}": expected key=value`);
    const raw = trimmed.slice(eq + 1).trim();
    let value = raw;
    try { value = JSON.parse(raw); } catch (_) { /* plain text */ }
    filter[trimmed.slice(0, eq).trim()] = value;
  });
  return filter;
}

// The document around the window [start, end) (code points, as Python str offsets), the window marked.
function documentView(hit) {
  const p = make("p", { className: "doc" });
  const chars = Array.from(hit.document ?? hit.text);
  const start = hit.document == null ? 0 : hit.start;
  const end = hit.document == null ? chars.length : hit.end;
  let from = Math.max(0, start - CONTEXT);
  let to = Math.min(chars.length, end + CONTEXT);
  const after = from > 0 ? chars.indexOf(" ", from) : -1; // start and end the context on word boundaries
  if (after !== -1 && after < start) from = after + 1;
  const before = to < chars.length ? chars.lastIndexOf(" ", to) : -1;
  if (before > end) to = before;
  if (from > 0) p.append(make("span", { className: "cut", textContent: "… " }));
  p.append(chars.slice(from, start).join(""), make("mark", { textContent: chars.slice(start, end).join("") }),
    chars.slice(end, to).join(""));
  if (to < chars.length) p.append(make("span", { className: "cut", textContent: " …" }));
  return p;
}

function hitView(hit, rank) {
  const head = make("div", { className: "hit-head" },
    make("span", { className: "rank", textContent: `#${rank}` }),
    make("span", { className: "score", textContent: hit.score.toFixed(3) }),
    make("span", { className: "doc-id", textContent: String(hit.id) }));
  for (const [key, value] of Object.entries(hit.metadata ?? {})) {
    const shown = typeof value === "string" ? value : JSON.stringify(value);
    head.append(make("span", { className: "meta", textContent: `${key}: ${shown}` }));
  }
  const li = make("li", { className: "hit" }, head, documentView(hit));
  li.dataset.id = String(hit.id);
  return li;
}

export function mountSearchPage(root, model) {
  const index = model.manifest.index;
  const status = make("p", { id: "status", role: "status", "aria-live": "polite" });
  const hits = make("ol", { id: "hits" });
  const setStatus = (message, isError = false) => {
    status.textContent = message;
    status.classList.toggle("error", isError);
  };
  const about = index
    ? `${index.documents.toLocaleString("en")} documents (${index.chunks.toLocaleString("en")} windows, ` +
      `${index.storage} codes), searched in this page with ${model.manifest.model} (${model.manifest.precision}).`
    : `${model.manifest.model} (${model.manifest.precision}) is loaded, but this export has no index to search.`;
  const header = make("header", {}, make("h1", { textContent: "minilm search" }),
    make("p", { className: "sub", textContent: about }));
  root.classList.add("minilm-page");
  if (!index) {
    root.replaceChildren(header);
    return;
  }
  const query = make("input", { id: "query", name: "query", type: "search", placeholder: "Ask anything…",
    "aria-label": "query", required: "" });
  const k = make("input", { id: "k", name: "k", type: "number", min: "1", max: "1000", value: "10" });
  const button = make("button", { id: "search-button", type: "submit", textContent: "Search" });
  const selects = [];
  const fields = make("div", { className: "fields" });
  for (const [key, values] of Object.entries(index.choices ?? {})) { // drop-downs: fields with few values
    const select = make("select", { "data-field": key, "aria-label": key },
      make("option", { value: "", textContent: "any" }));
    for (const value of values) {
      select.append(make("option", { value: JSON.stringify(value), textContent: String(value) }));
    }
    selects.push(select);
    fields.append(make("label", { className: "field" }, `${key} `, select));
  }
  const options = make("details", { id: "options" }, make("summary", { textContent: "Filters" }));
  const textarea = make("textarea", { id: "filters", rows: "2", placeholder: "lang=en" });
  options.append(fields, make("label", { for: "filters", textContent: "More filters, one key=value per line " +
    "(all must match; a value is read as JSON when it parses, e.g. year=2024, else as text)" }), textarea);
  const form = make("form", { id: "search-form", autocomplete: "off" },
    make("div", { className: "row" }, query, make("label", { className: "k" }, "hits ", k), button), options);
  root.replaceChildren(header, form, status, hits);
  query.focus();
  setStatus("Ready.");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let where;
    try {
      where = parseFilters(textarea.value);
      for (const select of selects) if (select.value) where[select.dataset.field] = JSON.parse(select.value);
    } catch (err) {
      setStatus(err.message, true);
      return;
    }
    button.disabled = true;
    setStatus("Searching…");
    const started = performance.now();
    try {
      const found = await model.search(query.value, Number(k.value) || 10, { where, documents: true });
      hits.replaceChildren(...found.map((hit, i) => hitView(hit, i + 1)));
      const ms = Math.round(performance.now() - started);
      setStatus(`${found.length} hit${found.length === 1 ? "" : "s"} in ${ms} ms`);
    } catch (err) {
      hits.replaceChildren();
      setStatus(err.message, true);
    } finally {
      button.disabled = false;
    }
  });
}

const app = document.getElementById("minilm-app");
if (app && globalThis.minilm?.ready) mountSearchPage(app, await globalThis.minilm.ready);
