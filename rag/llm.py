"""Opt-in generated answers through any OpenAI-compatible endpoint (DeepSeek, Qwen, Ollama, vLLM).

The model sees only numbered sources and must cite them. Its answer is then checked sentence by
sentence: a sentence whose citations do not support it (see `rag.verify`) is dropped and the
answer says so, so a fluent answer never carries an unsupported statement.
"""

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.answer import refusal
from rag.config import Settings
from rag.errors import LLMError, LLMNotConfiguredError
from rag.models import Answer, AnswerSentence, Chunk, Citation, RetrievedChunk
from rag.normalize import strip_annotations
from rag.query import QueryAnalysis
from rag.sentences import split_sentences
from rag.verify import is_supported, support_score

if TYPE_CHECKING:  # llama-index is imported by the first LLM call, not by every server start
    from llama_index.core.llms import LLM

SYSTEM_PROMPT = (
    "你是企业运营文档问答助手。只能依据用户给出的编号资料回答，不得使用资料以外的知识。"
    "每一句话末尾都必须用 [编号] 标注其依据的资料，例如：客服应在2小时内响应[1]。"
    "如果资料不足以回答，只回答：现有文档未涉及。"
    "不同资料的规定不一致时，分别列出并各自标注。用简体中文回答，简洁、准确。"
)
NOT_COVERED = "现有文档未涉及"
_MARK = re.compile(r"\[(\d+)\]")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")


@dataclass(frozen=True)
class _Evidence:
    chunk: Chunk
    start: int  # offsets into the document
    end: int
    quote: str


def make_llm(settings: Settings) -> "LLM":
    """The configured OpenAI-compatible endpoint, through llama-index."""
    if not settings.llm_configured:
        raise LLMNotConfiguredError()
    from llama_index.llms.openai_like import OpenAILike

    api_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
    return OpenAILike(
        model=settings.llm_model,
        api_base=settings.llm_base_url,
        api_key=api_key,
        is_chat_model=True,
        temperature=0.0,
        timeout=settings.llm_timeout_s,
        max_retries=1,
    )


def chat(llm: "LLM", system: str, user: str) -> str:
    from llama_index.core.llms import ChatMessage

    try:
        return (
            llm.chat(
                [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]
            ).message.content
            or ""
        )
    except Exception as error:  # network, auth and server errors all mean the same to the user
        raise LLMError(f"大模型接口调用失败：{type(error).__name__}: {error}") from error


def format_sources(retrieved: list[RetrievedChunk]) -> str:
    return "\n\n".join(
        f"[{n}]《{hit.chunk.title}》{hit.chunk.section_path}\n{strip_annotations(hit.chunk.text)}"
        for n, hit in enumerate(retrieved, 1)
    )


def _best_evidence(sentence: str, chunk: Chunk) -> _Evidence:
    """The sentence of the cited chunk that best supports the claim: the span the citation quotes."""
    spans = split_sentences(chunk.text) or [(0, len(chunk.text))]
    start, end = max(spans, key=lambda span: support_score(sentence, chunk.text[span[0] : span[1]]))
    return _Evidence(chunk, chunk.start + start, chunk.start + end, chunk.text[start:end])


class LLMAnswerer:
    """Pipeline stage: (question, retrieved chunks) → LLM answer whose every sentence is verified."""

    def __init__(self, llm: "LLM", max_sources: int = 6) -> None:
        self.llm = llm
        self.max_sources = max_sources

    @classmethod
    def from_settings(cls, settings: Settings) -> "LLMAnswerer":
        return cls(make_llm(settings), settings.top_k)

    def generate(self, question: str, retrieved: list[RetrievedChunk]) -> str:
        return chat(self.llm, SYSTEM_PROMPT, f"资料：\n{format_sources(retrieved)}\n\n问题：{question}")

    def run(self, query: QueryAnalysis, retrieved: list[RetrievedChunk], fallback: Answer) -> Answer:
        sources = retrieved[: self.max_sources]
        reply = self.generate(query.question, sources).strip()
        if not reply or reply.startswith(NOT_COVERED):
            return refusal(query.question, retrieved, mode="llm")

        sentences: list[AnswerSentence] = []
        citations: list[Citation] = []
        by_span: dict[tuple[str, int], int] = {}
        dropped = 0
        for raw in filter(str.strip, _SENTENCE_END.split(reply)):
            numbers = [int(n) for n in _MARK.findall(raw) if 1 <= int(n) <= len(sources)]
            text = _MARK.sub("", raw).strip()
            evidence = [_best_evidence(text, sources[n - 1].chunk) for n in dict.fromkeys(numbers)]
            if not text or not evidence or not is_supported(text, " ".join(e.quote for e in evidence)):
                dropped += 1
                continue
            ids = []
            for item in evidence:
                key = (item.chunk.doc_id, item.start)
                if key not in by_span:
                    by_span[key] = len(citations) + 1
                    score = support_score(text, item.quote)
                    citations.append(Citation.of(by_span[key], item.chunk, item.start, item.end, item.quote, score))
                ids.append(by_span[key])
            sentences.append(AnswerSentence(text, tuple(ids)))

        if not sentences:
            fallback.notes.append("大模型的回答无法在引用资料中核实，已改为直接摘录原文。")
            return fallback
        answer = Answer(query.question, covered=True, sentences=sentences, citations=citations, mode="llm")
        if dropped:
            answer.notes.append(f"已删除 {dropped} 句无法在所引资料中核实的内容。")
        return answer


REWRITE_PROMPT = (
    "你是企业标准的编写助手。把用户给出的条款改写为规范性条款语言（使用“应”“须”“不得”等），"
    "只改措辞，不得增加、删除或改变任何事实、数字、时限和对象。只输出改写后的一句话。"
)


class ClauseRewriter:
    """Pipeline stage for drafts: clause → normative wording, kept only if its sources still support it.

    A rewrite that adds a fact or changes a figure fails `is_supported` against the quoted spans, so
    the clause keeps the documents' own words and the draft notes which clause was not rewritten.
    """

    def __init__(self, llm: "LLM") -> None:
        self.llm = llm

    @classmethod
    def from_settings(cls, settings: Settings) -> "ClauseRewriter":
        return cls(make_llm(settings))

    def run(self, text: str, sources: list[str]) -> str | None:
        """The rewritten clause, or None when the rewrite is not supported by `sources`."""
        rewritten = _MARK.sub("", chat(self.llm, REWRITE_PROMPT, f"条款：{text}")).strip()
        if not rewritten or not is_supported(rewritten, " ".join(sources)):
            return None
        return rewritten
