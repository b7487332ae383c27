"""Errors a user can act on; the CLI prints them as one line and the API maps them to a status."""


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


class EmbedderMismatchError(RagError):
    def __init__(self, indexed_with: str, configured: str) -> None:
        super().__init__(
            f"索引是用嵌入模型 {indexed_with} 建立的，当前配置为 {configured}。"
            f"请运行 `rag ingest --rebuild corpus/` 用当前模型重建索引。"
        )


class DocumentError(RagError):
    """A file that cannot be read as a document; the batch goes on without it."""


class LLMError(RagError):
    pass


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
