"""Request and response bodies, with the Chinese examples shown in the OpenAPI docs."""

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from rag.config import AnswerMode
from rag.draft import Clause, Draft, DraftPart, DraftSection, Handbook
from rag.export import gap_report, to_markdown
from rag.models import Answer, DocumentRecord, RetrievedChunk, SourceDocument
from rag.quiz import MAX_ITEMS, BlankKind, CheckResult, ItemKind, QuizSet
from rag.reading import reading_view
from rag.topics import DocumentTopics, Section

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
MAX_SECTION_CHARS = 300  # a title and a few heading labels


def section_path(value: str) -> str:
    if not value.strip():
        raise ValueError("章节不能为空：不限定章节时请省略 section")
    return value.strip()


SectionPath = Annotated[
    str, StringConstraints(max_length=MAX_SECTION_CHARS), AfterValidator(usable_text), AfterValidator(section_path)
]


class AskRequest(BaseModel):
    question: Text = Field(
        description="问题，简体或繁体中文均可",
        examples=["客户服务的响应时间标准是多少？", "應急預案包括哪些內容？", "运营交付需要交付哪些文档？"],
    )
    mode: AnswerMode | None = Field(None, description="extractive（默认，离线摘录）或 llm（需配置大模型）")
    top_k: int | None = Field(None, ge=1, le=50, description="检索的段落数")
    stream: bool = Field(False, description="为 true 时以 Server-Sent Events 逐句返回")
    history: list[Text] = Field(
        default_factory=list,
        description="同一对话中此前的问题，按先后顺序（最多 RAG_MAX_HISTORY_TURNS 条，默认 10）；"
        "追问（如“那IT故障呢？”）据此补全为完整问题",
        examples=[["客户服务的响应时间标准是多少？"]],
    )
    section: SectionPath | None = Field(
        None,
        description="只在这一章节（及其下各节）中检索：GET /topics 的 section，或拒答时 closest_topics 中的一项；"
        "不存在或无权查阅的章节返回 422",
        examples=["运营保障细则内容有哪些 > 应急预案"],
    )


class SourceSpanOut(BaseModel):
    """A quoted span of a document: what every citation points at."""

    doc_id: str
    title: str
    section: str = Field(description="章节路径，如 运营保障细则内容有哪些 > 服务标准")
    quote: str = Field(description="原文中被引用的句子，逐字摘录")
    start: int = Field(description="引文在原文中的起始字符位置")
    end: int


class CitationOut(SourceSpanOut):
    id: int = Field(description="回答中 [n] 的编号")
    score: float


class SentenceOut(BaseModel):
    text: str
    citations: list[int]


class AskResponse(BaseModel):
    question: str
    resolved_question: str = Field(description="实际回答的问题：追问按对话历史补全后的问题，否则同 question")
    answer: str = Field(description="回答全文，每句后带 [n]")
    covered: bool = Field(description="文档是否涵盖该问题；false 时 answer 说明未涉及并给出相近主题")
    sentences: list[SentenceOut]
    citations: list[CitationOut]
    notes: list[str]
    closest_topics: list[str]
    mode: str
    took_ms: float
    log_id: int | None = Field(None, description="问题记录中的编号，用于 POST /feedback；未记录时为空")
    section: str | None = Field(None, description="检索所限定的章节（请求给出 section 时）")

    @classmethod
    def from_answer(cls, answer: Answer, took_ms: float, asked: str) -> "AskResponse":
        """`asked`: the question as sent; the answer is to its resolved form, `answer.question`."""
        return cls(
            question=asked,
            resolved_question=answer.question,
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


class PieceOut(BaseModel):
    start: int = Field(description="在 text（原文）中的起始位置")
    end: int
    at: int = Field(description="在 clean_text 中的起始位置")


class DocumentTextOut(BaseModel):
    doc_id: str
    title: str
    text: str = Field(description="抽取后的全文；引用的 start/end 即此文本中的字符位置")
    clean_text: str = Field(description="阅读用的整理后文本：去掉网站样板行与拼音注音，各段取自原文")
    clean_pieces: list[PieceOut] = Field(description="clean_text 由原文的哪些片段组成，用于把引用位置映射过去")

    @classmethod
    def of(cls, record: DocumentRecord, text: str) -> "DocumentTextOut":
        document = SourceDocument(record.doc_id, record.source, text, record.content_hash, record.format)
        view = reading_view(document)
        pieces = [PieceOut(start=p.start, end=p.end, at=p.at) for p in view.pieces]
        return cls(doc_id=record.doc_id, title=record.title, text=text, clean_text=view.text, clean_pieces=pieces)


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
    lines_embedded: int = Field(description="段内各句另存的向量数（检索时按段落或其中最接近的一句计分）")
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


class QuizRequest(BaseModel):
    topic: Title = Field(description="测验主题", examples=["客户服务", "应急预案", "培训"])
    count: int = Field(5, ge=1, le=MAX_ITEMS, description="题目数")
    seed: int | None = Field(
        None, ge=0, le=2**31 - 1, description="随机种子：同一主题、题数和种子出同一套题；不填则随机"
    )


class QuizSourceOut(BaseModel):
    doc_id: str
    title: str
    section: str = Field(description="章节路径；引文要到核对答案时才给出，以免泄露答案")


class QuizItemOut(BaseModel):
    number: int
    ref: str = Field(description="题目编号，交给 POST /quiz/check 核对答案")
    kind: ItemKind = Field(description="cloze（填空）或 choice（选择）")
    blank: BlankKind = Field(description="空出的是 figure（数字）、term（术语）还是 member（列举项）")
    stem: str = Field(description="题干，空缺处为 ____", examples=["客户服务标准可能包括____内响应客户咨询。"])
    options: list[str] = Field(description="选择题的选项；填空题为空")
    source: QuizSourceOut


class QuizOut(BaseModel):
    topic: str
    seed: int
    items: list[QuizItemOut]

    @classmethod
    def from_set(cls, quiz: QuizSet) -> "QuizOut":
        items = [
            QuizItemOut(
                number=n,
                ref=item.ref,
                kind=item.kind,
                blank=item.blank,
                stem=item.stem,
                options=list(item.options),
                source=QuizSourceOut(
                    doc_id=item.citation.doc_id, title=item.citation.title, section=item.citation.section
                ),
            )
            for n, item in enumerate(quiz.items, 1)
        ]
        return cls(topic=quiz.topic, seed=quiz.seed, items=items)


class QuizCheckRequest(BaseModel):
    ref: Annotated[str, StringConstraints(max_length=300)] = Field(description="POST /quiz 给出的题目编号")
    answer: Annotated[str, StringConstraints(max_length=100), AfterValidator(usable_text)] = Field(
        description="所填或所选的答案；全角半角、繁简体均可", examples=["２４小时", "應急預案"]
    )


class QuizCheckOut(BaseModel):
    correct: bool
    given: str
    answer: str = Field(description="正确答案，按原文写法")
    explanation: str = Field(description="对错与正确答案，附所依据的原文")
    citation: SourceSpanOut = Field(description="出题所依据的原文句子")

    @classmethod
    def from_result(cls, result: CheckResult) -> "QuizCheckOut":
        return cls(
            correct=result.correct,
            given=result.given,
            answer=result.answer,
            explanation=result.explanation,
            citation=SourceSpanOut(**vars(result.citation)),
        )


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
    items: list["ClauseOut"] = Field(default_factory=list, description="列表或流程的各项，按原文顺序")

    @classmethod
    def of(cls, clause: Clause, number: str) -> "ClauseOut":
        return cls(
            number=number,
            text=clause.text,
            citations=list(clause.citation_ids),
            options=[cls.of(option, f"{number}.{o}") for o, option in enumerate(clause.options, 1)],
            items=[cls.of(item, f"{number}({i})") for i, item in enumerate(clause.items, 1)],
        )


class DraftPartOut(BaseModel):
    section: str
    gap: bool = Field(description="true 表示现有文档未覆盖本节，已标为待补充")
    clauses: list[ClauseOut]

    @classmethod
    def from_part(cls, part: DraftPart, number: int) -> "DraftPartOut":
        return cls(
            section=part.section.value,
            gap=part.is_gap,
            clauses=[ClauseOut.of(clause, f"{number}.{n}") for n, clause in enumerate(part.clauses, 1)],
        )


class DraftOut(BaseModel):
    topic: str
    sections: list[DraftPartOut]
    citations: list[CitationOut]
    gaps: list[str] = Field(description="缺口报告：无来源支持的章节")
    notes: list[str]
    warnings: list[str] = Field(description="提醒：有来源支持的条款太少时说明初稿单薄")
    markdown: str

    @classmethod
    def from_draft(cls, draft: Draft) -> "DraftOut":
        return cls(
            topic=draft.topic,
            sections=[DraftPartOut.from_part(p, n) for n, p in enumerate(draft.parts, 1)],
            citations=[CitationOut(**vars(c)) for c in draft.citations],
            gaps=[g.value for g in draft.gaps],
            notes=draft.notes,
            warnings=draft.warnings,
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


class TopicSectionOut(BaseModel):
    section: str = Field(description="章节路径，即引用的 section；作为 POST /ask 的 section 可把提问限定在此处")
    heading: str = Field(description="章节标题，如 一、服务质量（文档本身的概述为文档标题）")
    summary: str = Field(description="章节开头的句子")
    question: str | None = Field(description="由标题生成、本章节可回答的问题")
    start: int = Field(description="标题（找不到标题行时为首句）在原文中的起始位置：查看全文时从此处打开")
    end: int

    @classmethod
    def from_section(cls, section: Section, title: str) -> "TopicSectionOut":
        heading = section.labels[-1] if section.labels else title
        fields = {name: getattr(section, name) for name in ("summary", "question", "start", "end")}
        return cls(section=section.path, heading=heading, **fields)


class TopicOut(TopicSectionOut):
    questions: list[str] = Field(description="建议的问题：本主题的，再是其下各节的")
    sections: list[TopicSectionOut] = Field(description="其下各节，按原文顺序")


class DocumentTopicsOut(BaseModel):
    doc_id: str
    title: str
    overview: TopicSectionOut | None = Field(description="文档各章节之外的正文（如开头的概述）")
    topics: list[TopicOut] = Field(description="一级章节，按原文顺序")

    @classmethod
    def from_topics(cls, document: DocumentTopics) -> "DocumentTopicsOut":
        title = document.title
        topics = [
            TopicOut(
                **TopicSectionOut.from_section(t.section, title).model_dump(),
                questions=t.questions,
                sections=[TopicSectionOut.from_section(s, title) for s in t.sections],
            )
            for t in document.topics
        ]
        overview = TopicSectionOut.from_section(document.overview, title) if document.overview else None
        return cls(doc_id=document.doc_id, title=title, overview=overview, topics=topics)
