"""Document management over HTTP: list, show, read, upload (add or replace) and delete.

Reading needs a key whose groups include the document's; uploading and deleting need an admin key.
A document the caller may not read answers 404, exactly like one that does not exist. An upload
whose document id is held by a document from another file name answers 409 unless `replace` is set.
"""

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile

from api.schemas import DocumentOut, DocumentTextOut, ErrorOut, FailedFile, IngestOut, RemoveOut, Text
from api.state import EngineHolder
from rag.access import Access, validate_groups
from rag.errors import DocumentConflictError, DocumentError, UploadRejectedError
from rag.ingest import IngestOptions, Ingestor, file_name
from rag.load import load_bytes, safe_file_name
from rag.manifest import load_manifest
from rag.service import Assistant

_MB = 1024 * 1024
ERRORS = {code: {"model": ErrorOut} for code in (401, 403, 404, 409, 413, 422, 503, 507)}


def documents_router(
    holder: EngineHolder,
    caller: Callable[..., Access],
    admin: Callable[..., Access],
    assistant: Callable[..., Assistant],
) -> APIRouter:
    settings = holder.settings
    router = APIRouter(prefix="/documents", tags=["文档"], responses=ERRORS)

    @router.get("", response_model=list[DocumentOut], summary="已索引且可查阅的文档")
    def list_documents(rag: Assistant = Depends(assistant)) -> list[DocumentOut]:  # noqa: B008
        return [DocumentOut.from_record(r) for r in rag.documents()]

    @router.get("/{doc_id}", response_model=DocumentOut, summary="一个文档的元数据")
    def show(doc_id: str, rag: Assistant = Depends(assistant)) -> DocumentOut:  # noqa: B008
        return DocumentOut.from_record(rag.document(doc_id))

    @router.get("/{doc_id}/text", response_model=DocumentTextOut, summary="文档全文（引用位置所指的文本）")
    def text(doc_id: str, rag: Assistant = Depends(assistant)) -> DocumentTextOut:  # noqa: B008
        return DocumentTextOut.of(rag.document(doc_id), rag.text(doc_id))

    @router.post("", response_model=IngestOut, summary="上传文档（同名文件替换旧版本）")
    def upload(
        files: Annotated[list[UploadFile], File(description="txt、md、html、pdf、docx、xlsx 或 pptx，可多个")],
        _: Annotated[Access, Depends(admin)],
        groups: Annotated[Text | None, Form(description="访问组，逗号分隔，如 public,hr；不填则沿用或默认")] = None,
        version: Annotated[Text | None, Form(description="版本，如 V2.1")] = None,
        effective_date: Annotated[date | None, Form(description="生效日期，如 2025-01-01")] = None,
        replace: Annotated[
            bool, Form(description="为 true 时，文件可替换文档 ID 相同但来自另一文件名的文档（否则 409）")
        ] = False,
    ) -> IngestOut:
        if len(files) > settings.max_upload_files:
            raise UploadRejectedError(f"一次最多上传 {settings.max_upload_files} 个文件，收到 {len(files)} 个。", 422)
        for file in files:
            if (file.size or 0) > settings.max_upload_bytes:
                raise UploadRejectedError(
                    f"{safe_file_name(file.filename or '')}: 文件过大（{file.size / _MB:.1f} MB），"
                    f"单个文件上限 {settings.max_upload_bytes / _MB:.1f} MB。",
                    413,
                )
        options = IngestOptions(
            groups=validate_groups(groups.split(",")) if groups and groups.strip() else None,
            version=version.strip() if version and version.strip() else None,
            effective_date=effective_date.isoformat() if effective_date else None,
            replace=replace,
        )
        documents, failed, foldered = [], [], []
        for file in files:
            name = safe_file_name(file.filename or "")
            try:
                documents.append(load_bytes(file.file.read(), name, source=f"upload:{name}", ocr=settings.ocr))
            except DocumentError as error:
                failed.append((name, str(error)))
            else:
                if "/" in (file.filename or "").replace("\\", "/"):
                    foldered.append((file.filename or "", documents[-1].doc_id))
        if not documents:
            reasons = "；".join(reason for _, reason in failed)
            raise UploadRejectedError(f"没有可导入的文件：{reasons}", 422)
        # A name given with folders is cut to its last part, so nothing shows it is the indexed file of that name.
        if foldered and not replace:
            indexed = load_manifest(settings.data_dir).documents
            if taken := [(n, d, file_name(indexed[d].source)) for n, d in foldered if d in indexed]:
                raise DocumentConflictError(taken)
        report = Ingestor(settings, guard=holder.lock.writing).ingest(documents, failed, options=options)
        records = load_manifest(settings.data_dir).documents
        touched = [*report.added, *report.updated, *report.unchanged]
        return IngestOut(
            added=report.added,
            updated=report.updated,
            unchanged=report.unchanged,
            failed=[FailedFile(file=f, reason=r) for f, r in report.failed],
            chunks_embedded=report.chunks_embedded,
            chunks_reused=report.chunks_reused,
            lines_embedded=report.lines_embedded,
            documents=[DocumentOut.from_record(records[d]) for d in touched if d in records],
            took_ms=round(report.seconds * 1000, 2),
        )

    @router.delete("/{doc_id}", response_model=RemoveOut, summary="删除文档")
    def delete(doc_id: str, _: Access = Depends(admin)) -> RemoveOut:  # noqa: B008
        report = Ingestor(settings, guard=holder.lock.writing).remove([doc_id])
        return RemoveOut(removed=report.removed)

    return router
