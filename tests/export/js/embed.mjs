// Transformers.js on a local export: node embed.mjs MODEL_DIR DTYPE TEXTS.json -> {"ids": [...], "vectors": [...]}
import { readFileSync } from "node:fs";
import path from "node:path";
import { env, pipeline, AutoTokenizer } from "@huggingface/transformers";

const [dir, dtype, textsFile] = process.argv.slice(2);
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = path.dirname(path.resolve(dir)) + "/";
const name = path.basename(path.resolve(dir));
const texts = JSON.parse(readFileSync(textsFile, "utf8"));
const tokenizer = await AutoTokenizer.from_pretrained(name);
const ids = texts.map((t) => Array.from(tokenizer(t, { truncation: true }).input_ids.data, Number));
const extractor = await pipeline("feature-extraction", name, { dtype, device: "cpu" });
const vectors = [];
for (const text of texts) {
  const out = await extractor(text, { pooling: "mean", normalize: true });
  vectors.push(Array.from(out.data));
}
process.stdout.write(JSON.stringify({ ids, vectors }));
