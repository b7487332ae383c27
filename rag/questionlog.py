"""The question log: each answered question, kept locally in SQLite in the data directory, for 洞察.

It shows writers what employees asked and the documents did not answer. Logging is a by-product of
answering: one small insert per question (WAL, no sync per commit), and a failure to write is
logged and swallowed, so the log can never fail an answer. Rows older than the retention are
purged on each write and never read.
"""

import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from rag.access import OPEN_ACCESS, Access
from rag.config import Settings
from rag.errors import RagError
from rag.models import Answer

if TYPE_CHECKING:  # the CLI's `rag insights` reads the log without loading the index's stores
    from rag.index import ChunkIndex

LOG_NAME = "questions.sqlite3"
ANONYMOUS = "anonymous"
logger = logging.getLogger("rag.questionlog")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: feedback on a purged id finds nothing
    asked_at TEXT NOT NULL,
    caller TEXT NOT NULL,
    question TEXT NOT NULL,
    covered INTEGER NOT NULL,
    chunk_ids TEXT NOT NULL,
    doc_ids TEXT NOT NULL,
    sections TEXT NOT NULL,
    latency_ms REAL NOT NULL,
    rating INTEGER,
    comment TEXT,
    rated_at TEXT
);
CREATE INDEX IF NOT EXISTS questions_asked_at ON questions (asked_at);
"""
_COLUMNS = "id, asked_at, caller, question, covered, chunk_ids, doc_ids, sections, latency_ms, rating, comment"


class QuestionLogError(RagError):
    """The log could not be read or written where that is the request itself (feedback, insights)."""


@dataclass(frozen=True)
class LoggedQuestion:
    """One /ask as logged; `id`, `rating` and `comment` come back when read."""

    question: str
    caller: str
    covered: bool
    chunk_ids: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    latency_ms: float = 0.0
    asked_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: int | None = None
    rating: int | None = None
    comment: str | None = None


def caller_name(access: Access) -> str:
    """The key's name; the open service has no key, so its callers are anonymous."""
    return ANONYMOUS if access is OPEN_ACCESS else access.name


def entry_for(answer: Answer, index: "ChunkIndex", caller: str, latency_ms: float) -> LoggedQuestion:
    """What the log keeps of an answer: the chunks, documents and sections its citations quote."""
    chunk_ids: list[str] = []
    for citation in answer.citations:
        record = index.manifest.documents.get(citation.doc_id)
        for chunk in index.get(record.chunk_ids if record else ()):
            if chunk.start <= citation.start and citation.end <= chunk.end:
                chunk_ids.append(chunk.chunk_id)
                break
    return LoggedQuestion(
        question=answer.question,
        caller=caller,
        covered=answer.covered,
        chunk_ids=tuple(dict.fromkeys(chunk_ids)),
        doc_ids=tuple(dict.fromkeys(c.doc_id for c in answer.citations)),
        sections=tuple(dict.fromkeys(c.section for c in answer.citations)),
        latency_ms=round(latency_ms, 2),
    )


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")  # sorts as text, in one zone


class QuestionLog:
    """`data_dir/questions.sqlite3`; a connection per call, so any thread may use it."""

    def __init__(self, path: Path, retention_days: int) -> None:
        self.path = path
        self.retention = timedelta(days=retention_days)

    @classmethod
    def from_settings(cls, settings: Settings) -> "QuestionLog | None":
        """None when switched off (`RAG_QUESTION_LOG=false`)."""
        if not settings.question_log:
            return None
        return cls(settings.data_dir / LOG_NAME, settings.question_log_days)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=5)) as connection, connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.executescript(_SCHEMA)
            yield connection

    def _cutoff(self) -> str:
        return _timestamp(datetime.now(UTC) - self.retention)

    def record(self, entry: LoggedQuestion) -> int | None:
        """Insert `entry` and purge what is past retention; the row's id, or None if writing failed."""
        row = (
            _timestamp(entry.asked_at),
            entry.caller,
            entry.question,
            int(entry.covered),
            json.dumps(entry.chunk_ids, ensure_ascii=False),
            json.dumps(entry.doc_ids, ensure_ascii=False),
            json.dumps(entry.sections, ensure_ascii=False),
            entry.latency_ms,
        )
        try:
            with self._connect() as connection:
                connection.execute("DELETE FROM questions WHERE asked_at < ?", (self._cutoff(),))
                cursor = connection.execute(
                    "INSERT INTO questions (asked_at, caller, question, covered, chunk_ids, doc_ids, sections,"
                    " latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                return cursor.lastrowid
        except (sqlite3.Error, OSError) as error:
            logger.warning("问题记录写入失败（%s）：%s；回答不受影响。", self.path, error)
            return None

    def rate(self, log_id: int, rating: int, comment: str | None, caller: str | None) -> bool:
        """Keep the feedback on `log_id`; False if no such question within retention belongs to `caller`
        (None: any caller, for an admin)."""
        query = "UPDATE questions SET rating = ?, comment = ?, rated_at = ? WHERE id = ? AND asked_at >= ?"
        params: tuple[object, ...] = (rating, comment, _timestamp(datetime.now(UTC)), log_id, self._cutoff())
        if caller is not None:
            query, params = query + " AND caller = ?", (*params, caller)
        try:
            with self._connect() as connection:
                return connection.execute(query, params).rowcount == 1
        except (sqlite3.Error, OSError) as error:
            raise QuestionLogError(f"问题记录无法写入：{error}") from error

    def entries(self) -> list[LoggedQuestion]:
        """Every question within retention, oldest first."""
        try:
            with self._connect() as connection:
                rows = connection.execute(
                    f"SELECT {_COLUMNS} FROM questions WHERE asked_at >= ? ORDER BY id", (self._cutoff(),)
                ).fetchall()
        except (sqlite3.Error, OSError) as error:
            raise QuestionLogError(f"问题记录无法读取：{error}") from error
        return [
            LoggedQuestion(
                id=row[0],
                asked_at=datetime.fromisoformat(row[1]),
                caller=row[2],
                question=row[3],
                covered=bool(row[4]),
                chunk_ids=tuple(json.loads(row[5])),
                doc_ids=tuple(json.loads(row[6])),
                sections=tuple(json.loads(row[7])),
                latency_ms=row[8],
                rating=row[9],
                comment=row[10],
            )
            for row in rows
        ]
