"""Request and response bodies (pydantic): they validate input types and document the OpenAPI schema.

Types are strict: a number is never taken as a text, nor a text as a number. Request bodies forbid unknown
fields (422 naming the field): a misspelt `filter` or an option this server does not implement would otherwise be
ignored and the answer silently different from what was asked. Fields that the usual clients send (openai,
LangChain, LlamaIndex, huggingface_hub) are declared, and an option value that is not implemented is refused.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    field_validator,
)

from minilm.errors import shown

Texts = StrictStr | list[StrictStr]


class StrictRequest(BaseModel):
    """A request body: unknown fields are a 422 naming them."""

    model_config = ConfigDict(extra="forbid")


def check_truncation_direction(value: object) -> object:
    """TEI's truncation_direction: only "right" (keep the start of a text) is implemented."""
    if value in ("right", "Right"):
        return value
    raise ValueError(f"truncation_direction {shown(value)} is not supported: this server keeps the start of a "
                     "long text (\"right\"); cut the text yourself to keep its end")  # fmt: skip


def check_prompt_name(value: object) -> object:
    """TEI's prompt_name: this server applies no prompts, so only null is accepted."""
    if value is None:
        return value
    raise ValueError(f"prompt_name {shown(value)} is not supported: this server applies no prompts; prepend the prompt "
                     "text to each input yourself")  # fmt: skip


def check_dimensions(dimensions: int | None, model_dimension: int) -> str | None:
    """Why `dimensions` cannot be served (None when it can): 1 ... the model's dimension.

    A shorter vector is the first N components, scaled back to unit length when the model normalizes (OpenAI's
    `dimensions`). all-MiniLM-L6-v2 was not trained for it (no Matryoshka loss): docs/server.md gives the loss.
    """
    if dimensions is None or 1 <= dimensions <= model_dimension:
        return None
    return (f"dimensions is {shown(dimensions)}, but this model gives 1 ... {model_dimension} components; omit "
            f"dimensions for the whole {model_dimension}")  # fmt: skip


def _kind(item: object) -> str:
    return "null" if item is None else type(item).__name__


def check_texts(value: object, field: str, ids_allowed: bool = False) -> object:
    """One error naming the first bad item ("input 2 is int, expected str") instead of one per union branch."""
    if isinstance(value, str) or (isinstance(value, list) and not value):
        return value  # a text, or an empty list (the route says why that is refused)
    if not isinstance(value, list):
        expected = "a str, a list of str or token-id arrays" if ids_allowed else "a str or a list of str"
        raise ValueError(f"{field} is {_kind(value)}, expected {expected}")
    if ids_allowed and all(type(x) is int for x in value):
        return value  # one token-id array
    if ids_allowed and all(isinstance(x, list) for x in value):
        for i, ids in enumerate(value):
            bad = next((x for x in ids if type(x) is not int), None)
            if bad is not None or not ids:
                what = "is an empty array" if not ids else f"holds {_kind(bad)} {shown(bad)}"
                raise ValueError(f"{field} {i} {what}; a token-id array holds ints")
        return value
    for i, item in enumerate(value):
        if not isinstance(item, str):
            expected = "str (all items texts, or all token ids)" if ids_allowed else "str"
            raise ValueError(f"{field} {i} is {_kind(item)}, expected {expected}")
    return value


# -- OpenAI ------------------------------------------------------------------------------------------------
class EmbeddingRequest(StrictRequest):
    """POST /v1/embeddings. `input`: a text, a list of texts, or whole token-id sequences of this model."""

    input: StrictStr | list[StrictStr] | list[StrictInt] | list[list[StrictInt]] = Field(
        description="text(s) to embed, or token-id arrays of this model's own WordPiece vocabulary, each a whole "
        "sequence from [CLS] (101) to [SEP] (102) as POST /tokenize gives them; any other array is a 400 "
        "(tiktoken ids, as LangChain's OpenAIEmbeddings sends by default, would embed as nonsense)"
    )
    model: StrictStr = Field(description="any name: the server's one model answers")
    encoding_format: Literal["float", "base64"] = Field("float", description="base64: little-endian float32")
    dimensions: StrictInt | None = Field(None, description="1 ... 384: the first N components, re-normalized")
    user: StrictStr | None = Field(None, description="ignored")

    _input = field_validator("input", mode="before")(lambda value: check_texts(value, "input", ids_allowed=True))


class EmbeddingData(BaseModel):
    object: Literal["embedding"] = "embedding"
    embedding: list[float] | str
    index: int


class Usage(BaseModel):
    prompt_tokens: int
    total_tokens: int


class EmbeddingResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[EmbeddingData]
    model: str
    usage: Usage


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "minilm"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


# -- text-embeddings-inference -----------------------------------------------------------------------------
class EmbedRequest(StrictRequest):
    """POST /embed (TEI's shape; also POST / and /invocations)."""

    inputs: Texts
    normalize: StrictBool = True
    truncate: StrictBool | None = Field(True, description="false: a text over the model's limit is a 413 naming it")
    truncation_direction: Literal["right", "Right"] = Field("right", description="only right is implemented")
    prompt_name: StrictStr | None = Field(None, description="not implemented: only null")
    dimensions: StrictInt | None = Field(
        None, description="1 ... 384: the first N components (re-normalized when normalize is true)"
    )

    _inputs = field_validator("inputs", mode="before")(lambda value: check_texts(value, "inputs"))
    _direction = field_validator("truncation_direction", mode="before")(check_truncation_direction)
    _prompt = field_validator("prompt_name", mode="before")(check_prompt_name)


class EmbedAllRequest(StrictRequest):
    """POST /embed_all (TEI's shape): each input's token embeddings, [CLS] and [SEP] included."""

    inputs: Texts
    truncate: StrictBool | None = Field(True, description="false: a text over the model's limit is a 413 naming it")
    truncation_direction: Literal["right", "Right"] = Field("right", description="only right is implemented")
    prompt_name: StrictStr | None = Field(None, description="not implemented: only null")

    _inputs = field_validator("inputs", mode="before")(lambda value: check_texts(value, "inputs"))
    _direction = field_validator("truncation_direction", mode="before")(check_truncation_direction)
    _prompt = field_validator("prompt_name", mode="before")(check_prompt_name)


class TokenizeRequest(StrictRequest):
    """POST /tokenize: the full tokenization (the model sees the first max_seq_length tokens)."""

    inputs: Texts
    add_special_tokens: StrictBool = True
    prompt_name: StrictStr | None = Field(None, description="not implemented: only null")

    _inputs = field_validator("inputs", mode="before")(lambda value: check_texts(value, "inputs"))
    _prompt = field_validator("prompt_name", mode="before")(check_prompt_name)


class TokenInfo(BaseModel):
    id: int
    text: str
    special: bool
    start: int | None
    stop: int | None


class SimilarityInputs(StrictRequest):
    source_sentence: StrictStr
    sentences: list[StrictStr] = Field(min_length=1)


class SimilarityParameters(StrictRequest):
    """TEI's similarity parameters (huggingface_hub sends them, often empty)."""

    truncate: StrictBool | None = Field(None, description="false: a text over the model's limit is a 413")
    truncation_direction: Literal["right", "Right"] = Field("right", description="only right is implemented")
    prompt_name: StrictStr | None = Field(None, description="not implemented: only null")

    _direction = field_validator("truncation_direction", mode="before")(check_truncation_direction)
    _prompt = field_validator("prompt_name", mode="before")(check_prompt_name)


class SimilarityRequest(StrictRequest):
    """POST /similarity: a query against texts (TEI's `inputs`) or a list of [a, b] `pairs`; one of the two."""

    inputs: SimilarityInputs | None = None
    pairs: list[tuple[StrictStr, StrictStr]] | None = Field(None, min_length=1)
    parameters: SimilarityParameters | None = None


def _root_kind(body: object) -> str:
    """POST /: a similarity request when `inputs` is an object ({source_sentence, sentences}) or `pairs` is given."""
    if isinstance(body, SimilarityRequest | EmbedRequest):
        return "similarity" if isinstance(body, SimilarityRequest) else "embed"
    if isinstance(body, dict) and (isinstance(body.get("inputs"), dict) or "pairs" in body):
        return "similarity"
    return "embed"


ROOT_TAGS = frozenset({"embed", "similarity"})
# POST / and /invocations: TEI's default route (embed), or similarity when the body has that shape
RootRequest = Annotated[
    Annotated[EmbedRequest, Tag("embed")] | Annotated[SimilarityRequest, Tag("similarity")], Discriminator(_root_kind)
]


# -- search ------------------------------------------------------------------------------------------------
FilterValue = StrictStr | StrictInt | StrictFloat | StrictBool


def check_filter(value: object) -> object:
    """Filter values are compared for equality with metadata: scalars only, named when not."""
    if not isinstance(value, dict):
        return value  # the declared type says why
    for key, item in value.items():
        name = key if isinstance(key, str) and len(key) <= 60 and key.isprintable() else shown(key)
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"filter.{name} is {item}; filter values must be finite")
        if not isinstance(item, str | int | float | bool):
            seen = "null" if item is None else type(item).__name__
            raise ValueError(f"filter.{name} is {seen}: a filter keeps documents whose metadata field equals "
                             "a str, int, float or bool value; other comparisons are not implemented")  # fmt: skip
    return value


class SearchRequest(StrictRequest):
    """POST /search: the k nearest entries of the server's index to a text or a vector."""

    query: StrictStr | list[StrictFloat | StrictInt] = Field(
        description="a text (embedded by the server) or a vector of the model's dimension (normalized here)"
    )
    k: StrictInt = Field(10, ge=1, le=1000)
    filter: dict[str, FilterValue] | None = Field(None, description="metadata field -> value, all must be equal")

    _filter = field_validator("filter", mode="before")(check_filter)
    include_document: StrictBool = False  # also return each hit's whole document (the search page shows it)
    mode: Literal["dense", "lexical", "hybrid"] = Field(
        "dense", description="dense: by vectors; lexical: BM25 over the words (a text query); hybrid: both, fused"
    )


class SearchHit(BaseModel):
    id: Any
    score: float
    text: str | None = None
    metadata: dict[str, Any] | None = None
    start: int | None = None  # the matching window's character span in the document, when the index has one
    end: int | None = None
    document: str | None = None  # with include_document: the whole document the window [start, end) is in
    document_truncated: bool | None = None  # with include_document: the document was cut to max_document_bytes


class SearchResponse(BaseModel):
    hits: list[SearchHit]


# -- service -----------------------------------------------------------------------------------------------
class Health(BaseModel):
    status: Literal["ok", "loading", "failed"]
    model: str
    engine: str | None = None
    dimension: int | None = None
    queue_depth: int = 0
    detail: str | None = None
