"""FastAPI app: POST /ask (JSON or SSE), POST /search, POST /draft, POST /handbook, GET /documents, GET /health.

The assistant is loaded once at start-up and warmed, and reloaded when the manifest changes, so a
`rag ingest` run beside a live server is picked up by the next request. A broken index does not
stop the server: /health reports it and the other endpoints answer 503 with the rebuild hint.
"""

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from sse_starlette.sse import EventSourceResponse

from api.schemas import (
    AskRequest,
    AskResponse,
    DocumentOut,
    DraftFormat,
    DraftOut,
    DraftPartOut,
    DraftRequest,
    ErrorOut,
    HandbookOut,
    HandbookRequest,
    HealthOut,
    SearchHit,
    SearchRequest,
    SearchResponse,
)
from rag.config import AnswerMode, Settings
from rag.draft import CitationRegistry, Draft, Drafter, Handbook, InvalidDraftError, TopicNotCoveredError, parse_outline
from rag.errors import (
    EmbedderMismatchError,
    EmptyIndexError,
    IndexCorruptError,
    InvalidQuestionError,
    LLMError,
    RagError,
)
from rag.ingest import index_signature
from rag.llm import ClauseRewriter
from rag.manifest import MANIFEST_NAME
from rag.service import Assistant

_STATUS = {
    InvalidQuestionError: 422,
    InvalidDraftError: 422,
    TopicNotCoveredError: 422,
    EmptyIndexError: 503,
    IndexCorruptError: 503,
    EmbedderMismatchError: 503,
    LLMError: 502,
}
ERROR_RESPONSES = {code: {"model": ErrorOut} for code in (422, 502, 503)}


class AssistantHolder:
    """The loaded assistant, swapped for a fresh one when the index on disk has changed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._assistant: Assistant | None = None
        self._error: RagError | None = None
        self._stamp: float | None = None

    def _manifest_stamp(self) -> float | None:
        path = self.settings.data_dir / MANIFEST_NAME
        return path.stat().st_mtime if path.exists() else None

    def get(self) -> Assistant:
        stamp = self._manifest_stamp()
        with self._lock:
            if self._assistant is None or stamp != self._stamp:
                self._stamp = stamp
                try:
                    assistant = Assistant(self.settings)
                    if assistant.index.manifest.documents:
                        self._check_signature(assistant)
                    assistant.warm_up()
                    self._assistant, self._error = assistant, None
                except RagError as error:
                    self._assistant, self._error = None, error
            if self._error is not None:
                raise self._error
            assert self._assistant is not None
            return self._assistant

    def _check_signature(self, assistant: Assistant) -> None:
        indexed, configured = assistant.index.manifest.embedder, index_signature(self.settings)
        if indexed != configured:
            raise EmbedderMismatchError(indexed, configured)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    holder = AssistantHolder(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            await asyncio.to_thread(holder.get)
        except RagError:
            pass  # reported by /health and by each endpoint
        yield

    app = FastAPI(
        title="中文运营文档问答 API",
        description="离线检索增强问答：每句回答都引用原文（文档、章节、逐字引文与位置）。",
        version="0.1.0",
        lifespan=lifespan,
    )

    @app.exception_handler(RagError)
    async def rag_error(_: Request, error: RagError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=_STATUS.get(type(error), 400))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = "；".join(f"{'.'.join(map(str, e['loc'][1:])) or '请求体'}: {e['msg']}" for e in error.errors())
        return JSONResponse({"detail": f"请求格式不正确：{problems}"}, status_code=422)

    def assistant() -> Assistant:
        return holder.get()

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    @app.post("/ask", response_model=AskResponse, responses=ERROR_RESPONSES, summary="提问，返回带引用的回答")
    def ask(body: AskRequest, rag: Assistant = Depends(assistant)):  # noqa: B008
        started = time.perf_counter()
        answer = rag.ask(body.question, mode=body.mode, top_k=body.top_k)
        response = AskResponse.from_answer(answer, (time.perf_counter() - started) * 1000)
        if not body.stream:
            return response
        return EventSourceResponse(_events(response))

    @app.post("/search", response_model=SearchResponse, responses=ERROR_RESPONSES, summary="检索相关段落")
    def search(body: SearchRequest, rag: Assistant = Depends(assistant)) -> SearchResponse:  # noqa: B008
        started = time.perf_counter()
        hits = rag.search(body.query, body.top_k)
        took = (time.perf_counter() - started) * 1000
        return SearchResponse(query=body.query, hits=[SearchHit.from_retrieved(h) for h in hits], took_ms=took)

    @app.post("/draft", response_model=DraftOut, responses=ERROR_RESPONSES, summary="起草标准，条款逐条引用原文")
    def draft(body: DraftRequest, rag: Assistant = Depends(assistant)):  # noqa: B008
        rewriter = ClauseRewriter.from_settings(rag.settings) if body.mode is AnswerMode.LLM else None
        drafter = Drafter(rag, rewriter)
        outline = parse_outline(body.outline)
        if body.stream and body.format is DraftFormat.JSON:
            drafter.check_topic(body.topic)  # a bad topic is a 422, not an event inside a 200 stream
            return EventSourceResponse(_draft_events(drafter, body.topic, outline))
        return _draft_file(drafter.run(body.topic, outline), body.format)

    @app.post("/handbook", response_model=HandbookOut, responses=ERROR_RESPONSES, summary="起草多章手册")
    def handbook(body: HandbookRequest, rag: Assistant = Depends(assistant)):  # noqa: B008
        return _draft_file(Drafter(rag).handbook(body.title, body.topics), body.format)

    @app.get("/documents", response_model=list[DocumentOut], responses=ERROR_RESPONSES, summary="已索引的文档")
    def documents(rag: Assistant = Depends(assistant)) -> list[DocumentOut]:  # noqa: B008
        return [DocumentOut.from_record(r) for r in rag.documents()]

    @app.get("/health", response_model=HealthOut, summary="服务状态")
    def health() -> HealthOut:
        vector_store = settings.chroma_url or f"embedded:{settings.data_dir / 'chroma'}"
        base = {"vector_store": vector_store, "llm_configured": settings.llm_configured}
        try:
            rag = holder.get()
        except RagError as error:
            return HealthOut(status="error", detail=str(error), **base)
        manifest = rag.index.manifest
        return HealthOut(
            status="ok" if manifest.documents else "empty",
            documents=len(manifest.documents),
            chunks=manifest.chunk_count,
            embedder=manifest.embedder or index_signature(settings),
            **base,
        )

    return app


async def _events(response: AskResponse) -> AsyncIterator[dict[str, str]]:
    """One event per cited sentence, then notes, then the whole response."""
    for sentence in response.sentences:
        cited = [c.model_dump() for c in response.citations if c.id in sentence.citations]
        yield {
            "event": "sentence",
            "data": json.dumps({"text": sentence.text, "citations": cited}, ensure_ascii=False),
        }
    for note in response.notes:
        yield {"event": "note", "data": json.dumps({"text": note}, ensure_ascii=False)}
    yield {"event": "done", "data": response.model_dump_json()}


def _draft_file(document: Draft | Handbook, format: DraftFormat) -> DraftOut | HandbookOut | Response:
    from urllib.parse import quote

    from rag.export import to_docx, to_markdown

    name = document.topic if isinstance(document, Draft) else document.title
    if format is DraftFormat.MARKDOWN:
        disposition = f"attachment; filename*=UTF-8''{quote(name)}.md"
        return PlainTextResponse(
            to_markdown(document),
            media_type="text/markdown; charset=utf-8",
            headers={"Content-Disposition": disposition},
        )
    if format is DraftFormat.DOCX:
        return Response(
            to_docx(document),
            media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}.docx"},
        )
    return DraftOut.from_draft(document) if isinstance(document, Draft) else HandbookOut.from_handbook(document)


def _draft_events(drafter: Drafter, topic: str, outline: tuple) -> Iterator[dict[str, str]]:
    """A `section` event as each part is ready (progress), then the whole draft; errors as an `error` event."""
    parts = []
    registry = CitationRegistry()
    notes: list[str] = []
    try:
        for part in drafter.sections(topic, outline, registry, notes):
            parts.append(part)
            payload = DraftPartOut.from_part(part, len(parts)).model_dump() | {
                "done": len(parts),
                "total": len(outline),
            }
            yield {"event": "section", "data": json.dumps(payload, ensure_ascii=False)}
    except RagError as error:
        yield {"event": "error", "data": json.dumps({"detail": str(error)}, ensure_ascii=False)}
        return
    yield {
        "event": "done",
        "data": DraftOut.from_draft(Draft(topic.strip(), parts, registry.citations, notes)).model_dump_json(),
    }
