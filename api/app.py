"""FastAPI app: POST /ask (JSON or SSE), /search, /draft, /handbook, the /documents routes, GET /topics,
POST /quiz and /quiz/check, GET /health.

The engine is loaded once at start-up and warmed, and reloaded when the manifest changes (see
`api.state`). A broken index does not stop the server: /health reports it and the other endpoints
answer 503 with the rebuild hint. Every endpoint that reads documents sees only those the caller's
API key may read (see `rag.access`).
"""

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from sse_starlette.sse import EventSourceResponse

from api.auth import auth_dependencies, presented_key
from api.documents import documents_router
from api.guard import RequestGuard
from api.insights import insights_router, log_answer
from api.quiz import quiz_router
from api.schemas import (
    AskRequest,
    AskResponse,
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
from api.state import EngineHolder
from api.topics import topics_router
from rag.access import Access, InvalidGroupError, KeyRing
from rag.config import AnswerMode, Settings
from rag.draft import CitationRegistry, Draft, Drafter, Handbook, InvalidDraftError, TopicNotCoveredError, parse_outline
from rag.errors import (
    AuthenticationError,
    DiskFullReadError,
    DocumentConflictError,
    DocumentNotFoundError,
    EmbedderMismatchError,
    EmptyIndexError,
    IndexCorruptError,
    IndexUnwritableError,
    InvalidQuestionError,
    LLMError,
    LLMNotConfiguredError,
    PermissionDeniedError,
    RagError,
    StorageFullError,
    UploadRejectedError,
)
from rag.ingest import index_signature
from rag.llm import ClauseRewriter
from rag.questionlog import QuestionLog
from rag.quiz import StaleItemError
from rag.service import Assistant
from rag.topics import UnknownSectionError

_STATUS = {
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    DocumentNotFoundError: 404,
    InvalidQuestionError: 422,
    InvalidDraftError: 422,
    InvalidGroupError: 422,
    TopicNotCoveredError: 422,
    StaleItemError: 409,
    UnknownSectionError: 422,
    EmptyIndexError: 503,
    IndexCorruptError: 503,
    EmbedderMismatchError: 503,
    IndexUnwritableError: 503,
    DiskFullReadError: 503,
    DocumentConflictError: 409,
    StorageFullError: 507,
    LLMError: 502,
    LLMNotConfiguredError: 409,
}
ERROR_RESPONSES = {code: {"model": ErrorOut} for code in (401, 403, 409, 413, 422, 502, 503)}
_MULTIPART_OVERHEAD = 1024 * 1024
_MAX_FILE_NAME_CHARS = 60  # of a downloaded draft's name: the header stays small whatever the title
# Pydantic's messages for what a user can get wrong in a text field, in the language of the service.
_VALIDATION_MESSAGES = {
    "string_too_long": "过长：最多 {max_length} 个字符",
    "string_unicode": "含有无法处理的字符（孤立的代理项），请删除后重试",
}
STATIC_DIR = Path(__file__).parent / "static"  # the web page: plain HTML, CSS and JS, no build step
logger = logging.getLogger("rag.api")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    holder = EngineHolder(settings)
    keyring = KeyRing(settings.api_keys)
    questions = QuestionLog.from_settings(settings)
    caller, admin = auth_dependencies(keyring)

    def assistant(access: Access = Depends(caller)) -> Iterator[Assistant]:  # noqa: B008
        with holder.reading() as engine:
            yield Assistant(engine=engine, access=access)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if keyring.open:
            logger.warning("未配置 API 密钥（RAG_API_KEYS）：服务对所有人开放读写，仅适合本机使用。")
        else:
            logger.info("已配置 %d 个 API 密钥，按访问组过滤文档。", len(keyring.keys))
        try:
            await asyncio.to_thread(holder.start)
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
        status = error.status if isinstance(error, UploadRejectedError) else _STATUS.get(type(error), 400)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse({"detail": str(error)}, status_code=status, headers=headers)

    app.add_middleware(
        RequestGuard,
        keyring=keyring,
        json_limit=settings.max_json_bytes,
        upload_limit=settings.max_upload_bytes * settings.max_upload_files + _MULTIPART_OVERHEAD,
    )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = "；".join(f"{'.'.join(map(str, e['loc'][1:])) or '请求体'}: {_message(e)}" for e in error.errors())
        return JSONResponse({"detail": f"请求格式不正确：{problems}"}, status_code=422)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.post("/ask", response_model=AskResponse, responses=ERROR_RESPONSES, summary="提问，返回带引用的回答")
    def ask(body: AskRequest, rag: Assistant = Depends(assistant)):  # noqa: B008
        if (body.mode or settings.answer_mode) is AnswerMode.LLM and not settings.llm_configured:
            raise LLMNotConfiguredError()  # before retrieval: a declined question would hide it
        started = time.perf_counter()
        answer = rag.ask(body.question, mode=body.mode, top_k=body.top_k, history=body.history, section=body.section)
        response = AskResponse.from_answer(answer, (time.perf_counter() - started) * 1000, body.question.strip())
        response.log_id = log_answer(questions, rag, answer, response.took_ms)
        response.section = body.section
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

    @app.get("/health", response_model=HealthOut, summary="服务状态")
    def health(key: str | None = Depends(presented_key)) -> HealthOut:
        try:
            access = keyring.authenticate(key)
        except AuthenticationError:
            access = None  # keys are configured and none was given: the status only, no paths or counts
        base: dict[str, Any] = {"auth": "open" if keyring.open else "api-key"}
        if access is not None:
            base |= {
                "vector_store": settings.chroma_url or f"embedded:{settings.data_dir / 'chroma'}",
                "llm_configured": settings.llm_configured,
            }
        try:
            engine = holder.get()
        except RagError as error:
            return HealthOut(status="error", detail=str(error) if access is not None else None, **base)
        manifest = engine.index.manifest
        status = "ok" if manifest.documents else "empty"
        if access is None:
            return HealthOut(status=status, **base)
        readable = Assistant(engine=engine, access=access).documents()
        return HealthOut(
            status=status,
            embedder=manifest.embedder or index_signature(settings),
            documents=len(readable),
            chunks=sum(len(r.chunk_ids) for r in readable),
            can_manage=access.admin,
            **base,
        )

    app.include_router(documents_router(holder, caller, admin, assistant))
    app.include_router(insights_router(holder, caller, questions))
    app.include_router(topics_router(assistant))
    app.include_router(quiz_router(assistant))
    return app


def _message(error: dict[str, Any]) -> str:
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])  # our validators' own (Chinese) message
    template = _VALIDATION_MESSAGES.get(error["type"])
    return template.format(**error.get("ctx", {})) if template else error["msg"]


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

    name = quote((document.topic if isinstance(document, Draft) else document.title)[:_MAX_FILE_NAME_CHARS])
    if format is DraftFormat.MARKDOWN:
        return PlainTextResponse(
            to_markdown(document),
            media_type="text/markdown; charset=utf-8",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}.md"},
        )
    if format is DraftFormat.DOCX:
        return Response(
            to_docx(document),
            media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}.docx"},
        )
    return DraftOut.from_draft(document) if isinstance(document, Draft) else HandbookOut.from_handbook(document)


def _draft_events(drafter: Drafter, topic: str, outline: tuple) -> Iterator[dict[str, str]]:
    """A `section` event as each part is ready (progress), then the whole draft; errors as an `error` event."""
    parts = []
    registry = CitationRegistry()
    notes: list[str] = []
    warnings: list[str] = []
    try:
        for part in drafter.sections(topic, outline, registry, notes, warnings):
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
        "data": DraftOut.from_draft(Draft(topic.strip(), parts, registry.citations, notes, warnings)).model_dump_json(),
    }
