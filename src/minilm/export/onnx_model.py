"""The `onnx` export: graph.py's plain-operator encoder with the inputs ONNX consumers pass.

Two graphs, both in the chosen precision:
  - model.onnx: input_ids, attention_mask, token_type_ids (B, T) int64 -> last_hidden_state (B, T, H), the
    layout Optimum, fastembed and Chroma's ONNX function read (they pool it themselves);
  - sentence_model.onnx: the same inputs -> sentence_embedding (B, H), mean-pooled over the attention mask and
    L2-normalized inside the graph, for ONNX Runtime users in any language.
Rows are right-padded (what `tokenizers` does): each row's length is the sum of its attention mask, and the
attention mask of graph.py is built from that length. int8 is quantize.py's recipe on the plain layout (standard
operators only, 7-bit weights so that every x86 CPU's kernels give the same result).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from minilm.engines.onnx import calibration, graph, quantize
from minilm.export.source import Source
from minilm.files import write_bytes_atomic

PRECISIONS = ("fp32", "int8")
TOKEN_FILE, SENTENCE_FILE = "model.onnx", "sentence_model.onnx"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# quantize.RECIPE on plain operators: QAttention (the fused layout) is ONNX Runtime's alone
RECIPE = replace(quantize.RECIPE, name="plain-pc-smooth0.5-apart32-7bit", fused=False, reduce_range=True)


def encoder(source: Source, precision: str) -> onnx.ModelProto:
    """graph.py's encoder (input_ids, lengths -> states) for the source, fp32 or int8."""
    bert = source.folder.config.bert
    if precision == "int8":
        return quantize.build(source.weights, bert, RECIPE, calibration.batches(source.tokenizer))
    return graph.build(source.weights, bert, fused=False)


def token_states(model: onnx.ModelProto, source: Source) -> onnx.ModelProto:
    """The encoder with inputs (input_ids, attention_mask, token_type_ids) and output last_hidden_state."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    g = out.graph
    types = source.weights["embeddings.token_type_embeddings.weight"]  # (types, H); graph.py adds row 0 already
    g.initializer.extend([
        numpy_helper.from_array(np.ascontiguousarray(types - types[0]), "export.token_type_delta"),
        numpy_helper.from_array(np.array([1], np.int64), "export.axis1"),
    ])  # fmt: skip
    head = [
        helper.make_node("Cast", ["attention_mask"], ["export.mask_i64"], to=TensorProto.INT64),
        helper.make_node("ReduceSum", ["export.mask_i64", "export.axis1"], ["lengths"], keepdims=0),  # (B,)
        helper.make_node("Gather", ["export.token_type_delta", "token_type_ids"], ["export.type_rows"]),  # (B, T, H)
    ]
    nodes = list(g.node)
    words = next(n for n in nodes if n.op_type == "Gather" and n.input[0] == "embeddings.word_embeddings.weight")
    summed = words.output[0]
    words.output[0] = "export.word_rows"
    at = nodes.index(words) + 1
    nodes.insert(at, helper.make_node("Add", ["export.word_rows", "export.type_rows"], [summed]))
    final = next(n for n in nodes if n.output[0] == "states")
    final.output[0] = "last_hidden_state"
    del g.node[:]
    g.node.extend(head + nodes)
    del g.input[:]
    g.input.extend(helper.make_tensor_value_info(name, TensorProto.INT64, ["batch_size", "sequence_length"])
                   for name in INPUTS)  # fmt: skip
    del g.output[:]
    g.output.append(helper.make_tensor_value_info(
        "last_hidden_state", TensorProto.FLOAT, ["batch_size", "sequence_length", source.hidden_size]))  # fmt: skip
    g.name = "minilm_token_states"
    return out


def sentence(model: onnx.ModelProto, source: Source) -> onnx.ModelProto:
    """token_states' graph with mean pooling over the attention mask and (if the model normalizes) L2 scaling."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    g = out.graph
    f32 = np.float32
    g.initializer.extend([
        numpy_helper.from_array(np.array([2], np.int64), "export.axis2"),
        numpy_helper.from_array(np.array(1e-9, f32), "export.min_count"),  # sentence-transformers' clamp
        numpy_helper.from_array(np.array(1e-12, f32), "export.min_norm"),  # torch.nn.functional.normalize's eps
    ])  # fmt: skip
    g.node.extend([
        helper.make_node("Cast", ["attention_mask"], ["export.mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["export.mask_f", "export.axis2"], ["export.mask3"]),  # (B, T, 1)
        helper.make_node("Mul", ["last_hidden_state", "export.mask3"], ["export.masked"]),  # (B, T, H)
        helper.make_node("ReduceSum", ["export.masked", "export.axis1"], ["export.sum"], keepdims=0),  # (B, H)
        helper.make_node("ReduceSum", ["export.mask3", "export.axis1"], ["export.count"], keepdims=0),  # (B, 1)
        helper.make_node("Max", ["export.count", "export.min_count"], ["export.count_clamped"]),
    ])  # fmt: skip
    pooled = "export.mean" if source.folder.config.pooling.normalize else "sentence_embedding"
    g.node.append(helper.make_node("Div", ["export.sum", "export.count_clamped"], [pooled]))
    if source.folder.config.pooling.normalize:
        g.node.extend([
            helper.make_node("ReduceL2", ["export.mean"], ["export.norm"], axes=[1], keepdims=1),  # (B, 1)
            helper.make_node("Max", ["export.norm", "export.min_norm"], ["export.norm_clamped"]),
            helper.make_node("Div", ["export.mean", "export.norm_clamped"], ["sentence_embedding"]),
        ])  # fmt: skip
    del g.output[:]
    g.output.append(helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT,
                                                  ["batch_size", source.hidden_size]))  # fmt: skip
    g.name = "minilm_sentence_embedding"
    return out


def save(model: onnx.ModelProto, path: Path) -> None:
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, model.SerializeToString())


def write(source: Source, out: Path, precision: str) -> None:
    """model.onnx and sentence_model.onnx in `out` (the configuration and tokenizer files are written apart)."""
    states = token_states(encoder(source, precision), source)
    save(states, out / TOKEN_FILE)
    save(sentence(states, source), out / SENTENCE_FILE)
