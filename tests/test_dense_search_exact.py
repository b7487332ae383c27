"""Chroma's HNSW search is approximate: with its default breadth it can miss a true nearest neighbour, and
which one depends on how the graph happened to be built, so the same corpus ranked differently on two
machines. The index searches broadly enough to return the exact top 20."""

import chromadb
import numpy as np

from rag.index import ChunkIndex
from rag.tokenize import shared_tokenizer
from rag.vectors import CHROMA_DIR, refresh_vector_store

from .conftest import settings_for

VECTORS, QUERIES, TOP = 3000, 20, 20


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _fill(collection: chromadb.Collection, vectors: np.ndarray) -> None:
    for start in range(0, len(vectors), 1000):
        block = vectors[start : start + 1000]
        collection.add(ids=[str(start + n) for n in range(len(block))], embeddings=block)


def _missed(collection: chromadb.Collection, vectors: np.ndarray, queries: np.ndarray) -> int:
    """True top-20 neighbours the search did not return, over all queries."""
    missed = 0
    for query in queries:
        found = {int(i) for i in collection.query(query_embeddings=[query], n_results=TOP, include=[])["ids"][0]}
        missed += len(set(np.argsort(-(vectors @ query))[:TOP].tolist()) - found)
    return missed


def _data() -> tuple[np.ndarray, np.ndarray]:
    # Random directions in 384 dimensions: no clusters for the graph to follow, the hard case for HNSW.
    rng = np.random.default_rng(7)
    vectors = _unit(rng.normal(size=(VECTORS, 384)).astype(np.float32))
    return vectors, _unit(rng.normal(size=(QUERIES, 384)).astype(np.float32))


def test_a_new_index_returns_the_exact_nearest_neighbours(tmp_path):
    vectors, queries = _data()
    index = ChunkIndex(settings_for(tmp_path), shared_tokenizer(None))
    _fill(index.collection, vectors)
    assert _missed(index.collection, vectors, queries) == 0

    narrow = ChunkIndex(settings_for(tmp_path / "narrow", dense_search_breadth=TOP), shared_tokenizer(None))
    _fill(narrow.collection, vectors)
    assert _missed(narrow.collection, vectors, queries) > 0  # what the breadth prevents


def test_an_index_built_with_chromas_default_breadth_searches_exactly_once_opened(tmp_path):
    vectors, queries = _data()
    settings = settings_for(tmp_path)
    built = chromadb.PersistentClient(path=str(tmp_path / CHROMA_DIR)).create_collection(
        settings.collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )
    _fill(built, vectors)
    assert _missed(built, vectors, queries) > 0
    refresh_vector_store(settings)  # as a later process opens it

    collection = ChunkIndex(settings, shared_tokenizer(None)).collection
    assert collection.configuration_json["hnsw"]["ef_search"] == settings.dense_search_breadth
    assert _missed(collection, vectors, queries) == 0
