"""Request and response bodies (pydantic): they validate input types and document the OpenAPI schema.

Types are strict: a number is never taken as a text, nor a text as a number.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, field_validator

Texts = StrictStr | list[StrictStr]


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
                what = "is an empty array" if not ids else f"holds {_kind(bad)} {bad!r}"
                raise ValueError(f"{field} {i} {what}; a token-id array holds ints")
        return value
    for i, item in enumerate(value):
        if not isinstance(item, str):
            expected = "str (all items texts, or all token ids)" if ids_allowed else "str"
            raise ValueError(f"{field} {i} is {_kind(item)}, expected {expected}")
    return value


# -- OpenAI ------------------------------------------------------------------------------------------------
class EmbeddingRequest(BaseModel):
    """POST /v1/embeddings. `input`: a text, a list of texts, or token ids of this model's vocabulary."""

    input: StrictStr | list[StrictStr] | list[StrictInt] | list[list[StrictInt]] = Field(
        description="text(s) to embed, or token-id arrays of this model's vocabulary ([CLS]/[SEP] added "
        "unless an array already starts with [CLS] and ends with [SEP])"
    )
    model: StrictStr = Field(description="any name: the server's one model answers")
    encoding_format: Literal["float", "base64"] = Field("float", description="base64: little-endian float32")
    dimensions: StrictInt | None = Field(None, description="must be the model's dimension (384) when given")
    user: StrictStr | None = Field(None, description="ignored")

    @field_validator("input", mode="before")
    @classmethod
    def _input_items(cls, value: object) -> object:
        return check_texts(value, "input", ids_allowed=True)


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
class EmbedRequest(BaseModel):
    """POST /embed (TEI's shape)."""

    model_config = ConfigDict(extra="ignore")

    inputs: Texts
    normalize: StrictBool = True
    truncate: StrictBool = Field(True, description="false: a text over the model's limit is a 413 naming it")

    @field_validator("inputs", mode="before")
    @classmethod
    def _input_items(cls, value: object) -> object:
        return check_texts(value, "inputs")


class TokenizeRequest(BaseModel):
    """POST /tokenize: the full tokenization (the model sees the first max_seq_length tokens)."""

    inputs: Texts
    add_special_tokens: StrictBool = True

    @field_validator("inputs", mode="before")
    @classmethod
    def _input_items(cls, value: object) -> object:
        return check_texts(value, "inputs")


class TokenInfo(BaseModel):
    id: int
    text: str
    special: bool
    start: int | None
    stop: int | None


class SimilarityInputs(BaseModel):
    source_sentence: StrictStr
    sentences: list[StrictStr] = Field(min_length=1)


class SimilarityRequest(BaseModel):
    """POST /similarity: a query against texts (TEI's `inputs`) or a list of [a, b] `pairs`; one of the two."""

    inputs: SimilarityInputs | None = None
    pairs: list[tuple[StrictStr, StrictStr]] | None = Field(None, min_length=1)


# -- search ------------------------------------------------------------------------------------------------
class SearchRequest(BaseModel):
    """POST /search: the k nearest entries of the server's index to a text or a vector."""

    query: StrictStr | list[StrictFloat | StrictInt]
    k: StrictInt = Field(10, ge=1, le=1000)
    filter: dict[str, Any] | None = None
    include_document: StrictBool = False  # also return each hit's whole document (the search page shows it)


class SearchHit(BaseModel):
    id: Any
    score: float
    text: str | None = None
    metadata: dict[str, Any] | None = None
    start: int | None = None  # the matching window's character span in the document, when the index has one
    end: int | None = None
    document: str | None = None  # with include_document: the whole document the window [start, end) is in


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
