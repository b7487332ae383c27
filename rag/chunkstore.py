"""The chunk store: each chunk's text, position and BM25 tokens, once, in one SQLite file.

Rows are tagged with the generation that added them and the one that retired them, so a write
touches only its own documents' rows (O(chunks written)) and no row a reader of the committed
generation uses changes: generation G sees `added <= G and (removed is null or removed > G)`.
A writer tags its rows G+1 before the manifest names G+1 (the commit point); until then they are
invisible, and a killed writer's rows are undone by `discard_after(G)`. Rows no longer visible to
the committed or the previous generation are deleted by `prune`, which records how far it went, so
a reader that was overtaken by two commits notices and reads the manifest again.
"""

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from rag.models import Chunk

STORE_NAME = "chunks.sqlite"

_SCHEMA = """
create table if not exists chunks (
    chunk_id text not null, doc_id text not null, title text not null, section text not null,
    start integer not null, end integer not null, text text not null, tokens text not null,
    added integer not null, removed integer
);
create index if not exists chunks_added on chunks(added);
create index if not exists chunks_removed on chunks(removed);
create index if not exists chunks_doc on chunks(doc_id);
create table if not exists meta (key text primary key, value integer not null);
"""
_COLUMNS = "rowid, chunk_id, doc_id, title, section, start, end, text, tokens"


class StaleGenerationError(Exception):
    """The rows of the generation asked for were pruned: a newer manifest has been committed since."""


@dataclass(frozen=True)
class StoredChunk:
    row: int  # SQLite rowid: stable for the row's life, so readers can apply changes by it
    chunk: Chunk
    tokens: list[str]


def store_path(data_dir: Path) -> Path:
    return data_dir / STORE_NAME


def _stored(row: tuple) -> StoredChunk:
    rowid, chunk_id, doc_id, title, section, start, end, text, tokens = row
    chunk = Chunk(chunk_id, doc_id, title, tuple(json.loads(section)), start, end, text)
    return StoredChunk(rowid, chunk, tokens.split())


class ChunkStore:
    """Opened per operation and closed after it, so a file replaced or removed on disk is seen as such."""

    def __init__(self, data_dir: Path) -> None:
        self.path = store_path(data_dir)

    @contextmanager
    def _connect(self, create: bool = False) -> Iterator[sqlite3.Connection]:
        mode = "rwc" if create else "rw"  # a reader must not create an empty store where one is missing
        with closing(sqlite3.connect(f"file:{self.path}?mode={mode}", uri=True, timeout=30)) as db:
            if create:
                db.execute("pragma journal_mode=wal")
                db.executescript(_SCHEMA)
            with db:
                yield db

    def exists(self) -> bool:
        return self.path.exists()

    # -- reading ------------------------------------------------------------------------------

    def visible_pages(self, generation: int, size: int = 4096) -> Iterator[list[StoredChunk]]:
        """Every row generation `generation` consists of, `size` at a time from one read snapshot: a reader
        building from them never holds every chunk's token list at once (at 100k chunks that alone is over a
        gigabyte of small strings)."""
        with self._connect() as db:
            self._check_readable(db, generation)
            cursor = db.execute(
                f"select {_COLUMNS} from chunks where added <= ? and (removed is null or removed > ?) order by rowid",
                (generation, generation),
            )
            while rows := cursor.fetchmany(size):
                yield [_stored(r) for r in rows]

    def changes(self, since: int, generation: int) -> tuple[list[StoredChunk], list[int]]:
        """What turns generation `since` into `generation`: rows added, and rowids retired."""
        with self._connect() as db:
            self._check_readable(db, since)
            added = db.execute(
                f"select {_COLUMNS} from chunks where added > ? and added <= ? and (removed is null or removed > ?)"
                " order by rowid",
                (since, generation, generation),
            ).fetchall()
            retired = db.execute(
                "select rowid from chunks where added <= ? and removed > ? and removed <= ?",
                (since, since, generation),
            ).fetchall()
        return [_stored(r) for r in added], [r[0] for r in retired]

    @staticmethod
    def _check_readable(db: sqlite3.Connection, generation: int) -> None:
        found = db.execute("select value from meta where key = 'readable_from'").fetchone()
        if found is not None and generation < found[0]:
            raise StaleGenerationError(generation)

    # -- writing (under the writer lock) ------------------------------------------------------

    def stage(self, generation: int, chunks: Iterable[tuple[Chunk, list[str]]]) -> None:
        """Add rows for `generation`; invisible to readers of any earlier one."""
        rows = [
            (
                c.chunk_id,
                c.doc_id,
                c.title,
                json.dumps(list(c.section), ensure_ascii=False),
                c.start,
                c.end,
                c.text,
                " ".join(tokens),
                generation,
            )
            for c, tokens in chunks
        ]
        with self._connect(create=True) as db:
            db.executemany(
                "insert into chunks (chunk_id, doc_id, title, section, start, end, text, tokens, added)"
                " values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def retire(self, generation: int, doc_ids: Iterable[str] | None) -> None:
        """Retire at `generation` the live rows of `doc_ids` (None: every live row, for a rebuild)."""
        with self._connect(create=True) as db:
            if doc_ids is None:
                db.execute(
                    "update chunks set removed = ? where removed is null and added < ?", (generation, generation)
                )
                return
            db.executemany(
                "update chunks set removed = ? where doc_id = ? and removed is null and added < ?",
                [(generation, doc_id, generation) for doc_id in doc_ids],
            )

    def discard_after(self, generation: int) -> None:
        """Undo what writers after `generation` left uncommitted (a killed or failed write)."""
        if not self.exists():
            return
        with self._connect(create=True) as db:
            db.execute("delete from chunks where added > ?", (generation,))
            db.execute("update chunks set removed = null where removed > ?", (generation,))

    def prune(self, generation: int) -> None:
        """Delete rows neither `generation` nor the one before it can see (a reader may still be loading that)."""
        keep_from = max(generation - 1, 0)
        with self._connect(create=True) as db:
            db.execute("delete from chunks where removed <= ?", (keep_from,))
            db.execute("insert or replace into meta (key, value) values ('readable_from', ?)", (keep_from,))

    def count(self, generation: int) -> int:
        with self._connect() as db:
            return db.execute(
                "select count(*) from chunks where added <= ? and (removed is null or removed > ?)",
                (generation, generation),
            ).fetchone()[0]
