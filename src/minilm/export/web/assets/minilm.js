// minilm in the browser: load(baseUrl) -> model with embed(texts), tokenize(text), search(query, k), manifest.
// The model runs in onnxruntime-web's wasm backend from ./ort/ (bundled by `minilm export web`, no CDN); tokenizing,
// length-sorted batching, mean pooling and L2 normalization happen here. docs/web.md describes the API.
import { Tokenizer } from './tokenizer.js';

const BATCH = 16;  // texts per run: rows of one run are padded to its longest

function folder(baseUrl) {
  const url = new URL(baseUrl ?? '.', globalThis.location?.href);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

async function fetched(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`minilm: ${url} answered ${response.status}: is baseUrl the export folder?`);
  return response;
}

async function fetchJson(url) {
  return (await fetched(url)).json();
}

// A file's bytes, inflated when they are gzip (the export writes its wasm and tokenizer as NAME.gz). A server that
// sends .gz files with Content-Encoding: gzip has had fetch inflate them already: those bytes lack gzip's magic.
async function fetchBytes(url) {
  const bytes = new Uint8Array(await (await fetched(url)).arrayBuffer());
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const inflated = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(inflated).arrayBuffer());
}

function checkTexts(texts) {
  if (!Array.isArray(texts)) throw new TypeError(`embed: expected an array of strings, got ${texts === null ? 'null' : typeof texts}`);
  texts.forEach((text, i) => {
    if (typeof text !== 'string') throw new TypeError(`embed: texts[${i}] is ${text === null ? 'null' : typeof text}, expected a string`);
  });
}

// options.threads: wasm threads (default: up to 4 when the page is cross-origin isolated, else 1);
// options.batchSize: texts per run (default 16)
// load's stages are User Timing marks (minilm:manifest, minilm:files, minilm:session, minilm:ready), seen in a
// browser's performance panel and by performance.getEntriesByType('mark').
export async function load(baseUrl, options = {}) {
  const base = folder(baseUrl);
  const manifest = await fetchJson(new URL('minilm_web.json', base));
  performance.mark('minilm:manifest');
  const files = Promise.all(  // fetched while onnxruntime-web's module loads
    [manifest.wasm_file, manifest.tokenizer_file, manifest.model_file].map(file => fetchBytes(new URL(file, base))));
  files.catch(() => {});  // a failed fetch rejects at the await below, not as an unhandled rejection first
  const ort = await import(new URL('ort/ort.wasm.min.mjs', base).href);
  ort.env.wasm.wasmPaths = new URL('ort/', base).href;
  const isolated = globalThis.crossOriginIsolated === true;  // threads need SharedArrayBuffer: COOP + COEP headers
  ort.env.wasm.numThreads = options.threads ?? (isolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1);
  const [wasm, tokenizerBytes, modelBytes] = await files;
  performance.mark('minilm:files');
  ort.env.wasm.wasmBinary = wasm;  // ort then loads only its .mjs glue from wasmPaths
  const session = await ort.InferenceSession.create(modelBytes,
    { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  performance.mark('minilm:session');
  const data = JSON.parse(new TextDecoder().decode(tokenizerBytes));
  const tokenizer = new Tokenizer(data);
  const batchSize = options.batchSize ?? BATCH;
  const dim = manifest.dimension;
  let queue = Promise.resolve();  // one session.run at a time

  async function runBatch(rows) {
    const width = Math.max(...rows.map(r => r.length));
    const ids = new BigInt64Array(rows.length * width);
    const mask = new BigInt64Array(rows.length * width);
    rows.forEach((row, r) => row.forEach((id, t) => { ids[r * width + t] = BigInt(id); mask[r * width + t] = 1n; }));
    const shape = [rows.length, width];
    const feeds = {
      input_ids: new ort.Tensor('int64', ids, shape),
      attention_mask: new ort.Tensor('int64', mask, shape),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(rows.length * width), shape),
    };
    const output = await session.run(feeds);
    const states = output.last_hidden_state.data;  // (B, T, H)
    return rows.map((row, r) => {
      const sum = new Float64Array(dim);
      for (let t = 0; t < row.length; t++) {  // padding excluded from the mean
        const at = (r * width + t) * dim;
        for (let h = 0; h < dim; h++) sum[h] += states[at + h];
      }
      const vector = new Float32Array(dim);
      let norm = 0;
      for (let h = 0; h < dim; h++) { vector[h] = sum[h] / row.length; norm += vector[h] * vector[h]; }
      if (manifest.normalize) {
        const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
        for (let h = 0; h < dim; h++) vector[h] *= scale;
      }
      return vector;
    });
  }

  async function embed(texts) {
    checkTexts(texts);
    const rows = texts.map(text => tokenizer.encode(text));
    // longest first: each run pads to rows of about one length
    const order = rows.map((_, i) => i).sort((a, b) => rows[b].length - rows[a].length);
    const vectors = new Array(texts.length);
    for (let start = 0; start < order.length; start += batchSize) {
      const picked = order.slice(start, start + batchSize);
      const done = queue.then(() => runBatch(picked.map(i => rows[i])));
      queue = done.catch(() => {});
      const out = await done;
      picked.forEach((i, j) => { vectors[i] = out[j]; });
    }
    return vectors;
  }

  async function tokenize(text) {
    return tokenizer.encode(text);
  }

  let searcher = null;
  const model = { manifest, embed, tokenize, search: null, threads: ort.env.wasm.numThreads };
  if (manifest.index) {
    const { createSearch } = await import(new URL('search.js', base).href);
    searcher = await createSearch(model, base.href, manifest.index);
  }
  model.search = async function search(query, k = 10, options) {
    if (!searcher) throw new Error('search: this export has no index (export with --index NAME)');
    return searcher.search(query, k, options);
  };
  performance.mark('minilm:ready');
  return model;
}
