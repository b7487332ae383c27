"""What the server holds between requests: the loaded engine, and the lock that orders queries and commits.

The engine catches up when the manifest on disk changes, so a `rag ingest` beside a live server is
picked up by the next request: it reads only the chunk rows that changed (see `ChunkIndex.refresh`),
and reopens Chroma only when another process wrote to it (an upload to this server is already in its
Chroma client), so a write costs the server what it changed, not a new engine. A reload that fails
drops the engine and is tried again, from scratch, by a later request, so a server never stays broken
after its index is mended.
Queries hold the read side of a readers–writer lock while they run; an upload or delete holds the
write side only around its commit's switch (see `ChunkIndex.commit`), so no query of this server
ever runs half on the old state and half on the new.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rag.config import Settings
from rag.errors import DiskFullReadError, IndexCorruptError, RagError, disk_nearly_full
from rag.index import ChunkIndex
from rag.ingest import check_signature
from rag.manifest import MANIFEST_NAME
from rag.service import Engine
from rag.tokenize import shared_tokenizer
from rag.vectors import refresh_vector_store

Stamp = tuple[int, int] | None  # of the manifest file: inode and mtime
RETRY_SECONDS = 1.0  # after a failed load, how long requests get its error before one tries again
logger = logging.getLogger("rag.api")


class ReadWriteLock:
    """Many readers or one writer; a waiting writer stops new readers, so commits are not starved."""

    def __init__(self, on_write: Callable[[bool], None] = lambda entering: None) -> None:
        self._on_write = on_write  # told when a writer enters (True) and leaves (False)
        self._condition = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._condition:
            self._condition.wait_for(lambda: not self._writer and not self._writers_waiting)
            self._readers += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers -= 1
                self._condition.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._condition:
            self._writers_waiting += 1
            self._condition.wait_for(lambda: not self._writer and not self._readers)
            self._writers_waiting -= 1
            self._writer = True
        try:
            self._on_write(True)
            yield
        finally:
            with self._condition:
                self._on_write(False)
                self._writer = False
                self._condition.notify_all()


class EngineHolder:
    """The loaded engine, swapped for a fresh one when the index on disk has changed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lock = ReadWriteLock(self._own_write)
        self._load_lock = threading.Lock()
        self._before_write: Stamp = None
        self._own: dict[Stamp, Stamp] = {}  # the manifest this server last committed → the one it replaced
        self._engine: Engine | None = None
        self._stamp: Stamp = None  # of the manifest the engine was loaded from
        self._error: RagError | None = None  # of the last load, if it failed
        self._failed: tuple[Stamp, float] | None = None  # its manifest stamp and time

    def _manifest_stamp(self) -> Stamp:
        try:
            stat = (self.settings.data_dir / MANIFEST_NAME).stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns  # an atomic replace always makes a new inode

    def _own_write(self, entering: bool) -> None:
        """Around this server's own commits (the write side of `lock`): which manifest it wrote itself."""
        if entering:
            self._before_write = self._manifest_stamp()
        else:
            self._own = {self._manifest_stamp(): self._before_write}

    def start(self) -> Engine:
        """Before serving: undo what a killed writer left (its stray vectors crowd dense results), then load."""
        try:
            ChunkIndex(self.settings, shared_tokenizer(self.settings.user_dict)).recover()
        except Exception:  # a store too broken to clean: loading it reports that (503 with the rebuild hint)
            logger.warning("启动时未能清理中断的写入", exc_info=True)
        return self.get()

    def get(self) -> Engine:
        stamp = self._manifest_stamp()
        with self._load_lock:
            if self._due(stamp):
                self._load(stamp)
            if self._error is not None:
                raise self._error
            assert self._engine is not None
            return self._engine

    def _due(self, stamp: Stamp) -> bool:
        if self._failed is not None:  # a new manifest, or the same one a while later (it may be mended)
            failed_stamp, failed_at = self._failed
            return stamp != failed_stamp or time.monotonic() - failed_at >= RETRY_SECONDS
        return self._engine is None or stamp != self._stamp

    def _load(self, stamp: Stamp) -> None:
        """The stamp is recorded only once its engine is loaded, so a failed load is tried again."""
        try:
            if self._engine is not None:  # queries running on it keep it as it is
                engine = self._engine.refreshed(vectors_changed=self._own.get(stamp, ()) != self._stamp)
            else:
                refresh_vector_store(self.settings)
                engine = Engine(self.settings)
            check_signature(engine.index.manifest, self.settings)
            engine.warm_up()
        except Exception as error:  # chromadb raises many types, e.g. for a store another process is writing
            if not isinstance(error, RagError):
                where = self.settings.chroma_url or self.settings.data_dir
                unreadable = DiskFullReadError if disk_nearly_full(where) else IndexCorruptError
                error = unreadable(where, f"{type(error).__name__}: {error}")
            self._engine, self._error, self._failed = None, error, (stamp, time.monotonic())
            return
        self._engine, self._stamp, self._error, self._failed = engine, stamp, None, None

    @contextmanager
    def reading(self) -> Iterator[Engine]:
        with self.lock.reading():
            yield self.get()
