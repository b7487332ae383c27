"""学习目录 over HTTP: GET /topics, the map of the documents the caller may read (see `rag.topics`)."""

from collections.abc import Callable

from fastapi import APIRouter, Depends

from api.schemas import DocumentTopicsOut, ErrorOut
from rag.service import Assistant

ERRORS = {code: {"model": ErrorOut} for code in (401, 503)}


def topics_router(assistant: Callable[..., Assistant]) -> APIRouter:
    router = APIRouter(tags=["学习"], responses=ERRORS)

    @router.get(
        "/topics", response_model=list[DocumentTopicsOut], summary="学习目录：各文档的主题、章节、摘要与建议问题"
    )
    def topics(rag: Assistant = Depends(assistant)) -> list[DocumentTopicsOut]:  # noqa: B008
        return [DocumentTopicsOut.from_topics(d) for d in rag.topics()]

    return router
