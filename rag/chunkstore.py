"""The chunk store: each chunk's text, position and BM25 tokens, once, and each document's record, in one
SQLite file.

Rows of both tables are tagged with the generation that added them and the one that retired them, so a write
touches only its own documents' rows (O(chunks written)) and no row a reader of the committed
generation uses changes: generation G sees `added <= G and (removed is null or removed > G)`.
A writer tags its rows G+1 before the manifest names G+1 (the commit point); until then they are
invisible, and a killed writer's rows are undone by `discard_after(G)`. Rows no longer visible to
the committed or the previous generation are deleted by `prune`, which records how far it went, so
a reader that was overtaken by two commits notices and reads the manifest again. Keeping the
document records here too, not in the manifest, makes a commit write only the records it changed.
"""

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from rag.models import Chunk, DocumentRecord

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
create table if not exists documents (
    doc_id text not null, record text not null, added integer not null, removed integer
);
create index if not exists documents_added on documents(added);
create index if not exists documents_removed on documents(removed);
create index if not exists documents_doc on documents(doc_id);
create table if not exists meta (key text primary key, value integer not null);
"""
_VISIBLE = "added <= ? and (removed is null or removed > ?)"
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


def record_json(record: DocumentRecord) -> str:
    return json.dumps(vars(record), ensure_ascii=False, separators=(",", ":"))  # vars(): flat, where asdict() copies


def record_from(raw: dict) -> DocumentRecord:
    return DocumentRecord(**{**raw, "chunk_ids": tuple(raw["chunk_ids"]), "groups": tuple(raw["groups"])})


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
                f"select {_COLUMNS} from chunks where {_VISIBLE} order by rowid",
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

    def documents(self, generation: int) -> dict[str, DocumentRecord]:
        """The document records generation `generation` holds."""
        with self._connect() as db:
            self._check_readable(db, generation)
            rows = db.execute(f"select record from documents where {_VISIBLE}", (generation, generation))
            return {r.doc_id: r for r in (record_from(json.loads(row[0])) for row in rows)}

    def document_changes(self, since: int, generation: int) -> tuple[list[DocumentRecord], set[str]]:
        """What turns the records of generation `since` into those of `generation`: records written, and the ids
        of records retired (a rewritten document is in both)."""
        with self._connect() as db:
            self._check_readable(db, since)
            written = db.execute(
                "select record from documents where added > ? and added <= ? and (removed is null or removed > ?)",
                (since, generation, generation),
            ).fetchall()
            retired = db.execute(
                "select doc_id from documents where added <= ? and removed > ? and removed <= ?",
                (since, since, generation),
            ).fetchall()
        return [record_from(json.loads(r[0])) for r in written], {r[0] for r in retired}

    @staticmethod
    def _check_readable(db: sqlite3.Connection, generation: int) -> None:
        found = db.execute("select value from meta where key = 'readable_from'").fetchone()
        if found is not None and generation < found[0]:
            raise StaleGenerationError(generation)

    # -- writing (under the writer lock) ------------------------------------------------------

    def stage(
        self,
        generation: int,
        chunks: Iterable[tuple[Chunk, list[str]]],
        records: Iterable[DocumentRecord] = (),
    ) -> None:
        """Add chunk rows and document records for `generation`; invisible to readers of any earlier one."""
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
            db.executemany(
                "insert into documents (doc_id, record, added) values (?, ?, ?)",
                [(r.doc_id, record_json(r), generation) for r in records],
            )

    def retire(self, generation: int, doc_ids: Iterable[str] | None, records: Iterable[str] | None = ()) -> None:
        """Retire at `generation` the live chunk rows of `doc_ids` and the live records of `records` (None:
        every live row of that table, for a rebuild)."""
        with self._connect(create=True) as db:
            for table, ids in (("chunks", doc_ids), ("documents", records)):
                if ids is None:
                    db.execute(
                        f"update {table} set removed = ? where removed is null and added < ?", (generation, generation)
                    )
                    continue
                db.executemany(
                    f"update {table} set removed = ? where doc_id = ? and removed is null and added < ?",
                    [(generation, doc_id, generation) for doc_id in ids],
                )

    def discard_after(self, generation: int) -> None:
        """Undo what writers after `generation` left uncommitted (a killed or failed write)."""
        if not self.exists():
            return
        with self._connect(create=True) as db:
            for table in ("chunks", "documents"):
                db.execute(f"delete from {table} where added > ?", (generation,))
                db.execute(f"update {table} set removed = null where removed > ?", (generation,))

    def prune(self, generation: int) -> None:
        """Delete rows neither `generation` nor the one before it can see (a reader may still be loading that)."""
        keep_from = max(generation - 1, 0)
        with self._connect(create=True) as db:
            db.execute("delete from chunks where removed <= ?", (keep_from,))
            db.execute("delete from documents where removed <= ?", (keep_from,))
            db.execute("insert or replace into meta (key, value) values ('readable_from', ?)", (keep_from,))

    def count(self, generation: int) -> int:
        with self._connect() as db:
            return db.execute(f"select count(*) from chunks where {_VISIBLE}", (generation, generation)).fetchone()[0]
