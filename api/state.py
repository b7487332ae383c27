"""What the server holds between requests: the loaded engine, and the lock that orders queries and commits.

The engine is reloaded when the manifest on disk changes, so a `rag ingest` beside a live server is
picked up by the next request. Queries hold the read side of a readers–writer lock while they run;
an upload or delete holds the write side only around its commit's switch (see `ChunkIndex.commit`),
so no query of this server ever runs half on the old state and half on the new.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rag.config import Settings
from rag.errors import RagError
from rag.ingest import check_signature
from rag.manifest import MANIFEST_NAME
from rag.service import Engine


class ReadWriteLock:
    """Many readers or one writer; a waiting writer stops new readers, so commits are not starved."""

    def __init__(self) -> None:
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
            yield
        finally:
            with self._condition:
                self._writer = False
                self._condition.notify_all()


class EngineHolder:
    """The loaded engine, swapped for a fresh one when the index on disk has changed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lock = ReadWriteLock()
        self._load_lock = threading.Lock()
        self._engine: Engine | None = None
        self._error: RagError | None = None
        self._stamp: tuple[int, int] | None = None

    def _manifest_stamp(self) -> tuple[int, int] | None:
        try:
            stat = (self.settings.data_dir / MANIFEST_NAME).stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns  # an atomic replace always makes a new inode

    def get(self) -> Engine:
        stamp = self._manifest_stamp()
        with self._load_lock:
            if self._engine is None or stamp != self._stamp:
                self._stamp = stamp
                try:
                    engine = Engine(self.settings)
                    check_signature(engine.index.manifest, self.settings)
                    engine.warm_up()
                    self._engine, self._error = engine, None
                except RagError as error:
                    self._engine, self._error = None, error
            if self._error is not None:
                raise self._error
            assert self._engine is not None
            return self._engine

    @contextmanager
    def reading(self) -> Iterator[Engine]:
        with self.lock.reading():
            yield self.get()
