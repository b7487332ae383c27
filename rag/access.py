"""Who may read what: documents carry access groups, API keys carry the groups they may read.

The readable set is computed once per group set and index generation and handed to the retrievers, which
filter by the groups that grant it (a group field on each vector, a precomputed chunk mask per group for
BM25), so a document outside it never reaches ranking, answers, drafts or counts.
"""

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rag.config import GROUP_PATTERN, ApiKey
from rag.errors import AuthenticationError, RagError
from rag.models import DocumentRecord

_GROUP = re.compile(GROUP_PATTERN)


class InvalidGroupError(RagError, ValueError):
    """A ValueError too, so pydantic reports it as a validation error."""


def validate_groups(groups: Iterable[str]) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(g.strip() for g in groups if g.strip()))
    if not cleaned:
        raise InvalidGroupError("访问组不能为空，例如 public、hr、finance。")
    if bad := [g for g in cleaned if not _GROUP.match(g)]:
        raise InvalidGroupError(f"访问组名称无效：{'、'.join(bad)}（只能含字母、数字、汉字、_ 和 -，最长 40 字）。")
    return cleaned


class Readable(frozenset[str]):
    """The ids of the documents a caller may read, and the groups that grant exactly those.

    A set of ids, so it compares, hashes and caches by what it lets through; `groups` lets the stores
    filter by group instead of sending every id. A bare frozenset (a held-out evaluation) works too.
    """

    groups: frozenset[str]

    def __new__(cls, doc_ids: Iterable[str], groups: frozenset[str]) -> "Readable":
        readable = super().__new__(cls, doc_ids)
        readable.groups = groups
        return readable


def readable_by(groups: frozenset[str], documents: Mapping[str, DocumentRecord]) -> Readable:
    """The documents that any of `groups` may read. The index caches this per group set and generation, so a
    request neither walks every document nor hashes a new set of every readable id."""
    return Readable((doc_id for doc_id, record in documents.items() if not groups.isdisjoint(record.groups)), groups)


@dataclass(frozen=True)
class Access:
    """A caller's rights. `groups` None reads everything: the open service, or an admin key."""

    name: str
    groups: frozenset[str] | None
    admin: bool

    def can_read(self, record: DocumentRecord) -> bool:
        return self.groups is None or not self.groups.isdisjoint(record.groups)


OPEN_ACCESS = Access("open", None, admin=True)


class KeyRing:
    """The configured API keys; with none, every caller is `OPEN_ACCESS` (local use)."""

    def __init__(self, keys: list[ApiKey]) -> None:
        self.keys = keys

    @property
    def open(self) -> bool:
        return not self.keys

    def authenticate(self, presented: str | None) -> Access:
        if self.open:
            return OPEN_ACCESS
        if not presented:
            raise AuthenticationError("需要 API 密钥：请在请求头 Authorization: Bearer <密钥> 或 X-API-Key 中提供。")
        for key in self.keys:
            if secrets.compare_digest(key.key.get_secret_value().encode(), presented.encode()):
                return Access(key.name, None if key.admin else frozenset(key.groups), key.admin)
        raise AuthenticationError("API 密钥无效。")
