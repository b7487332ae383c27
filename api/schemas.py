"""Request and response bodies, with the Chinese examples shown in the OpenAPI docs."""

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from rag.config import AnswerMode
from rag.draft import Draft, DraftPart, DraftSection, Handbook
from rag.export import gap_report, to_markdown
from rag.models import Answer, DocumentRecord, RetrievedChunk

# Lone surrogates cannot be encoded as UTF-8 and C0 controls cannot be stored in XML (DOCX); both
# would fail deep inside the pipeline, so every text field refuses them on the way in.
_UNUSABLE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
MAX_TITLE_CHARS = 100  # a topic or title names a document; it also becomes the download's file name


def usable_text(value: str) -> str:
    if match := _UNUSABLE_CHARS.search(value):
        raise ValueError(f"含有无法处理的字符 U+{ord(match.group()):04X}（控制字符或孤立的代理项），请删除后重试")
    return value


Text = Annotated[str, AfterValidator(usable_text)]
Title = Annotated[str, StringConstraints(max_length=MAX_TITLE_CHARS), AfterValidator(usable_text)]


class AskRequest(BaseModel):
    question: Text = Field(
        description="问题，简体或繁体中文均可",
        examples=["客户服务的响应时间标准是多少？", "應急預案包括哪些內容？", "运营交付需要交付哪些文档？"],
    )
    mode: AnswerMode | None = Field(None, description="extractive（默认，离线摘录）或 llm（需配置大模型）")
    top_k: int | None = Field(None, ge=1, le=50, description="检索的段落数")
    stream: bool = Field(False, description="为 true 时以 Server-Sent Events 逐句返回")


class CitationOut(BaseModel):
    id: int = Field(description="回答中 [n] 的编号")
    doc_id: str
    title: str
    section: str = Field(description="章节路径，如 运营保障细则内容有哪些 > 服务标准")
    quote: str = Field(description="原文中被引用的句子，逐字摘录")
    start: int = Field(description="引文在原文中的起始字符位置")
    end: int
    score: float


class SentenceOut(BaseModel):
    text: str
    citations: list[int]


class AskResponse(BaseModel):
    question: str
    answer: str = Field(description="回答全文，每句后带 [n]")
    covered: bool = Field(description="文档是否涵盖该问题；false 时 answer 说明未涉及并给出相近主题")
    sentences: list[SentenceOut]
    citations: list[CitationOut]
    notes: list[str]
    closest_topics: list[str]
    mode: str
    took_ms: float
    log_id: int | None = Field(None, description="问题记录中的编号，用于 POST /feedback；未记录时为空")

    @classmethod
    def from_answer(cls, answer: Answer, took_ms: float) -> "AskResponse":
        return cls(
            question=answer.question,
            answer=answer.text,
            covered=answer.covered,
            sentences=[SentenceOut(text=s.text, citations=list(s.citation_ids)) for s in answer.sentences],
            citations=[CitationOut(**vars(c)) for c in answer.citations],
            notes=answer.notes,
            closest_topics=answer.closest_topics,
            mode=answer.mode,
            took_ms=round(took_ms, 2),
        )


class SearchRequest(BaseModel):
    query: Text = Field(examples=["应急预案", "系统故障 恢复时间"])
    top_k: int | None = Field(None, ge=1, le=50)


class SearchHit(BaseModel):
    chunk_id: str
    doc_id: str
    title: str
    section: str
    text: str
    start: int
    end: int
    score: float
    dense_score: float | None
    bm25_score: float | None

    @classmethod
    def from_retrieved(cls, hit: RetrievedChunk) -> "SearchHit":
        c = hit.chunk
        return cls(
            chunk_id=c.chunk_id,
            doc_id=c.doc_id,
            title=c.title,
            section=c.section_path,
            text=c.text,
            start=c.start,
            end=c.end,
            score=hit.score,
            dense_score=hit.dense_score,
            bm25_score=hit.bm25_score,
        )


class SearchResponse(BaseModel):
    query: str
    hits: list[SearchHit]
    took_ms: float


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    source: str = Field(description="导入时的文件路径或上传的文件名")
    format: str = Field(description="txt、md、html、pdf、docx、xlsx 或 pptx")
    content_hash: str = Field(description="抽取后正文的 SHA-256")
    chunks: int
    chars: int
    groups: list[str] = Field(description="可查阅该文档的访问组")
    revision: int = Field(description="内容每变化一次加 1")
    version: str | None = Field(None, description="文档版本（上传时填写或文中写明）")
    effective_date: str | None = Field(None, description="生效日期（上传时填写或文中写明）")
    indexed_at: str

    @classmethod
    def from_record(cls, record: DocumentRecord) -> "DocumentOut":
        fields = {name: getattr(record, name) for name in cls.model_fields if hasattr(record, name)}
        return cls(**fields | {"chunks": len(record.chunk_ids), "groups": list(record.groups)})


class DocumentTextOut(BaseModel):
    doc_id: str
    title: str
    text: str = Field(description="抽取后的全文；引用的 start/end 即此文本中的字符位置")


class FailedFile(BaseModel):
    file: str
    reason: str


class IngestOut(BaseModel):
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    failed: list[FailedFile] = Field(description="跳过的文件及原因；其余文件照常导入")
    chunks_embedded: int
    chunks_reused: int
    documents: list[DocumentOut] = Field(description="本次新增、更新或未变的文档")
    took_ms: float


class RemoveOut(BaseModel):
    removed: list[str]


class HealthOut(BaseModel):
    status: str = Field(description="ok、empty（尚未导入文档）或 error")
    detail: str | None = None
    auth: str = Field(description="open（未配置密钥，任何人可读写）或 api-key")
    documents: int | None = Field(None, description="调用者可查阅的文档数（配置了密钥而未提供时，以下各项均不给出）")
    chunks: int | None = None
    can_manage: bool | None = Field(None, description="调用者的密钥能否上传、替换、删除文档")
    embedder: str | None = None
    vector_store: str | None = None
    llm_configured: bool | None = None


class ErrorOut(BaseModel):
    detail: str


class DraftFormat(StrEnum):
    """json: the structured draft; markdown and docx: the file a reviewer opens."""

    JSON = "json"
    MARKDOWN = "markdown"
    DOCX = "docx"


class DraftRequest(BaseModel):
    topic: Title = Field(description="要起草的标准", examples=["客户服务标准", "应急预案管理规范"])
    outline: list[Title] | None = Field(
        None,
        description="覆盖默认大纲的章节（可选）：" + "、".join(s.value for s in DraftSection),
        examples=[["目的", "内容与要求", "流程"]],
    )
    format: DraftFormat = DraftFormat.JSON
    mode: AnswerMode = Field(
        AnswerMode.EXTRACTIVE, description="extractive（默认，摘录原文）或 llm（改写为规范用语，逐条核实）"
    )
    stream: bool = Field(False, description="为 true 时以 Server-Sent Events 逐章节返回进度（仅 json 格式）")


class HandbookRequest(BaseModel):
    title: Title = Field(description="手册标题", examples=["新员工运营手册"])
    topics: list[Title] = Field(
        min_length=1, max_length=20, description="各章主题", examples=[["客户服务标准", "应急预案", "运营交付标准"]]
    )
    format: DraftFormat = DraftFormat.JSON


class ClauseOut(BaseModel):
    number: str = Field(description="条款编号，如 5.3")
    text: str
    citations: list[int]
    options: list["ClauseOut"] = Field(default_factory=list, description="来源不一致时供评审选择的方案")


class DraftPartOut(BaseModel):
    section: str
    gap: bool = Field(description="true 表示现有文档未覆盖本节，已标为待补充")
    clauses: list[ClauseOut]

    @classmethod
    def from_part(cls, part: DraftPart, number: int) -> "DraftPartOut":
        clauses = [
            ClauseOut(
                number=f"{number}.{n}",
                text=clause.text,
                citations=list(clause.citation_ids),
                options=[
                    ClauseOut(number=f"{number}.{n}.{o}", text=option.text, citations=list(option.citation_ids))
                    for o, option in enumerate(clause.options, 1)
                ],
            )
            for n, clause in enumerate(part.clauses, 1)
        ]
        return cls(section=part.section.value, gap=part.is_gap, clauses=clauses)


class DraftOut(BaseModel):
    topic: str
    sections: list[DraftPartOut]
    citations: list[CitationOut]
    gaps: list[str] = Field(description="缺口报告：无来源支持的章节")
    notes: list[str]
    markdown: str

    @classmethod
    def from_draft(cls, draft: Draft) -> "DraftOut":
        return cls(
            topic=draft.topic,
            sections=[DraftPartOut.from_part(p, n) for n, p in enumerate(draft.parts, 1)],
            citations=[CitationOut(**vars(c)) for c in draft.citations],
            gaps=[g.value for g in draft.gaps],
            notes=draft.notes,
            markdown=to_markdown(draft),
        )


class HandbookOut(BaseModel):
    title: str
    chapters: list[DraftOut] = Field(description="各章；章内引用编号与 citations 一致")
    citations: list[CitationOut]
    gaps: list[str]
    markdown: str

    @classmethod
    def from_handbook(cls, handbook: Handbook) -> "HandbookOut":
        return cls(
            title=handbook.title,
            chapters=[DraftOut.from_draft(d) for d in handbook.chapters],
            citations=[CitationOut(**vars(c)) for c in handbook.citations],
            gaps=gap_report(handbook.chapters),
            markdown=to_markdown(handbook),
        )
