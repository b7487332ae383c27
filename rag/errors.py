"""Errors a user can act on; the CLI prints them as one line and the API maps them to a status."""

import os
from pathlib import Path

NEARLY_FULL_BYTES = 4 << 20  # less room than one more batch of vectors and rows needs


class RagError(Exception):
    """Base: the message is shown to the user as is, so it says what to do."""


class EmptyIndexError(RagError):
    def __init__(self) -> None:
        super().__init__("索引为空：还没有导入任何文档。请先运行 `rag ingest corpus/`（或上传文档）后再提问。")


class IndexCorruptError(RagError):
    def __init__(self, data_dir: object, detail: str) -> None:
        super().__init__(
            f"索引目录 {data_dir} 已损坏或不完整（{detail}）。请运行 `rag ingest --rebuild corpus/` 重建索引。"
        )


class StorageFullError(RagError):
    """The disk, or Chroma's database on it, is full: the write is undone and the committed index is as it was."""

    def __init__(self, where: object, detail: str) -> None:
        super().__init__(
            f"磁盘空间不足，无法写入索引（{where}：{detail}）。本次导入未生效，已有文档不受影响；请清理磁盘后重试。"
        )


class DiskFullReadError(RagError):
    """The disk is full, and SQLite cannot open the index for reading (its WAL needs room): nothing is damaged."""

    def __init__(self, where: object, detail: str) -> None:
        super().__init__(f"磁盘空间不足，暂时无法读取索引（{where}：{detail}）。索引本身未损坏；请清理磁盘后重试。")


def disk_nearly_full(where: str | Path) -> bool:
    """A local store whose disk has less room than one more write needs."""
    if not isinstance(where, Path):  # a Chroma server: its disk is not ours to look at
        return False
    try:
        stats = os.statvfs(where)
    except OSError:  # gone: the read-only case below says so
        return False
    return stats.f_bavail * stats.f_frsize < NEARLY_FULL_BYTES


class IndexUnwritableError(RagError):
    """The index directory went away or became read-only under a running process."""

    def __init__(self, where: object, detail: str) -> None:
        super().__init__(
            f"索引目录 {where} 无法写入（{detail}）：它可能在服务运行中被删除、移动或设为只读。本次导入未生效。"
            "若目录已被删除，重试会在原处新建索引（原有文档需重新导入：`rag ingest corpus/`）；否则请检查目录后重试。"
        )


class EmbedderMismatchError(RagError):
    def __init__(self, indexed_with: str, configured: str) -> None:
        super().__init__(
            f"索引是用嵌入模型 {indexed_with} 建立的，当前配置为 {configured}。"
            f"请运行 `rag ingest --rebuild corpus/` 用当前模型重建索引。"
        )


class DocumentError(RagError):
    """A file that cannot be read as a document; the batch goes on without it."""


class DocumentConflictError(RagError):
    """Files whose document id is that of a document read from another file name: replacing it must be asked for."""

    def __init__(self, conflicts: list[tuple[str, str, str]]) -> None:  # (file, doc id, the indexed one's file)
        details = "；".join(f"{name} 的文档 ID“{doc_id}”已属于 {other}" for name, doc_id, other in conflicts)
        super().__init__(
            f"文档 ID 冲突：{details}。本次未导入任何文件。请改名后重试；如确要替换该文档，"
            "上传时加 replace=true（rag ingest 加 --replace）。"
        )


class LLMError(RagError):
    pass


class LLMNotConfiguredError(LLMError):
    """`mode: llm` asked of a service without an LLM endpoint: the caller's choice, not an upstream failure."""

    def __init__(self) -> None:
        super().__init__("未配置大模型：请设置 RAG_LLM_BASE_URL 和 RAG_LLM_MODEL，或使用 extractive 模式。")


class InvalidQuestionError(RagError):
    pass


class DocumentNotFoundError(RagError):
    def __init__(self, doc_ids: list[str]) -> None:
        super().__init__(f"没有这些文档：{'、'.join(doc_ids)}。用 `rag list` 或 GET /documents 查看已索引的文档 ID。")


class AuthenticationError(RagError):
    """No API key, or one the service does not know."""


class PermissionDeniedError(RagError):
    """A known key asking for something its groups or role do not allow."""


class UploadRejectedError(RagError):
    """An upload over the size or count limits; nothing of it is indexed."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status
