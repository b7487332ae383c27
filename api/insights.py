"""The knowledge-gap loop over HTTP: POST /feedback on a logged answer, GET /insights for admins.

A reader may rate only the answers logged under its own key name and never sees the log itself:
insights show every caller's questions, so they are for admin keys alone.
"""

from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from api.schemas import ErrorOut, usable_text
from api.state import EngineHolder
from rag.access import Access
from rag.draft import DEFAULT_OUTLINE
from rag.errors import PermissionDeniedError
from rag.insights import summarize
from rag.models import Answer
from rag.questionlog import QuestionLog, QuestionLogError, caller_name, entry_for
from rag.service import Assistant

MAX_COMMENT_CHARS = 500
LOG_OFF = "问题记录已关闭（RAG_QUESTION_LOG=false），无法记录反馈或生成洞察。"
ADMIN_ONLY = "洞察包含所有人的提问，只对管理员密钥开放。"
ERRORS = {code: {"model": ErrorOut} for code in (401, 403, 404, 409, 422, 503)}


def _rating(value: int) -> int:
    if value not in (1, -1):
        raise ValueError("评分只能是 1（有用）或 -1（没用）")
    return value


class FeedbackRequest(BaseModel):
    log_id: int = Field(description="/ask 回答中的 log_id")
    rating: Annotated[int, Field(strict=True), AfterValidator(_rating)] = Field(description="1 有用，-1 没用")
    comment: Annotated[str, StringConstraints(max_length=MAX_COMMENT_CHARS), AfterValidator(usable_text)] | None = (
        Field(None, description=f"补充说明（可不填，最多 {MAX_COMMENT_CHARS} 字）", examples=["没有提到节假日的安排"])
    )


class FeedbackOut(BaseModel):
    log_id: int
    rating: int
    comment: str | None


class GapOut(BaseModel):
    topic: str = Field(description="起草新标准时用作主题")
    words: list[str]
    questions: list[str]
    count: int


class HotOut(BaseModel):
    question: str
    count: int
    declined: int


class RatedOut(BaseModel):
    id: int
    question: str
    covered: bool
    comment: str | None
    asked_at: str
    doc_ids: list[str]


class SectionHitsOut(BaseModel):
    section: str
    hits: int


class DocumentHitsOut(BaseModel):
    doc_id: str
    title: str
    hits: int
    sections: list[SectionHitsOut]


class InsightsOut(BaseModel):
    asked: int
    declined: int
    rated_up: int
    rated_down: int
    gaps: list[GapOut] = Field(description="未能回答的问题，按主题词归类，提问最多的在前")
    worst_rated: list[RatedOut] = Field(description="被评为“没用”的回答，带评论的在前")
    hot: list[HotOut] = Field(description="最常见的问题（忽略标点、繁简与大小写）")
    documents: list[DocumentHitsOut] = Field(description="被引用的文档及章节，按引用次数")
    never_cited: list[DocumentHitsOut] = Field(description="从未被引用的文档")
    draft_outline: list[str] = Field(description="起草缺口主题时的默认大纲")


def log_answer(questions: QuestionLog | None, rag: Assistant, answer: Answer, took_ms: float) -> int | None:
    """Log one answer; its id for feedback, or None when the log is off or could not be written."""
    if questions is None:
        return None
    return questions.record(entry_for(answer, rag.index, caller_name(rag.access), took_ms))


def insights_router(holder: EngineHolder, caller: Callable[..., Access], questions: QuestionLog | None) -> APIRouter:
    router = APIRouter(tags=["洞察"], responses=ERRORS)

    def log() -> QuestionLog:
        if questions is None:
            raise HTTPException(409, LOG_OFF)
        return questions

    @router.post("/feedback", response_model=FeedbackOut, summary="对一次回答评分（👍/👎）并留言")
    def feedback(body: FeedbackRequest, access: Annotated[Access, Depends(caller)]) -> FeedbackOut:
        comment = body.comment.strip() if body.comment and body.comment.strip() else None
        owner = None if access.admin else caller_name(access)  # an admin may rate any answer
        try:
            found = log().rate(body.log_id, body.rating, comment, owner)
        except QuestionLogError as error:
            raise HTTPException(503, str(error)) from error
        if not found:
            raise HTTPException(404, f"找不到编号为 {body.log_id} 的回答记录（可能已过保留期）。")
        return FeedbackOut(log_id=body.log_id, rating=body.rating, comment=comment)

    @router.get("/insights", response_model=InsightsOut, summary="知识缺口：未答问题、差评、热门问题、文档引用")
    def insights(access: Annotated[Access, Depends(caller)]) -> InsightsOut:
        if not access.admin:
            raise PermissionDeniedError(ADMIN_ONLY)
        try:
            entries = log().entries()
        except QuestionLogError as error:
            raise HTTPException(503, str(error)) from error
        with holder.reading() as engine:
            summary = summarize(entries, engine.index.manifest.documents, engine.tokenizer)
        payload = asdict(summary)
        for group in (payload["documents"], payload["never_cited"]):
            for document in group:
                document["sections"] = [{"section": s, "hits": n} for s, n in document["sections"]]
        return InsightsOut(
            **payload | {"gaps": [asdict(g) | {"topic": g.topic} for g in summary.gaps]},
            draft_outline=[s.value for s in DEFAULT_OUTLINE],
        )

    return router
