"""The index: dense vectors in Chroma, a jieba BM25 index beside it, and the chunk store.

Layout under `data_dir`:
- `chroma/`: the embedded Chroma store (unless `RAG_CHROMA_URL` points at a server). Vectors only
  carry the chunk id and document id; they are reused whenever a chunk's id, hence its content, is
  unchanged.
- `docstore.json`: llama-index's document store of chunk nodes, the canonical chunk text/offsets.
- `bm25/`: llama-index's BM25Retriever (bm25s) over jieba tokens joined by spaces.
- `manifest.json`: written last, the commit point (see `rag.manifest`).
"""

import math
import shutil
from collections.abc import Callable, Sequence
from functools import cached_property
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError
from llama_index.core.schema import TextNode
from llama_index.core.storage.docstore import SimpleDocumentStore
from llama_index.retrievers.bm25 import BM25Retriever
from llama_index.vector_stores.chroma import ChromaVectorStore

from rag.config import Settings
from rag.errors import IndexCorruptError
from rag.manifest import MANIFEST_NAME, Manifest, load_manifest, save_manifest
from rag.models import Chunk
from rag.normalize import normalize
from rag.tokenize import Tokenizer

DOCSTORE_NAME = "docstore.json"
BM25_DIR = "bm25"
CHROMA_DIR = "chroma"
BM25_TOKEN_PATTERN = r"(?u)\S+"  # our jieba tokens, already split by spaces

Progress = Callable[[int, int], None]


def chroma_client(settings: Settings) -> chromadb.ClientAPI:
    telemetry_off = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=telemetry_off,
        )
    return chromadb.PersistentClient(path=str(settings.data_dir / CHROMA_DIR), settings=telemetry_off)


def chunk_to_node(chunk: Chunk) -> TextNode:
    return TextNode(
        id_=chunk.chunk_id,
        text=chunk.text,
        start_char_idx=chunk.start,
        end_char_idx=chunk.end,
        metadata={"doc_id": chunk.doc_id, "title": chunk.title, "section": list(chunk.section)},
    )


def node_to_chunk(node: TextNode) -> Chunk:
    return Chunk(
        chunk_id=node.node_id,
        doc_id=node.metadata["doc_id"],
        title=node.metadata["title"],
        section=tuple(node.metadata["section"]),
        start=node.start_char_idx or 0,
        end=node.end_char_idx or 0,
        text=node.text,
    )


def match_text(chunk: Chunk, enabled: bool = True) -> str:
    """What gets embedded and BM25-indexed: section labels give a chunk its context."""
    return normalize("\n".join((*chunk.section, chunk.text)), enabled)


class ChunkIndex:
    """Reads and writes the three stores as one; `load()` fails with a rebuild hint if any is broken."""

    def __init__(self, settings: Settings, tokenizer: Tokenizer) -> None:
        self.settings = settings
        self.tokenizer = tokenizer
        self.data_dir = settings.data_dir
        self.manifest = Manifest(normalize=settings.normalize)
        self.chunks: dict[str, Chunk] = {}
        self.bm25: BM25Retriever | None = None
        self._collection: chromadb.Collection | None = None

    # -- reading ------------------------------------------------------------------------------

    def load(self) -> "ChunkIndex":
        self.manifest = load_manifest(self.data_dir)
        if not self.manifest.documents:
            return self
        try:
            docstore = SimpleDocumentStore.from_persist_path(str(self.data_dir / DOCSTORE_NAME))
            self.chunks = {node_id: node_to_chunk(node) for node_id, node in docstore.docs.items()}
            self.bm25 = BM25Retriever.from_persist_dir(str(self.data_dir / BM25_DIR), show_progress=False)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise IndexCorruptError(self.data_dir, f"{type(error).__name__}: {error}") from error
        expected = {cid for record in self.manifest.documents.values() for cid in record.chunk_ids}
        if missing := expected - self.chunks.keys():
            raise IndexCorruptError(self.data_dir, f"{len(missing)} chunks listed in the manifest are missing")
        return self

    @property
    def collection(self) -> chromadb.Collection:
        if self._collection is None:
            try:
                self._collection = chroma_client(self.settings).get_or_create_collection(
                    self.settings.collection,
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine"}},
                )
            except Exception as error:  # chromadb raises many types for a broken store or server
                raise IndexCorruptError(
                    self.settings.chroma_url or self.data_dir / CHROMA_DIR, f"Chroma: {error}"
                ) from error
        return self._collection

    @property
    def vector_store(self) -> ChromaVectorStore:
        return ChromaVectorStore(chroma_collection=self.collection)

    def get(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        return [self.chunks[c] for c in chunk_ids if c in self.chunks]

    @cached_property
    def document_frequencies(self) -> dict[str, int]:
        """Chunks per BM25 term: the corpus vocabulary."""
        if self.bm25 is None:
            return {}
        counts = np.diff(self.bm25.bm25.scores["indptr"])
        return {token: int(counts[i]) for token, i in self.bm25.bm25.vocab_dict.items() if i < len(counts)}

    def idf(self, term: str) -> float:
        """BM25's idf of a normalised term; a term absent from the corpus gets the highest value."""
        total = len(self.chunks)
        df = self.document_frequencies.get(term, 0)
        return math.log((total - df + 0.5) / (df + 0.5) + 1.0)

    # -- writing ------------------------------------------------------------------------------

    def existing_vectors(self, chunk_ids: Sequence[str]) -> dict[str, list[float]]:
        if not chunk_ids:
            return {}
        found = self.collection.get(ids=list(chunk_ids), include=["embeddings"])
        return {cid: list(vec) for cid, vec in zip(found["ids"], found["embeddings"], strict=True)}

    def write(
        self,
        manifest: Manifest,
        chunks: dict[str, Chunk],
        vectors: dict[str, list[float]],
        removed_ids: set[str],
    ) -> None:
        """Commit a new state: vectors first, then chunk store and BM25, the manifest last."""
        if removed_ids:
            self.collection.delete(ids=sorted(removed_ids))
        if vectors:
            nodes = []
            for cid, vector in vectors.items():
                node = chunk_to_node(chunks[cid])
                node.metadata = {"doc_id": chunks[cid].doc_id}
                node.embedding = vector
                nodes.append(node)
            self.vector_store.add(nodes)

        self.data_dir.mkdir(parents=True, exist_ok=True)
        docstore = SimpleDocumentStore()
        docstore.add_documents([chunk_to_node(c) for c in chunks.values()])
        docstore.persist(str(self.data_dir / DOCSTORE_NAME))
        self._write_bm25(list(chunks.values()))
        save_manifest(self.data_dir, manifest)
        self.manifest, self.chunks = manifest, chunks
        self.__dict__.pop("document_frequencies", None)
        self.bm25 = (
            BM25Retriever.from_persist_dir(str(self.data_dir / BM25_DIR), show_progress=False) if chunks else None
        )

    def _write_bm25(self, chunks: list[Chunk]) -> None:
        target = self.data_dir / BM25_DIR
        staging = self.data_dir / (BM25_DIR + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        if chunks:
            nodes = [
                TextNode(
                    id_=c.chunk_id,
                    text=" ".join(self.tokenizer.tokens(match_text(c, self.settings.normalize))) or "_",
                    metadata={"doc_id": c.doc_id},
                    excluded_embed_metadata_keys=["doc_id"],
                )
                for c in chunks
            ]
            retriever = BM25Retriever(
                nodes=nodes,
                skip_stemming=True,
                language=None,
                token_pattern=BM25_TOKEN_PATTERN,
                similarity_top_k=self.settings.candidates,
            )
            retriever.persist(str(staging), show_progress=False)
        else:
            staging.mkdir(parents=True)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)

    def clear(self) -> None:
        """Forget everything: the `--rebuild` path after corruption or an embedder change."""
        try:
            chroma_client(self.settings).delete_collection(self.settings.collection)
        except NotFoundError:
            pass
        except Exception:  # an unreadable embedded store: remove its files and Chroma's cached handle
            if self.settings.chroma_url:
                raise
            SharedSystemClient.clear_system_cache()
            shutil.rmtree(self.data_dir / CHROMA_DIR, ignore_errors=True)
        self._collection = None
        for name in (DOCSTORE_NAME, MANIFEST_NAME):
            (self.data_dir / name).unlink(missing_ok=True)
        shutil.rmtree(self.data_dir / BM25_DIR, ignore_errors=True)
        self.manifest, self.chunks, self.bm25 = Manifest(normalize=self.settings.normalize), {}, None
