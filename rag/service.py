"""The query pipeline, assembled once and shared by the CLI and the API.

question → validate → resolve a follow-up → analyse → retrieve (dense + BM25, fused) → rerank (fitted model)
→ judge coverage → answer (extractive or LLM), or decline.

`Engine` holds what every caller shares (index, models, stages); `Assistant` is one caller's view
of it, limited to the documents that caller may read: retrieval is filtered to them, and the
vocabulary and term statistics questions are judged by count only their chunks.
"""

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from rag.access import OPEN_ACCESS, Access
from rag.answer import ExtractiveAnswerer, refusal
from rag.config import AnswerMode, RetrievalMode, Settings
from rag.coverage import CoverageDecision, CoverageJudge, CoverageModel
from rag.errors import DocumentNotFoundError, InvalidQuestionError, PermissionDeniedError
from rag.evidence import SentenceScorer
from rag.followup import FollowUpResolver
from rag.index import ChunkIndex
from rag.models import Answer, DocumentRecord, RetrievedChunk
from rag.query import QueryAnalysis, QueryAnalyzer
from rag.rerank import RankerModel, Reranker
from rag.retrieve import HybridRetriever
from rag.spelling import HomophoneCorrector
from rag.synonyms import Synonyms
from rag.tokenize import shared_tokenizer
from rag.topics import DocumentTopics, build_topics, chunks_under, within

if TYPE_CHECKING:
    from rag.embed import QueryEncoder

WARM_UP_QUESTION = "客户服务的响应时间标准是多少？"
TOPIC_MAPS = 16  # 学习目录 kept per loaded generation, one per set of readable documents


def validate_question(question: str, max_chars: int) -> str:
    stripped = question.strip()
    if not stripped:
        raise InvalidQuestionError("问题不能为空。")
    if len(stripped) > max_chars:
        raise InvalidQuestionError(f"问题过长：{len(stripped)} 个字符，最多 {max_chars} 个。请精简后再问。")
    return stripped


def validate_history(history: Sequence[str], max_turns: int, max_chars: int) -> list[str]:
    """Earlier questions of the conversation, oldest first: bounded, so a follow-up costs little to resolve."""
    if len(history) > max_turns:
        raise InvalidQuestionError(f"对话历史过长：{len(history)} 轮，最多 {max_turns} 轮。")
    turns = []
    for number, turn in enumerate(history, 1):
        try:
            turns.append(validate_question(turn, max_chars))
        except InvalidQuestionError as error:
            raise InvalidQuestionError(f"对话历史第 {number} 条：{error}") from error
    return turns


def bm25_idf(frequencies: Mapping[str, int], total: int) -> Callable[[str], float]:
    """BM25's idf over `total` chunks; a term absent from them gets the highest value."""

    def idf(term: str) -> float:
        df = frequencies.get(term, 0)
        return math.log((total - df + 0.5) / (df + 0.5) + 1.0)

    return idf


class Engine:
    """The loaded index and pipeline stages; stateless per question, so one serves every caller."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tokenizer = shared_tokenizer(settings.user_dict)
        self.index = ChunkIndex(settings, self.tokenizer).load()
        self.analyzer = lru_cache(maxsize=64)(self._analyzer)
        self.topics = lru_cache(maxsize=TOPIC_MAPS)(self._topics)

    def _topics(self, doc_ids: tuple[str, ...]) -> list[DocumentTopics]:
        """学习目录 of these documents, built once per loaded generation and set of readable documents."""
        records = self.index.manifest.documents
        return build_topics(c for d in doc_ids for c in self.index.get(records[d].chunk_ids))

    def _analyzer(self, readable: frozenset[str] | None) -> QueryAnalyzer:
        frequencies = self.index.frequencies_within(readable)
        corrector = HomophoneCorrector(frequencies, lambda text: self.tokenizer.words(text, new_words=False))
        idf = bm25_idf(frequencies, self.index.chunk_count_within(readable))
        return QueryAnalyzer(self.tokenizer, self.synonyms, idf, self.settings.normalize, corrector)

    @cached_property
    def synonyms(self) -> Synonyms:
        return Synonyms(self.settings.synonyms)

    def refreshed(self, vectors_changed: bool = True) -> "Engine":
        """An engine caught up with a newer commit, reading only what changed and sharing the models; this
        one stays whole for the queries still running on it. `vectors_changed`: Chroma was written by another
        process, so it must be read afresh (this process's own writes are already in its client)."""
        engine = copy.copy(self)
        engine.index = self.index.refreshed(vectors_changed)
        engine.analyzer = lru_cache(maxsize=64)(engine._analyzer)
        engine.topics = lru_cache(maxsize=TOPIC_MAPS)(engine._topics)
        engine.__dict__.pop("retriever", None)
        return engine

    @cached_property
    def embedding(self) -> "QueryEncoder | None":
        if self.settings.retrieval_mode is RetrievalMode.BM25:
            return None
        from rag.embed import QueryEncoder, make_embedder

        return QueryEncoder(make_embedder(self.settings), self.settings.normalize)

    @cached_property
    def retriever(self) -> HybridRetriever:
        return HybridRetriever(self.index, self.embedding, self.settings)

    @cached_property
    def scorer(self) -> SentenceScorer:
        return SentenceScorer(self.tokenizer, self.settings.normalize)

    @cached_property
    def reranker(self) -> Reranker:
        return Reranker(RankerModel.load(self.settings.ranker_model))

    @cached_property
    def extractive(self) -> ExtractiveAnswerer:
        s = self.settings
        return ExtractiveAnswerer(s.answer_max_sentences, s.min_sentence_coverage)

    @cached_property
    def followup(self) -> FollowUpResolver:
        return FollowUpResolver(self.tokenizer, self.settings.normalize)

    @cached_property
    def judge(self) -> CoverageJudge:
        from rag.ingest import embedder_name

        model = CoverageModel.load(self.settings.coverage_model)
        return CoverageJudge(self.tokenizer, model, embedder_name(self.settings), self.settings.normalize)

    def warm_up(self) -> None:
        """Load the tokenizer dictionary and the model before the first real request."""
        if self.index.chunks:
            Assistant(engine=self).ask(WARM_UP_QUESTION)


class Assistant:
    """Questions, search and documents, as one caller (`access`) may see them."""

    def __init__(
        self, settings: Settings | None = None, *, engine: Engine | None = None, access: Access = OPEN_ACCESS
    ) -> None:
        if engine is None:
            if settings is None:
                raise TypeError("Assistant needs settings or an engine")
            engine = Engine(settings)
        self.engine = engine
        self.access = access
        self.readable = engine.index.readable_by(access.groups)

    @property
    def settings(self) -> Settings:
        return self.engine.settings

    @property
    def index(self) -> ChunkIndex:
        return self.engine.index

    @property
    def scorer(self) -> SentenceScorer:
        return self.engine.scorer

    @property
    def extractive(self) -> ExtractiveAnswerer:
        return self.engine.extractive

    def analyze(self, question: str) -> QueryAnalysis:
        text = validate_question(question, self.settings.max_question_chars)
        if self.readable is not None and not self.readable and self.index.chunks:
            raise PermissionDeniedError("您的 API 密钥无权查阅任何已索引的文档。")
        return self.engine.analyzer(self.readable).run(text)

    def resolve(self, question: str, history: Sequence[str] = ()) -> str:
        """The question to answer: a follow-up completed from the earlier ones (see `rag.followup`)."""
        s = self.settings
        text = validate_question(question, s.max_question_chars)
        return self.engine.followup.run(text, validate_history(history, s.max_history_turns, s.max_question_chars))

    def retrieve(
        self, analysis: QueryAnalysis, top_k: int | None = None, within: frozenset[str] | None = None
    ) -> list[RetrievedChunk]:
        """Fused candidates from the readable documents (only the chunk ids `within`, when given), reordered by
        their sentence evidence, cut to `top_k`."""
        candidates = self.engine.retriever.run(
            analysis, top_k=self.settings.candidates, readable=self.readable, within=within
        )
        sentences = self.scorer.run(analysis, candidates)
        return self.engine.reranker.run(candidates, sentences)[: top_k or self.settings.top_k]

    def search(self, query: str, top_k: int | None = None) -> list[RetrievedChunk]:
        return self.retrieve(self.analyze(query), top_k)

    def judge(self, analysis: QueryAnalysis, retrieved: list[RetrievedChunk]) -> CoverageDecision:
        """Whether the retrieved passages answer the question (see `rag.coverage`)."""
        scored = self.scorer.run(analysis, retrieved)
        return self.engine.judge.run(analysis, retrieved, scored[0] if scored else None)

    def answer(
        self, analysis: QueryAnalysis, retrieved: list[RetrievedChunk], mode: AnswerMode | None = None
    ) -> Answer:
        """Judge coverage, then answer from the retrieved passages or decline with the closest topics."""
        scored = self.scorer.run(analysis, retrieved)
        if not scored or not self.engine.judge.run(analysis, retrieved, scored[0]).covered:
            return refusal(analysis.question, retrieved)  # no sentence to quote is nothing to answer with
        extractive = self.extractive.run(analysis, scored)
        if (mode or self.settings.answer_mode) is AnswerMode.EXTRACTIVE:
            return extractive
        from rag.llm import LLMAnswerer

        return LLMAnswerer.from_settings(self.settings).run(analysis, retrieved, fallback=extractive)

    def ask(
        self,
        question: str,
        mode: AnswerMode | None = None,
        top_k: int | None = None,
        history: Sequence[str] = (),
        section: str | None = None,
    ) -> Answer:
        """The answer to `question`, read as a follow-up of `history` where it is one: its `question` is
        the resolved one. `section`: a section path (from `topics()` or a refusal's closest topics) that
        retrieval is restricted to."""
        within = self.section(section) if section is not None else None
        analysis = self.analyze(self.resolve(question, history))
        return self.answer(analysis, self.retrieve(analysis, top_k, within), mode)

    def documents(self) -> list[DocumentRecord]:
        readable = self.index.manifest.documents.values()
        return sorted((r for r in readable if self.access.can_read(r)), key=lambda r: r.doc_id)

    def document(self, doc_id: str) -> DocumentRecord:
        """One readable document; one the caller may not read is as unknown as one that does not exist."""
        record = self.index.manifest.documents.get(doc_id)
        if record is None or not self.access.can_read(record):
            raise DocumentNotFoundError([doc_id])
        return record

    def text(self, doc_id: str) -> str:
        return self.index.text_of(self.document(doc_id))

    def topics(self) -> list[DocumentTopics]:
        """学习目录 of the readable documents (see `rag.topics`)."""
        return self.engine.topics(tuple(r.doc_id for r in self.documents()))

    def section(self, path: str) -> frozenset[str]:
        """The chunk ids of a readable section; only documents whose title begins the path are looked at."""
        path = path.strip()
        records = [r for r in self.documents() if within(path, r.title)]
        return chunks_under((c for r in records for c in self.index.get(r.chunk_ids)), path)
