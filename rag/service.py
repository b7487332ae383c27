"""The query pipeline, assembled once and shared by the CLI and the API.

question → validate → analyse → retrieve (dense + BM25, fused) → rerank by evidence → answer (extractive or LLM).
"""

from functools import cached_property

from rag.answer import ExtractiveAnswerer
from rag.config import AnswerMode, RetrievalMode, Settings
from rag.errors import InvalidQuestionError
from rag.evidence import EvidenceReranker, SentenceScorer
from rag.index import ChunkIndex
from rag.models import Answer, DocumentRecord, RetrievedChunk
from rag.query import QueryAnalysis, QueryAnalyzer
from rag.retrieve import HybridRetriever
from rag.spelling import HomophoneCorrector
from rag.synonyms import Synonyms
from rag.tokenize import Tokenizer

WARM_UP_QUESTION = "客户服务的响应时间标准是多少？"


def validate_question(question: str, max_chars: int) -> str:
    stripped = question.strip()
    if not stripped:
        raise InvalidQuestionError("问题不能为空。")
    if len(stripped) > max_chars:
        raise InvalidQuestionError(f"问题过长：{len(stripped)} 个字符，最多 {max_chars} 个。请精简后再问。")
    return stripped


class Assistant:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tokenizer = Tokenizer(settings.user_dict)
        self.index = ChunkIndex(settings, self.tokenizer).load()

    @cached_property
    def analyzer(self) -> QueryAnalyzer:
        corrector = HomophoneCorrector(
            self.index.document_frequencies, lambda text: self.tokenizer.words(text, new_words=False)
        )
        return QueryAnalyzer(
            self.tokenizer, Synonyms(self.settings.synonyms), self.index.idf, self.settings.normalize, corrector
        )

    @cached_property
    def retriever(self) -> HybridRetriever:
        embedding = None
        if self.settings.retrieval_mode is not RetrievalMode.BM25:
            from rag.embed import LlamaIndexEmbedding, make_embedder

            embedding = LlamaIndexEmbedding(make_embedder(self.settings), self.settings.normalize)
        return HybridRetriever(self.index, embedding, self.settings)

    @cached_property
    def scorer(self) -> SentenceScorer:
        return SentenceScorer(self.tokenizer, self.settings.normalize)

    @cached_property
    def reranker(self) -> EvidenceReranker:
        return EvidenceReranker(self.scorer)

    @cached_property
    def extractive(self) -> ExtractiveAnswerer:
        s = self.settings
        return ExtractiveAnswerer(self.scorer, s.answer_max_sentences, s.min_coverage, s.min_dense_score, s.normalize)

    def retrieve(self, analysis: QueryAnalysis, top_k: int | None = None) -> list[RetrievedChunk]:
        """Fused candidates, reordered by their sentence evidence, cut to `top_k`."""
        candidates = self.retriever.run(analysis, top_k=self.settings.candidates)
        return self.reranker.run(analysis, candidates)[: top_k or self.settings.top_k]

    def warm_up(self) -> None:
        """Load the tokenizer dictionary and the model before the first real request."""
        if self.index.chunks:
            self.ask(WARM_UP_QUESTION)

    def analyze(self, question: str) -> QueryAnalysis:
        return self.analyzer.run(validate_question(question, self.settings.max_question_chars))

    def search(self, query: str, top_k: int | None = None) -> list[RetrievedChunk]:
        return self.retrieve(self.analyze(query), top_k)

    def ask(self, question: str, mode: AnswerMode | None = None, top_k: int | None = None) -> Answer:
        analysis = self.analyze(question)
        retrieved = self.retrieve(analysis, top_k)
        extractive = self.extractive.run(analysis, retrieved)
        if (mode or self.settings.answer_mode) is AnswerMode.EXTRACTIVE or not extractive.covered:
            return extractive
        from rag.llm import LLMAnswerer

        return LLMAnswerer.from_settings(self.settings).run(analysis, retrieved, fallback=extractive)

    def documents(self) -> list[DocumentRecord]:
        return sorted(self.index.manifest.documents.values(), key=lambda d: d.doc_id)
