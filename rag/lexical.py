"""BM25 over cached tokens, scored at query time within the reader's scope.

bm25s precomputes each (term, chunk) score with idf and average length taken over the whole
corpus, so a reader's scores would shift with documents they may not read, and say which words
those contain. Here a sparse term-frequency matrix is kept instead and a query's few terms are
scored from their postings, with the document frequency, chunk count and average length all
counted within the reader's mask: bm25s's Lucene formula with its defaults (what llama-index's
BM25Retriever used), over the readable chunks only.

Chunks arrive and leave as the index changes: new ones are appended as a segment (adjacent
segments are merged when the newer is at least half the older, so there are O(log N) of them and
each chunk is copied O(log N) times), a retired one is marked dead, and the matrix is compacted
(dropping the terms no live chunk holds) once a quarter of it is dead. No write re-tokenises or
rescans what did not change.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, count

import numpy as np
import scipy.sparse as sp

from rag.chunkstore import StoredChunk

K1, B = 1.5, 0.75  # bm25s.BM25() defaults (method "lucene"), as llama-index's BM25Retriever built it
_COMPACT_SHARE = 0.25


@dataclass(frozen=True)
class Scope:
    """The chunks one reader may see, with the statistics BM25 needs over them."""

    mask: np.ndarray  # bool per slot: alive and readable
    count: int
    mean_length: float


class LexicalIndex:
    """Term frequencies per chunk slot, in CSC segments (term-major, for scoring a query's terms)."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.segments: list[tuple[int, sp.csc_matrix]] = []  # (first slot, matrix)
        self.lengths = np.zeros(0, dtype=np.float64)  # tokens per slot
        self.alive = np.zeros(0, dtype=bool)
        self.doc_ids: list[str] = []  # per slot
        self.chunk_ids: list[str] = []  # per slot
        self.slot_of_row: dict[int, int] = {}  # chunk store rowid → slot

    @classmethod
    def build(cls, stored: Sequence[StoredChunk]) -> "LexicalIndex":
        index = cls()
        index.apply(stored, ())
        index.consolidate()
        return index

    def copy(self) -> "LexicalIndex":
        """An index to change while readers go on using this one (segments are shared: never changed)."""
        other = LexicalIndex()
        other.vocab, other.segments, other.slot_of_row = dict(self.vocab), list(self.segments), dict(self.slot_of_row)
        other.lengths, other.alive = self.lengths.copy(), self.alive.copy()
        other.doc_ids, other.chunk_ids = list(self.doc_ids), list(self.chunk_ids)
        return other

    @property
    def size(self) -> int:
        return len(self.chunk_ids)

    # -- changes ------------------------------------------------------------------------------

    def apply(self, added: Sequence[StoredChunk], retired: Iterable[int]) -> None:
        """Retire rows (by chunk store rowid) and append new ones, tokenised once at ingest."""
        for row in retired:
            slot = self.slot_of_row.pop(row, None)
            if slot is not None:
                self.alive[slot] = False
        if added:
            self._append(added)
        dead = self.size - int(self.alive.sum())
        if dead and dead >= _COMPACT_SHARE * self.size:
            self._compact()

    def _append(self, added: Sequence[StoredChunk]) -> None:
        first = self.size
        lengths = np.fromiter((len(item.tokens) for item in added), dtype=np.int64, count=len(added))
        tokens = list(chain.from_iterable(item.tokens for item in added))
        unseen = dict.fromkeys(tokens).keys() - self.vocab.keys()  # set operations and map(): C speed
        self.vocab.update(zip(sorted(unseen), count(len(self.vocab))))
        cols = np.fromiter(map(self.vocab.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        for offset, item in enumerate(added):
            self.slot_of_row[item.row] = first + offset
        self.doc_ids.extend(item.chunk.doc_id for item in added)
        self.chunk_ids.extend(item.chunk.chunk_id for item in added)
        data = np.ones(len(tokens), dtype=np.float32)
        indptr = np.concatenate(([0], np.cumsum(lengths)))
        matrix = sp.csr_matrix((data, cols, indptr), shape=(len(added), len(self.vocab))).tocsc()
        matrix.sum_duplicates()
        self.segments.append((first, matrix))
        self.lengths = np.concatenate((self.lengths, lengths.astype(np.float64)))
        self.alive = np.concatenate((self.alive, np.ones(len(added), dtype=bool)))
        while len(self.segments) > 1 and 2 * self.segments[-1][1].shape[0] >= self.segments[-2][1].shape[0]:
            (start, older), (_, newer) = self.segments[-2], self.segments[-1]
            self.segments[-2:] = [(start, _stack([older, newer], len(self.vocab)))]

    def consolidate(self) -> None:
        """One segment, after a build from pages: a query then reads each term's postings in one slice."""
        if len(self.segments) > 1:
            self.segments = [(0, _stack([m for _, m in self.segments], len(self.vocab)))]

    def _compact(self) -> None:
        """Drop dead slots, and the terms only they held, so neither grows with the writes a server takes."""
        keep = np.flatnonzero(self.alive)
        whole = _stack([m for _, m in self.segments], len(self.vocab)).tocsr()[keep].tocsc()
        used = np.flatnonzero(np.diff(whole.indptr))  # columns with postings left
        if len(used) < whole.shape[1]:
            whole = whole[:, used]
            term_of = [""] * len(self.vocab)
            for term, column in self.vocab.items():
                term_of[column] = term
            self.vocab = {term_of[old]: new for new, old in enumerate(used.tolist())}
        new_slot = {old: new for new, old in enumerate(keep.tolist())}
        self.slot_of_row = {row: new_slot[slot] for row, slot in self.slot_of_row.items()}
        self.doc_ids = [self.doc_ids[i] for i in keep]
        self.chunk_ids = [self.chunk_ids[i] for i in keep]
        self.lengths = self.lengths[keep]
        self.alive = np.ones(len(keep), dtype=bool)
        self.segments = [(0, whole)] if len(keep) else []

    # -- scopes and scoring ---------------------------------------------------------------------

    def scope(self, readable: np.ndarray) -> Scope:
        """`readable`: bool per slot (the caller's documents); dead slots are left out here."""
        mask = readable & self.alive
        count = int(mask.sum())
        return Scope(mask, count, float(self.lengths[mask].mean()) if count else 0.0)

    def _postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        slots, tfs = [], []
        for first, matrix in self.segments:
            if term < matrix.shape[1]:
                start, end = matrix.indptr[term], matrix.indptr[term + 1]
                slots.append(matrix.indices[start:end] + first)
                tfs.append(matrix.data[start:end])
        if not slots:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return np.concatenate(slots), np.concatenate(tfs)

    def scores(self, tokens: Sequence[str], scope: Scope) -> np.ndarray:
        """BM25 of every slot for the query `tokens` (repeats count, as in bm25s), within `scope`."""
        total = np.zeros(self.size, dtype=np.float64)
        if not scope.count:
            return total
        for term in (self.vocab[t] for t in tokens if t in self.vocab):
            slots, tfs = self._postings(term)
            keep = scope.mask[slots]
            slots, tfs = slots[keep], tfs[keep].astype(np.float64)
            if not len(slots):
                continue
            df = len(slots)
            idf = math.log(1 + (scope.count - df + 0.5) / (df + 0.5))
            norm = K1 * (1 - B + B * self.lengths[slots] / scope.mean_length)
            total[slots] += idf * tfs / (tfs + norm)
        return total

    def top(self, tokens: Sequence[str], scope: Scope, k: int) -> list[tuple[str, float]]:
        """The `k` best chunks with a positive score, best first."""
        total = self.scores(tokens, scope)
        hits = np.flatnonzero(total > 0)
        if len(hits) > k:
            hits = hits[np.argpartition(-total[hits], k - 1)[:k]]
        hits = hits[np.argsort(-total[hits], kind="stable")]
        return [(self.chunk_ids[i], float(total[i])) for i in hits]

    def frequencies(self, scope: Scope) -> dict[str, int]:
        """Chunks per term, counting only the scope's."""
        counts = np.zeros(len(self.vocab), dtype=np.int64)
        for first, matrix in self.segments:
            running = np.concatenate(([0], np.cumsum(scope.mask[matrix.indices + first])))
            found = running[matrix.indptr[1:]] - running[matrix.indptr[:-1]]
            counts[: len(found)] += found
        return {token: int(counts[i]) for token, i in self.vocab.items() if counts[i]}


def _stack(matrices: list[sp.csc_matrix], columns: int) -> sp.csc_matrix:
    """Rows of `matrices` one after another, all widened to `columns` terms."""
    widened = [
        sp.csc_matrix(
            (m.data, m.indices, np.append(m.indptr, [m.indptr[-1]] * (columns - m.shape[1]))),
            shape=(m.shape[0], columns),
        )
        for m in matrices
    ]
    return sp.vstack(widened, format="csc")
