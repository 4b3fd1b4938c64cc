"""The BERT encoder as an ONNX graph, written node by node from the checkpoint's weights (no torch, no export).

Two layouts of the same computation, chosen by `fused`:
  - ONNX Runtime's fused contrib operators (EmbedLayerNormalization, Attention, BiasGelu), each replacing a
    run of plain nodes; residual + LayerNorm stays Add + LayerNormalization (see _skip_layer_norm). The "onnx"
    and "onnx-int8" engines run this layout (the faster one on ONNX Runtime: docs/benchmarks.md, "ONNX engine
    choices");
  - plain ONNX operators (MatMul, Softmax, LayerNormalization, Erf, ...), for runtimes that do not know ONNX
    Runtime's contrib operators (the OpenVINO engines read it) and for int8 recipes on the plain layout.
Both reproduce the numpy engine: exact erf GELU, LayerNorm eps from config.json, the attention mask built from
lengths.

Inputs: input_ids (B, T) int64 and lengths (B,) int64. Output: states (B, T, H) float32.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from minilm.checkpoint.weights import Weights
from minilm.config import BertConfig

OPSET = 17  # LayerNormalization arrived in opset 17
MS_DOMAIN = "com.microsoft"


@dataclass
class _Graph:
    """Accumulates nodes and initializers with unique names."""

    nodes: list[onnx.NodeProto] = field(default_factory=list)
    initializers: list[onnx.TensorProto] = field(default_factory=list)
    count: int = 0
    smooth: dict[str, np.ndarray] = field(default_factory=dict)  # MatMul name -> per-input-channel factor s
    apart: dict[int, np.ndarray] = field(default_factory=dict)  # layer -> FFN intermediate channels run apart

    def const(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], domain: str = "", outputs: int = 1, name: str = "",
           **attrs: Any) -> list[str]:  # fmt: skip
        self.count += 1
        node_name = name or f"{op_type.lower()}_{self.count}"
        names = [f"{node_name}_out{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, name=node_name, domain=domain or None, **attrs))
        return names

    def one(self, op_type: str, inputs: list[str], domain: str = "", name: str = "", **attrs: Any) -> str:
        return self.op(op_type, inputs, domain, 1, name, **attrs)[0]

    def smoothed(self, x: str, weight_t: np.ndarray, name: str) -> tuple[str, str]:
        """(input, weight initializer) of the weight product `name` with an (in, out) weight; if `name` is
        smoothed, (x / s) @ (s * W.T) == x @ W.T, with x's outlier channels scaled down."""
        if name in self.smooth:
            s = self.smooth[name].astype(np.float32)  # (in,)
            x = self.one("Mul", [x, self.const(f"{name}.smooth", 1 / s)])
            weight_t = weight_t * s[:, None]
        return x, self.const(f"{name}.weight", np.ascontiguousarray(weight_t))

    def matmul(self, x: str, weight: np.ndarray, name: str) -> str:
        """x @ weight.T for a PyTorch-layout (out, in) weight, as a MatMul node called `name` (quantize.py picks
        the weight MatMuls by these names: layer{n}.qkv / .attn_out / .ffn_up / .ffn_down), smoothed if asked."""
        return self.one("MatMul", list(self.smoothed(x, weight.T, name)), name=name)

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray, name: str) -> str:
        """x @ weight.T + bias (see matmul)."""
        return self.one("Add", [self.matmul(x, weight, name), self.const(f"{name}.bias", bias)])


def _gelu(g: _Graph, x: str) -> str:
    """Exact GELU on plain operators: 0.5 * x * (1 + erf(x / sqrt(2))), as the reference (not the tanh form)."""
    phi = g.one("Add", [g.one("Erf", [g.one("Mul", [x, "c_inv_sqrt2"])]), "c_one"])
    return g.one("Mul", [g.one("Mul", [x, phi]), "c_half"])


def _layer_plain(g: _Graph, w: Weights, c: BertConfig, n: int, x: str, mask: str) -> str:
    """One post-LayerNorm transformer layer on plain operators; x (B, T, H) -> (B, T, H)."""
    p, name = f"encoder.layer.{n}.", f"layer{n}"
    scale = np.float32(1 / np.sqrt(c.head_size))  # folded into the query projection
    a = p + "attention.self."
    wqkv = np.concatenate([w[a + "query.weight"] * scale, w[a + "key.weight"], w[a + "value.weight"]])  # (3H, H)
    bqkv = np.concatenate([w[a + "query.bias"] * scale, w[a + "key.bias"], w[a + "value.bias"]])
    qkv = g.linear(x, wqkv, bqkv, f"{name}.qkv")  # (B, T, 3H)
    q, k, v = g.op("Split", [qkv, "c_split_qkv"], outputs=3, axis=2)  # 3 x (B, T, H)
    heads = [g.one("Reshape", [t, "c_heads_shape"]) for t in (q, k, v)]  # (B, T, nh, hs)
    q = g.one("Transpose", [heads[0]], perm=[0, 2, 1, 3])  # (B, nh, T, hs)
    k = g.one("Transpose", [heads[1]], perm=[0, 2, 3, 1])  # (B, nh, hs, T)
    v = g.one("Transpose", [heads[2]], perm=[0, 2, 1, 3])  # (B, nh, T, hs)
    scores = g.one("Add", [g.one("MatMul", [q, k]), mask])  # mask: (B, 1, 1, T) additive bias  # (B, nh, T, T)
    context = g.one("MatMul", [g.one("Softmax", [scores], axis=-1), v])  # (B, nh, T, hs)
    context = g.one("Reshape", [g.one("Transpose", [context], perm=[0, 2, 1, 3]), "c_merge_shape"])  # (B, T, H)
    o = p + "attention.output."
    out = g.linear(context, w[o + "dense.weight"], w[o + "dense.bias"], f"{name}.attn_out")
    x = _layer_norm(g, w, c, g.one("Add", [out, x]), o + "LayerNorm")
    i, f = p + "intermediate.dense.", p + "output."
    w_up, b_up, w_down = w[i + "weight"], w[i + "bias"], w[f + "dense.weight"]  # (4H, H), (4H,), (H, 4H)
    apart = g.apart.get(n)
    rest = _main_channels(w_up.shape[0], apart)
    up = g.linear(x, w_up[rest], b_up[rest], f"{name}.ffn_up")  # (B, T, 4H - k)
    down = g.linear(_gelu(g, up), w_down[:, rest], w[f + "dense.bias"], f"{name}.ffn_down")
    if apart is not None:  # channels `apart` of the intermediate as a branch of their own (quantize.py: fp32)
        up_apart = g.linear(x, w_up[apart], b_up[apart], f"{name}.ffn_up_apart")  # (B, T, k)
        down = g.one("Add", [down, g.matmul(_gelu(g, up_apart), w_down[:, apart], f"{name}.ffn_down_apart")])
    return _layer_norm(g, w, c, g.one("Add", [down, x]), f + "LayerNorm")


def _main_channels(channels: int, apart: np.ndarray | None) -> np.ndarray:
    """The FFN intermediate channels of the main branch: all of them but those run apart."""
    every = np.arange(channels)
    return every if apart is None else np.setdiff1d(every, apart)


def _layer_norm(g: _Graph, w: Weights, c: BertConfig, x: str, prefix: str) -> str:
    gamma, beta = g.const(prefix + ".weight", w[prefix + ".weight"]), g.const(prefix + ".bias", w[prefix + ".bias"])
    return g.one("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=c.layer_norm_eps)


def _layer_fused(g: _Graph, w: Weights, c: BertConfig, n: int, x: str, mask: str) -> str:
    """The same layer on ONNX Runtime's contrib operators: Attention and BiasGelu."""
    p, name = f"encoder.layer.{n}.", f"layer{n}"
    a = p + "attention.self."
    wqkv = np.concatenate([w[a + "query.weight"], w[a + "key.weight"], w[a + "value.weight"]])  # (3H, H)
    bqkv = np.concatenate([w[a + "query.bias"], w[a + "key.bias"], w[a + "value.bias"]])
    qkv_in, qkv_weight = g.smoothed(x, wqkv.T, f"{name}.qkv")  # weight (H, 3H)
    context = g.one(
        "Attention", [qkv_in, qkv_weight, g.const(f"{name}.qkv.bias", bqkv), mask],
        MS_DOMAIN, name=f"{name}.qkv", num_heads=c.num_attention_heads,
    )  # fmt: skip  # (B, T, H); mask_index (B,) int32 = each row's length (right padding)
    o = p + "attention.output."
    out = g.matmul(context, w[o + "dense.weight"], f"{name}.attn_out")
    x = _skip_layer_norm(g, w, c, out, x, o + "LayerNorm", g.const(o + "dense.bias", w[o + "dense.bias"]))
    i, f = p + "intermediate.dense.", p + "output."
    w_up, b_up, w_down = w[i + "weight"], w[i + "bias"], w[f + "dense.weight"]  # (4H, H), (4H,), (H, 4H)
    apart = g.apart.get(n)
    rest = _main_channels(w_up.shape[0], apart)
    act = g.one("BiasGelu", [g.matmul(x, w_up[rest], f"{name}.ffn_up"), g.const(i + "bias", b_up[rest])], MS_DOMAIN)
    down = g.matmul(act, w_down[:, rest], f"{name}.ffn_down")  # (B, T, H), exact erf GELU above
    if apart is not None:  # channels `apart` of the intermediate as a branch of their own (kept fp32)
        up = g.matmul(x, w_up[apart], f"{name}.ffn_up_apart")
        act = g.one("BiasGelu", [up, g.const(i + "bias.apart", b_up[apart])], MS_DOMAIN)
        down = g.one("Add", [down, g.matmul(act, w_down[:, apart], f"{name}.ffn_down_apart")])
    return _skip_layer_norm(g, w, c, down, x, f + "LayerNorm", g.const(f + "dense.bias", w[f + "dense.bias"]))


def _skip_layer_norm(g: _Graph, w: Weights, c: BertConfig, x: str, skip: str, prefix: str, bias: str) -> str:
    """LayerNorm(x + bias + skip) as Add, Add, LayerNormalization rather than one SkipLayerNormalization node
    (the faster of the two on ONNX Runtime's CPU kernels: docs/benchmarks.md, "ONNX engine choices"); session.py
    keeps ONNX Runtime from fusing them back (SkipLayerNormFusion)."""
    summed = g.one("Add", [g.one("Add", [x, bias]), skip])
    return _layer_norm(g, w, c, summed, prefix)


def _keep(g: _Graph, t: str) -> str:
    """(B, T) bool, True on a row's first `length` tokens: the mask comes from lengths, so a typed [PAD] is kept."""
    positions = g.one("Unsqueeze", [g.one("Range", ["c_zero", g.one("Squeeze", [t]), "c_one_i"]), "c_axis0"])  # (1, T)
    return g.one("Less", [positions, g.one("Unsqueeze", ["lengths", "c_axis1"])])  # (B, 1) -> (B, T)


def _constants(g: _Graph, c: BertConfig) -> None:
    f32 = np.float32
    g.const("c_zero", np.array(0, np.int64))
    g.const("c_one_i", np.array(1, np.int64))
    g.const("c_one", np.array(1, f32))
    g.const("c_half", np.array(0.5, f32))
    g.const("c_inv_sqrt2", np.array(1 / np.sqrt(2), f32))
    g.const("c_mask_off", np.array(np.finfo(f32).min, f32))
    g.const("c_mask_on", np.array(0, f32))
    g.const("c_axis0", np.array([0], np.int64))
    g.const("c_axis1", np.array([1], np.int64))
    g.const("c_axis12", np.array([1, 2], np.int64))
    g.const("c_split_qkv", np.array([c.hidden_size] * 3, np.int64))
    g.const("c_heads_shape", np.array([0, 0, c.num_attention_heads, c.head_size], np.int64))
    g.const("c_merge_shape", np.array([0, 0, c.hidden_size], np.int64))


def build(weights: Weights, config: BertConfig, fused: bool = False,
          smooth: dict[str, np.ndarray] | None = None,
          apart: dict[int, np.ndarray] | None = None) -> onnx.ModelProto:  # fmt: skip
    """The encoder graph for these weights (see the module docstring for its inputs, output and `fused`).

    smooth: per-input-channel factors for named weight MatMuls of the plain layout (quantize.py's activation
    smoothing); the graph computes the same function, with a Mul by 1/s before each such MatMul.
    apart: per layer, FFN intermediate channels computed by a branch of their own (layer{n}.ffn_up_apart and
    .ffn_down_apart, summed into the FFN output), so that quantize.py can keep them, and only them, in fp32.
    Both change how the function is computed, not the function.
    """
    if config.hidden_act != "gelu":  # as the numpy engine, the oracle this graph is tested against
        raise ValueError(f"the ONNX graph implements hidden_act 'gelu' (erf), not {config.hidden_act!r}")
    g = _Graph(smooth=dict(smooth or {}), apart=dict(apart or {}))
    _constants(g, config)
    w = weights
    t = g.one("Shape", ["input_ids"], start=1, end=2)  # (1,) = [T]
    # token type 0 for a single text: its row is added to every position once, here
    positions = w["embeddings.position_embeddings.weight"] + w["embeddings.token_type_embeddings.weight"][0]
    ln = (
        g.const("emb_ln.weight", w["embeddings.LayerNorm.weight"]),
        g.const("emb_ln.bias", w["embeddings.LayerNorm.bias"]),
    )
    word = g.const("embeddings.word_embeddings.weight", w["embeddings.word_embeddings.weight"])
    if fused:
        ids32 = g.one("Cast", ["input_ids"], to=TensorProto.INT32)
        x = g.op(
            "EmbedLayerNormalization", [ids32, "", word, g.const("positions", positions), "", *ln],
            MS_DOMAIN, outputs=2, epsilon=config.layer_norm_eps,
        )[0]  # fmt: skip  # (B, T, H)
        mask = g.one("Cast", ["lengths"], to=TensorProto.INT32)  # (B,) mask_index
        layer = _layer_fused
    else:
        pos = g.one("Slice", [g.const("positions", positions), g.const("c_start0", np.array([0], np.int64)), t])
        x = g.one("Add", [g.one("Gather", [word, "input_ids"]), pos])  # (B, T, H)
        x = g.one("LayerNormalization", [x, *ln], axis=-1, epsilon=config.layer_norm_eps)
        mask = g.one(
            "Unsqueeze", [g.one("Where", [_keep(g, t), "c_mask_on", "c_mask_off"]), "c_axis12"]
        )  # (B, 1, 1, T)
        layer = _layer_plain
    for n in range(config.num_hidden_layers):
        x = layer(g, w, config, n, x, mask)
    g.nodes.append(helper.make_node("Identity", [x], ["states"]))
    outputs = [helper.make_tensor_value_info("states", TensorProto.FLOAT, ["batch", "tokens", config.hidden_size])]
    graph = helper.make_graph(
        g.nodes, "minilm_bert",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
         helper.make_tensor_value_info("lengths", TensorProto.INT64, ["batch"])],
        outputs, g.initializers,
    )  # fmt: skip
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid(MS_DOMAIN, 1)]
    used = {name for node in g.nodes for name in node.input}
    del graph.initializer[:]
    graph.initializer.extend(t for t in g.initializers if t.name in used)  # constants the layout needs
    model = helper.make_model(graph, opset_imports=opsets, producer_name="minilm")
    model.ir_version = 8
    return model
