// Search over an exported index (minilm/export/web/index_data.py wrote its files) the way minilm's
// Index.search does: candidates from the int8 or binary codes, rescored with the float32 vectors, the best
// window per document, top k. See docs/web.md.
//
//   const search = await createSearch(model, baseUrl, manifest.index);
//   const hits = await search.search("a query", 10, {where: {lang: "en"}});
//   // [{id, score, text, start, end, metadata}], best first; start/end count code points, as Python does

const MAX_FILTER_KEYS = 64; // as minilm.index.filters

async function fetchBuffer(baseUrl, file) {
  const url = new URL(file.path, baseUrl);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch ${url}: ${response.status} ${response.statusText}`);
  const buffer = await response.arrayBuffer();
  if (buffer.byteLength !== file.bytes) {
    throw new Error(`${url} has ${buffer.byteLength} bytes, the manifest says ${file.bytes}: export it again`);
  }
  return buffer;
}

function shown(value) {
  let text;
  try { text = JSON.stringify(value); } catch (_) { text = String(value); }
  if (text === undefined) text = String(value);
  return text.length > 120 ? `${text.slice(0, 120)}… (${text.length} characters)` : text;
}

// A filter {field: value} checked as minilm.index.filters.check_where does; null for none.
function checkWhere(where) {
  if (where === undefined || where === null) return null;
  if (typeof where !== "object" || Array.isArray(where)) {
    throw new Error(`where must be an object {field: value}, got ${shown(where)}`);
  }
  const fields = Object.entries(where);
  if (fields.length > MAX_FILTER_KEYS) {
    throw new Error(`where has ${fields.length} fields; a filter takes at most ${MAX_FILTER_KEYS}`);
  }
  for (const [name, value] of fields) {
    if (!name) throw new Error("where has an empty field name; a field must be a non-empty string");
    const ok = typeof value === "string" || typeof value === "boolean" ||
      (typeof value === "number" && Number.isFinite(value));
    if (!ok) throw new Error(`where[${shown(name)}] is ${shown(value)}; expected a string, a number or a boolean`);
  }
  return fields.length ? where : null;
}

// JSON equality as SQLite sees it (filters.py): 1, 1.0 and true are equal; a string matches only a string.
function matches(metadata, where) {
  for (const [name, value] of Object.entries(where)) {
    const held = Object.prototype.hasOwnProperty.call(metadata, name) ? metadata[name] : undefined;
    if (typeof value === "string") {
      if (held !== value) return false;
    } else if (!(typeof held === "number" || typeof held === "boolean") || Number(held) !== Number(value)) {
      return false;
    }
  }
  return true;
}

function popcount32(x) {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

// Indices (into scores) of the m best scores, best first; equal scores in index order. A bounded min-heap:
// O(N log m), not a sort of every window.
function topIndices(scores, m) {
  const heap = new Int32Array(m);
  let size = 0;
  const worse = (a, b) => scores[a] < scores[b] || (scores[a] === scores[b] && a > b); // a ranks below b
  const down = (at) => {
    for (;;) {
      const l = 2 * at + 1, r = l + 1;
      let low = at;
      if (l < size && worse(heap[l], heap[low])) low = l;
      if (r < size && worse(heap[r], heap[low])) low = r;
      if (low === at) return;
      [heap[at], heap[low]] = [heap[low], heap[at]];
      at = low;
    }
  };
  for (let i = 0; i < scores.length; i++) {
    if (size < m) {
      let at = size++;
      heap[at] = i;
      while (at > 0 && worse(heap[at], heap[(at - 1) >> 1])) {
        const up = (at - 1) >> 1;
        [heap[at], heap[up]] = [heap[up], heap[at]];
        at = up;
      }
    } else if (m > 0 && worse(heap[0], i)) {
      heap[0] = i;
      down(0);
    }
  }
  return Array.from(heap.subarray(0, size)).sort((a, b) => scores[b] - scores[a] || a - b);
}

// The slice [start, end) of a text in code points (Python str offsets); JavaScript strings index UTF-16 units.
function slicePoints(text, start, end) {
  if (!/[\uD800-\uDFFF]/.test(text)) return text.slice(start, end);
  return Array.from(text).slice(start, end).join("");
}

export async function createSearch(model, baseUrl, indexEntry) {
  if (!indexEntry) throw new Error("this export has no index: export it with `minilm export web DIR --index NAME`");
  const { storage, dimension: d, chunks: n, rescore, chunked, files } = indexEntry;
  const modelDimension = model?.manifest?.dimension;
  if (modelDimension !== undefined && modelDimension !== d) {
    throw new Error(`the index has dimension ${d} but the model ${model.manifest.model ?? ""} gives ${modelDimension}`);
  }
  const wanted = ["vectors", "chunks", "documents", ...(storage === "float32" ? [] : ["codes"]),
    ...(storage === "int8" ? ["quantizer"] : [])];
  const buffers = await Promise.all(wanted.map((name) => {
    if (!files[name]) throw new Error(`the index entry of the manifest lists no ${name} file`);
    return fetchBuffer(baseUrl, files[name]);
  }));
  const got = Object.fromEntries(wanted.map((name, i) => [name, buffers[i]]));
  const vectors = new Float32Array(got.vectors); // (N, D)
  const table = new Uint32Array(got.chunks); // (3, N): document, start, end
  const owner = table.subarray(0, n), starts = table.subarray(n, 2 * n), ends = table.subarray(2 * n, 3 * n);
  const docs = JSON.parse(new TextDecoder().decode(got.documents));
  const codes = got.codes ? new Uint8Array(got.codes) : null;
  const quantizer = got.quantizer ? new Float32Array(got.quantizer) : null; // (2, D): minimum, range
  const bytes = Math.ceil(d / 8); // per binary code
  const words = bytes % 4 === 0 && codes ? new Uint32Array(got.codes) : null;
  if (vectors.length !== n * d || table.length !== 3 * n) {
    throw new Error(`the index files hold ${vectors.length / d} vectors and ${table.length / 3} chunks, expected ${n}`);
  }

  const all = Uint32Array.from({ length: n }, (_, p) => p); // every window's position

  function dot(q, p) {
    let s = 0;
    const row = p * d;
    for (let j = 0; j < d; j++) s += q[j] * vectors[row + j];
    return s;
  }

  // The score of the codes of every position in `positions` for the unit query q: faiss's estimate for int8
  // (the inner product with the decoded vector), 1 - 2 * hamming / D for binary, the cosine for float32.
  function codeScores(q, positions) {
    const scores = new Float64Array(positions.length);
    if (storage === "int8") {
      const step = new Float64Array(d);
      let base = 0;
      for (let j = 0; j < d; j++) { // decoded x_j = min_j + (code + 0.5) / 255 * range_j
        step[j] = (q[j] * quantizer[d + j]) / 255;
        base += q[j] * quantizer[j] + 0.5 * step[j];
      }
      for (let i = 0; i < positions.length; i++) {
        const row = positions[i] * d;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0, j = 0;
        for (; j + 3 < d; j += 4) { // four sums: independent additions run side by side
          s0 += step[j] * codes[row + j];
          s1 += step[j + 1] * codes[row + j + 1];
          s2 += step[j + 2] * codes[row + j + 2];
          s3 += step[j + 3] * codes[row + j + 3];
        }
        for (; j < d; j++) s0 += step[j] * codes[row + j];
        scores[i] = base + (s0 + s1 + s2 + s3);
      }
    } else if (storage === "binary") {
      const bits = new Uint8Array(words ? bytes + ((4 - (bytes % 4)) % 4) : bytes);
      for (let j = 0; j < d; j++) if (q[j] > 0) bits[j >> 3] |= 0x80 >> (j & 7); // numpy packbits order
      const qw = words ? new Uint32Array(bits.buffer) : null;
      const per = bytes / 4;
      for (let i = 0; i < positions.length; i++) {
        const p = positions[i];
        let distance = 0;
        if (words) {
          for (let w = 0; w < per; w++) distance += popcount32(words[p * per + w] ^ qw[w]);
        } else {
          for (let b = 0; b < bytes; b++) distance += popcount32(codes[p * bytes + b] ^ bits[b]);
        }
        scores[i] = 1 - (2 * distance) / d;
      }
    } else {
      for (let i = 0; i < positions.length; i++) scores[i] = dot(q, positions[i]);
    }
    return scores;
  }

  // Best window per document among candidates (positions, scores best first): [[position, score]] best first.
  function collapse(candidates, count) {
    const best = new Map();
    for (let i = 0; i < count; i++) {
      const [p, s] = candidates[i];
      const doc = owner[p];
      const held = best.get(doc);
      if (held === undefined || s > held[1]) best.set(doc, [p, s]);
    }
    return [...best.values()].sort((a, b) => b[1] - a[1]); // stable: ties keep their first-seen order
  }

  async function queryVector(query) {
    if (typeof query === "string") {
      if (!query.trim()) throw new Error("query is empty; give a text to search for");
      const [vector] = await model.embed([query]);
      return vector;
    }
    if (ArrayBuffer.isView(query) || Array.isArray(query)) {
      if (query.length !== d) throw new Error(`query vector has ${query.length} values, expected ${d}`);
      let norm = 0;
      for (const x of query) {
        if (typeof x !== "number" || !Number.isFinite(x)) throw new Error(`query vector holds ${shown(x)}`);
        norm += x * x;
      }
      if (!(norm > 0)) throw new Error("query vector is all zeros");
      return Float64Array.from(query, (x) => x / Math.sqrt(norm));
    }
    throw new Error(`query is ${shown(query)}; expected a string (or a vector of ${d} numbers)`);
  }

  // Top k documents for a query text (or a vector), as Index.search (ranking.py search_one): candidates by
  // code score, rescored with the float32 vectors, collapsed to the best window per document, more
  // candidates fetched while fewer than k documents come out. options.where: {field: value} filters;
  // options.documents: each hit also carries its whole document text.
  async function search(query, k = 10, options = {}) {
    if (!Number.isInteger(k) || k <= 0) throw new Error(`k must be a positive integer, got ${shown(k)}`);
    const where = checkWhere(options?.where);
    const q = await queryVector(query);
    let positions = all;
    if (where) {
      const allowed = docs.metadata.map((meta) => matches(meta, where));
      positions = all.filter((p) => allowed[owner[p]]);
    }
    const live = positions.length;
    const scores = codeScores(q, positions);
    let want = Math.min(k * rescore * (chunked ? 2 : 1), live);
    let best = [];
    for (;;) {
      let candidates = topIndices(scores, want).map((i) => [positions[i], scores[i]]);
      if (rescore > 1) {
        candidates = candidates.map(([p]) => [p, dot(q, p)]).sort((a, b) => b[1] - a[1]);
      }
      const head = chunked ? k * 4 : k;
      best = collapse(candidates, Math.min(head, candidates.length));
      if (best.length < k && candidates.length > head) best = collapse(candidates, candidates.length);
      if (best.length >= k || want >= live) break;
      want = Math.min(want * 2, live);
    }
    return best.slice(0, k).map(([p, score]) => {
      const doc = owner[p];
      const text = docs.texts[doc];
      const hit = { id: docs.ids[doc], score, text: slicePoints(text, starts[p], ends[p]), start: starts[p],
        end: ends[p], metadata: docs.metadata[doc] };
      if (options?.documents) hit.document = text;
      return hit;
    });
  }

  return { search, size: { documents: docs.ids.length, chunks: n }, storage };
}
