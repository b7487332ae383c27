"""测验 over HTTP: POST /quiz makes items on a topic, POST /quiz/check checks one answer (see `rag.quiz`).

Items come only from documents the caller's key may read, and so does the checking: an item whose
document the caller may not read is as unknown (404) as one that does not exist. The answer key never
leaves the server before an answer is given.
"""

from collections.abc import Callable

from fastapi import APIRouter, Depends

from api.schemas import ErrorOut, QuizCheckOut, QuizCheckRequest, QuizOut, QuizRequest
from rag.quiz import AnswerChecker, QuizMaker
from rag.service import Assistant

ERRORS = {code: {"model": ErrorOut} for code in (401, 403, 404, 409, 422, 503)}


def quiz_router(assistant: Callable[..., Assistant]) -> APIRouter:
    router = APIRouter(prefix="/quiz", tags=["测验"], responses=ERRORS)

    @router.post("", response_model=QuizOut, summary="按主题出测验题（填空与选择），题目取自原文条款")
    def make(body: QuizRequest, rag: Assistant = Depends(assistant)) -> QuizOut:  # noqa: B008
        return QuizOut.from_set(QuizMaker(rag).run(body.topic, body.count, body.seed))

    @router.post("/check", response_model=QuizCheckOut, summary="核对一道题的答案，附所依据的原文")
    def check(body: QuizCheckRequest, rag: Assistant = Depends(assistant)) -> QuizCheckOut:  # noqa: B008
        return QuizCheckOut.from_result(AnswerChecker(rag).run(body.ref, body.answer))

    return router
