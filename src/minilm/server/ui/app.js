// The search page: reads the form, POSTs /search on this server, and shows each hit's window inside its
// document. Text goes into the page through textContent only (never parsed as HTML).
"use strict";

const KEY_STORAGE = "minilm.apiKey";
const CONTEXT = 280; // characters of the document shown on each side of the matching window

const $ = (id) => document.getElementById(id);

// "key=value" lines -> {key: value}; a value is JSON when it parses (numbers, true, null, "quoted"), else text.
function parseFilters(text) {
  const filter = {};
  text.split("\n").forEach((line, i) => {
    const trimmed = line.trim();
    if (!trimmed) return;
    const eq = trimmed.indexOf("=");
    if (eq <= 0) throw new Error(`filter line ${i + 1} is "${trimmed}": expected key=value`);
    const key = trimmed.slice(0, eq).trim();
    const raw = trimmed.slice(eq + 1).trim();
    let value = raw;
    try { value = JSON.parse(raw); } catch (_) { /* plain text */ }
    filter[key] = value;
  });
  return Object.keys(filter).length ? filter : null;
}

function setStatus(message, isError = false) {
  const status = $("status");
  status.textContent = message;
  status.classList.toggle("error", isError);
}

function span(className, text) {
  const el = document.createElement("span");
  el.className = className;
  el.textContent = text;
  return el;
}

// The document with its window [start, end) marked. Offsets count Unicode code points (Python str indices),
// so the text is split into code points first; JavaScript strings index UTF-16 units.
function documentView(hit) {
  const p = document.createElement("p");
  p.className = "doc";
  const mark = document.createElement("mark");
  if (hit.document == null || hit.start == null || hit.end == null) {
    mark.textContent = hit.text ?? "";
    p.append(mark);
    return p;
  }
  const chars = Array.from(hit.document);
  let from = Math.max(0, hit.start - CONTEXT);
  let to = Math.min(chars.length, hit.end + CONTEXT);
  const after = from > 0 ? chars.indexOf(" ", from) : -1; // start and end the context on word boundaries
  if (after !== -1 && after < hit.start) from = after + 1;
  const before = to < chars.length ? chars.lastIndexOf(" ", to) : -1;
  if (before > hit.end) to = before;
  if (from > 0) p.append(span("cut", "… "));
  p.append(chars.slice(from, hit.start).join(""));
  mark.textContent = chars.slice(hit.start, hit.end).join("");
  p.append(mark, chars.slice(hit.end, to).join(""));
  if (to < chars.length) p.append(span("cut", " …"));
  return p;
}

function hitView(hit, rank) {
  const li = document.createElement("li");
  li.className = "hit";
  li.dataset.id = String(hit.id);
  const head = document.createElement("div");
  head.className = "hit-head";
  head.append(span("rank", `#${rank}`), span("score", hit.score.toFixed(3)), span("doc-id", String(hit.id)));
  for (const [key, value] of Object.entries(hit.metadata ?? {})) {
    head.append(span("meta", `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`));
  }
  li.append(head, documentView(hit));
  return li;
}

async function search(event) {
  event.preventDefault();
  const query = $("query").value.trim();
  if (!query) return;
  let filter;
  try {
    filter = parseFilters($("filters").value);
  } catch (err) {
    setStatus(err.message, true);
    return;
  }
  const key = $("api-key").value.trim();
  if (key) sessionStorage.setItem(KEY_STORAGE, key); else sessionStorage.removeItem(KEY_STORAGE);
  const headers = { "Content-Type": "application/json" };
  if (key) headers.Authorization = `Bearer ${key}`;
  const body = { query, k: Number($("k").value) || 10, filter, include_document: true, mode: $("mode").value };
  $("search-button").disabled = true;
  setStatus("Searching…");
  const started = performance.now();
  try {
    const response = await fetch("/search", { method: "POST", headers, body: JSON.stringify(body) });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const hint = response.status === 401 ? " (enter the API key under “Filters and API key”)" : "";
      throw new Error(`${response.status}: ${data.error ?? response.statusText}${hint}`);
    }
    $("hits").replaceChildren(...data.hits.map((hit, i) => hitView(hit, i + 1)));
    const ms = Math.round(performance.now() - started);
    setStatus(`${data.hits.length} hit${data.hits.length === 1 ? "" : "s"} in ${ms} ms`);
  } catch (err) {
    $("hits").replaceChildren();
    setStatus(err.message, true);
  } finally {
    $("search-button").disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("api-key").value = sessionStorage.getItem(KEY_STORAGE) ?? "";
  if ($("api-key").value) $("options").open = true;
  $("search-form").addEventListener("submit", search);
});
