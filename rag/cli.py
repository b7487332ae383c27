"""`rag` command line: ingest, remove, list, ask, search, draft, handbook, quiz, eval, eval-quiz, eval-draft, insights,
topics, serve.

Heavy modules are imported inside the commands that need them, so `rag ingest` on an unchanged
corpus returns in well under a second. Errors a user can act on print as one line, exit code 2.
"""

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rag.config import AnswerMode, Settings
from rag.errors import RagError

app = typer.Typer(help="中文运营文档问答：每句回答都附引用。", no_args_is_help=True, add_completion=False)
console = Console()
errors = Console(stderr=True)

STAGE_NAMES = {"load": "读取文档", "chunk": "清洗切分", "embed": "向量化", "handbook": "起草各章"}
SNIPPET_CHARS = 80
WIDE_TERMINAL = 120  # from this width `rag list` also shows format, version and effective date


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """A passage as one readable line: no pinyin readings, whitespace folded, cut with "…"."""
    from rag.normalize import strip_annotations

    flat = " ".join(strip_annotations(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


@contextmanager
def user_errors() -> Iterator[None]:
    try:
        yield
    except RagError as error:
        sys.stderr.write(f"错误：{error}\n")
        raise typer.Exit(2) from None


def _settings() -> Settings:
    """A bad RAG_ variable is one line naming it, not a traceback."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            name = "RAG_" + "_".join(str(part) for part in problem["loc"]).upper()
            sys.stderr.write(f"配置错误：{name}={problem.get('input')!r}：{problem['msg']}\n")
        raise typer.Exit(2) from None


def _parse_date(value: str | None) -> str | None:
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise typer.BadParameter(f"{value!r} 不是日期，格式为 YYYY-MM-DD") from None


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="文件或目录（.txt/.md/.html/.pdf/.docx/.xlsx/.pptx），目录递归读取")
    ] = None,
    rebuild: Annotated[
        bool, typer.Option(help="在旧索引旁重建全部文档，完成后替换（索引损坏或更换模型时）；中断时旧索引不受影响")
    ] = False,
    groups: Annotated[str | None, typer.Option(help="访问组，逗号分隔，如 public,hr；不填则沿用或默认")] = None,
    version: Annotated[str | None, typer.Option(help="文档版本，如 V2.1；不填则取文中写明的")] = None,
    effective_date: Annotated[
        str | None, typer.Option(help="生效日期 YYYY-MM-DD；不填则取文中写明的", callback=_parse_date)
    ] = None,
    replace: Annotated[
        bool, typer.Option(help="允许文件替换文档 ID 相同、但来自另一文件名的已有文档（默认报错）")
    ] = False,
    explain: Annotated[
        Path | None, typer.Option(help="只分析该文件：列出未进入段落的行及原因、各段落的章节路径；不建索引")
    ] = None,
) -> None:
    """导入文档：清洗、切分、向量化并建立索引；未变化的文档会被跳过，变化的文档整体替换旧版本。"""
    from rag.access import validate_groups
    from rag.ingest import IngestOptions, Ingestor

    if explain is not None:
        from rag.chunk import Chunker, coverage, dropped_spans
        from rag.clean import Cleaner
        from rag.load import load_file
        from rag.tokenize import shared_tokenizer

        settings = _settings()
        with user_errors():
            document = load_file(explain, ocr=settings.ocr)
        clean, decisions = Cleaner().analyse(document)
        chunker = Chunker(
            shared_tokenizer(settings.user_dict), settings.chunk_max_tokens, settings.chunk_overlap_tokens
        )
        chunks = chunker.run(clean)
        spans = dropped_spans(clean, decisions, chunks)
        counts = coverage(clean, spans)
        summary = f"保留 {counts.kept} 字，丢弃 {counts.dropped} 字（其中未解释的汉字 {counts.lost}）"
        out = [f"{document.doc_id}：{len(chunks)} 段，{summary}"]
        out += [f"丢弃 [{s.reason}] {s.start}-{s.end}：{document.text[s.start : s.end]}" for s in spans]
        out += [f"段落 {c.start}-{c.end} {c.section_path}：{c.text[:40].replace(chr(10), ' ')}" for c in chunks]
        sys.stdout.write("\n".join(out) + "\n")
        return
    if not paths:
        raise typer.BadParameter("请给出要导入的文件或目录")
    with user_errors(), _progress() as on_progress:
        options = IngestOptions(
            groups=validate_groups(groups.split(",")) if groups else None,
            version=version,
            effective_date=effective_date,
            replace=replace,
        )
        report = Ingestor(_settings(), progress=on_progress).run(paths, rebuild=rebuild, options=options)
    console.print(
        f"新增 {len(report.added)}，更新 {len(report.updated)}，未变 {len(report.unchanged)}，"
        f"失败 {len(report.failed)}；向量化 {report.chunks_embedded} 段（另 {report.lines_embedded} 句），"
        f"复用 {report.chunks_reused} 段；"
        f"用时 {report.seconds:.2f} 秒"
    )
    for doc_id, lost in report.lost_chars.items():
        if lost:
            sys.stderr.write(f"注意 {doc_id}：{lost} 个汉字未进入任何段落（rag ingest --explain 文件 可查看原因）\n")
    for path, reason in report.failed:
        sys.stderr.write(f"跳过 {path}：{reason}\n")
    if report.failed:
        raise typer.Exit(1)


@app.command()
def remove(doc_ids: Annotated[list[str], typer.Argument(help="文档 ID（见 rag list）")]) -> None:
    """删除文档：其段落、向量和原文一并从索引移除。"""
    from rag.ingest import Ingestor

    with user_errors():
        report = Ingestor(_settings()).remove(doc_ids)
    console.print(f"已删除 {len(report.removed)} 个文档：{'、'.join(report.removed)}")


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on a terminal; elsewhere (logs, CI) one line per step."""
    if not errors.is_terminal:

        def log(stage: str, done: int, total: int) -> None:
            sys.stderr.write(f"{STAGE_NAMES.get(stage, stage)} {done}/{total}\n")
            sys.stderr.flush()

        yield log
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=errors, transient=True) as progress:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(STAGE_NAMES.get(stage, stage), total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield update


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="问题，例如：客户服务的响应时间标准是多少？")],
    mode: Annotated[AnswerMode | None, typer.Option(help="extractive（默认，离线）或 llm")] = None,
    top_k: Annotated[int | None, typer.Option(min=1, max=50, help="检索的段落数")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    history: Annotated[
        list[str] | None, typer.Option("--history", help="此前的问题，按先后可重复给出；追问据此补全")
    ] = None,
    section: Annotated[
        str | None, typer.Option(help="只在该章节中检索，如“运营保障细则内容有哪些 > 应急预案”（见 rag topics）")
    ] = None,
) -> None:
    """提问：给出带引用的回答和来源表。"""
    from rag.service import Assistant

    with user_errors():
        answer = Assistant(_settings()).ask(question, mode=mode, top_k=top_k, history=history or (), section=section)
    if as_json:
        payload = asdict(answer) | {
            "text": answer.text,
            "question": question.strip(),
            "resolved_question": answer.question,
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    if answer.question != question.strip():
        console.print(f"理解为：{answer.question}", markup=False, highlight=False, style="dim")
    console.print(answer.text, markup=False, highlight=False)
    if not answer.citations:
        return
    table = Table(title="来源", show_lines=False)
    for column in ("#", "文档", "章节", "引文", "位置"):
        table.add_column(column, overflow="fold")
    for c in answer.citations:
        section = c.section.removeprefix(c.title).lstrip(" >") or "—"
        table.add_row(f"[{c.id}]", c.title, section, c.quote, f"{c.doc_id}:{c.start}-{c.end}")
    console.print(table)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="检索词或问题")],
    top_k: Annotated[int | None, typer.Option(min=1, max=50)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """检索：列出最相关的段落（不生成回答）。"""
    from rag.service import Assistant

    with user_errors():
        hits = Assistant(_settings()).search(query, top_k)
    if as_json:
        rows = [asdict(h.chunk) | {"score": h.score, "dense": h.dense_score, "bm25": h.bm25_score} for h in hits]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"“{query}”的检索结果", box=box.SIMPLE_HEAD)
    for column in ("#", "得分", "章节", "内容"):
        table.add_column(column, overflow="fold")
    for n, hit in enumerate(hits, 1):
        table.add_row(str(n), f"{hit.score:.2f}", snippet(hit.chunk.section_path, 40), snippet(hit.chunk.text))
    console.print(table)


@app.command("list")
def list_documents(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON（含来源与哈希）")] = False) -> None:
    """列出已索引的文档。"""
    from rag.manifest import load_manifest
    from rag.normalize import strip_annotations

    with user_errors():
        manifest = load_manifest(_settings().data_dir)
    records = sorted(manifest.documents.values(), key=lambda r: r.doc_id)
    if as_json:
        rows = [asdict(r) | {"chunks": len(r.chunk_ids)} for r in records]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    # Narrow terminals get the columns one scans for; the rest are in --json and on wide terminals.
    wide = console.width >= WIDE_TERMINAL
    table = Table(title=f"已索引文档（{len(records)}）", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("文档 ID", no_wrap=True)
    table.add_column("标题", overflow="fold", ratio=1)
    extra = ("格式", "版本", "生效日期") if wide else ()
    for column in (*extra, "段落", "访问组", "修订", "索引日期"):
        table.add_column(column, no_wrap=True)
    for r in records:
        details = (r.format, r.version or "—", r.effective_date or "—") if wide else ()
        table.add_row(
            r.doc_id,
            strip_annotations(r.title),
            *details,
            str(len(r.chunk_ids)),
            ",".join(r.groups),
            str(r.revision),
            r.indexed_at[:10],
        )
    console.print(table)


@app.command()
def topics(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON（含各章节的位置）")] = False) -> None:
    """学习目录：各文档的主题（一级章节）及其下各节、开头的句子和建议的问题。"""
    from rich.text import Text
    from rich.tree import Tree

    from rag.normalize import strip_annotations
    from rag.service import Assistant

    with user_errors():
        documents = Assistant(_settings()).topics()
    if as_json:
        rows = [asdict(d) | {"topics": [asdict(t) | {"questions": t.questions} for t in d.topics]} for d in documents]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    out = Console(width=min(console.width, 80), highlight=False)  # readable in an 80-column terminal
    line = 34  # CJK characters that fit on one line of 80 columns below the tree's guides
    for document in documents:
        tree = Tree(Text.assemble((strip_annotations(document.title), "bold"), f"  {document.doc_id}"))
        if document.overview:
            tree.add(Text(snippet(document.overview.summary, line), style="dim"))
        for topic in document.topics:
            node = tree.add(Text(topic.section.labels[-1], style="bold"))
            node.add(Text(snippet(topic.section.summary, line), style="dim"))
            for section in topic.sections:
                label = section.labels[-1]
                node.add(Text.assemble(label, (f"  {snippet(section.summary, max(8, line - len(label)))}", "dim")))
            for question in topic.questions:
                node.add(Text(f"问：{question}", style="cyan"))
        out.print(tree)
    errors.print('只在一个章节中找答案：rag ask "问题" --section "章节路径"（路径见 --json 的 path）。', markup=False)


def _write_draft(document: object, name: str, out: Path) -> None:
    """Markdown and DOCX side by side in `out`, named after the topic or title."""
    import re

    from rag.export import gap_report, to_docx, to_markdown

    out.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[\\/:*?\"<>|\s]+", "_", name).strip("._")[:60] or "draft"
    markdown = to_markdown(document)
    (out / f"{stem}.md").write_text(markdown, encoding="utf-8")
    (out / f"{stem}.docx").write_bytes(to_docx(document))
    from rich.markdown import Markdown

    console.print(Markdown(markdown))
    chapters = getattr(document, "chapters", [document])
    gaps = gap_report(chapters)
    for warning in (w for chapter in chapters for w in chapter.warnings):
        errors.print(f"注意：{warning}", markup=False)
    errors.print(f"已写入 {out / stem}.md 和 {out / stem}.docx；{len(gaps)} 节待补充。")


@app.command()
def draft(
    topic: Annotated[str, typer.Argument(help="要起草的标准，例如：客户服务标准")],
    outline: Annotated[
        str | None, typer.Option(help="逗号分隔的章节，覆盖默认大纲，例如：目的,内容与要求,流程")
    ] = None,
    out: Annotated[Path, typer.Option(help="输出目录（Markdown 与 DOCX）")] = Path("drafts"),
    llm: Annotated[bool, typer.Option("--llm", help="用已配置的大模型把条款改写为规范用语（逐条核实）")] = False,
) -> None:
    """起草标准：每条条款引用原文，无来源的章节标为待补充并列入缺口报告。"""
    from rag.draft import Drafter, parse_outline
    from rag.llm import ClauseRewriter
    from rag.service import Assistant

    with user_errors(), _progress() as progress:
        settings = _settings()
        sections = parse_outline(outline.split(",") if outline else None)
        rewriter = ClauseRewriter.from_settings(settings) if llm else None
        result = Drafter(Assistant(settings), rewriter).run(topic, sections, progress=progress)
    _write_draft(result, result.topic, out)


@app.command()
def handbook(
    title: Annotated[str, typer.Argument(help="手册标题，例如：新员工运营手册")],
    topics: Annotated[list[str] | None, typer.Argument(help="各章主题")] = None,
    topics_file: Annotated[Path | None, typer.Option(help="主题列表文件，每行一个")] = None,
    out: Annotated[Path, typer.Option(help="输出目录（Markdown 与 DOCX）")] = Path("drafts"),
) -> None:
    """起草手册：多个主题各成一章，带目录和统一的来源列表。"""
    from rag.draft import Drafter
    from rag.service import Assistant

    with user_errors(), _progress() as progress:
        chapters = list(topics or [])
        if topics_file is not None:
            try:
                chapters += topics_file.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as error:
                raise RagError(f"无法读取主题列表 {topics_file}：{error}") from None
        result = Drafter(Assistant(_settings())).handbook(title, chapters, progress=progress)
    _write_draft(result, result.title, out)


@app.command("eval")
def evaluate(
    questions: Annotated[Path, typer.Option(help="评测集 JSONL（格式见 README）")] = Path("eval/questions.jsonl"),
    corpus: Annotated[list[Path] | None, typer.Option(help="被评测的文档（可重复）；默认 corpus/")] = None,
    out: Annotated[Path, typer.Option(help="输出目录：report.md、report.json、comparison.png")] = Path("eval/out"),
    configs: Annotated[str, typer.Option(help="逗号分隔的配置名；all 为本机可用的全部配置")] = "all",
    gate: Annotated[Path | None, typer.Option(help="阈值 JSON；低于阈值时退出码为 1")] = None,
    split: Annotated[str | None, typer.Option(help="只评测该 split 的条目（dev 或 test）")] = None,
    sample: Annotated[int | None, typer.Option(min=1, help="固定抽取的条目数（按 id 哈希，每次相同）")] = None,
) -> None:
    """评测：检索、回答、拒答与速度，多种配置对比，可作为 CI 质量门槛。"""
    from rag.evaluation import CONFIGS, EvalReport, Evaluator, available_configs, check_gates, load_eval_set

    with user_errors():
        items = load_eval_set(questions, split=split, sample=sample)
        names = available_configs() if configs == "all" else [n.strip() for n in configs.split(",")]
        unknown = [n for n in names if n not in CONFIGS]
        if unknown:
            raise RagError(f"未知的配置 {', '.join(unknown)}；可用：{', '.join(CONFIGS)}")
        out.mkdir(parents=True, exist_ok=True)
        evaluator = Evaluator(corpus or [Path("corpus")], out / "indexes", progress=lambda m: errors.print(m))
        title = f"{questions}" + (f" (split={split})" if split else "") + (f" (sample={sample})" if sample else "")
        report = EvalReport([evaluator.run_config(CONFIGS[name], items) for name in names], title=title)
    (out / "report.json").write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "report.md").write_text(report.to_markdown(), encoding="utf-8")
    report.chart(out / "comparison.png")
    console.print(report.to_markdown(), markup=False, highlight=False, soft_wrap=True)
    for config in report.configs:
        for label in config.unmatched_labels:
            sys.stderr.write(f"警告（{config.name}）：标注未匹配任何段落：{label}\n")
    if gate is not None:
        failures = check_gates(report, json.loads(gate.read_text(encoding="utf-8")))
        for failure in failures:
            sys.stderr.write(f"未达标：{failure}\n")
        if failures:
            raise typer.Exit(1)
        console.print(f"质量门槛全部通过（{gate}）")


@app.command()
def insights(
    limit: Annotated[int, typer.Option(min=1, max=100, help="每一项列出的条数")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """洞察：未能回答的问题（按主题归类）、差评、热门问题、文档与章节的引用次数、从未被引用的文档。"""
    from rag.insights import summarize
    from rag.manifest import load_manifest
    from rag.models import section_within
    from rag.questionlog import QuestionLog
    from rag.tokenize import shared_tokenizer

    settings = _settings()
    with user_errors():
        log = QuestionLog.from_settings(settings)
        if log is None:
            raise RagError("问题记录已关闭（RAG_QUESTION_LOG=false），没有可分析的提问。")
        documents = load_manifest(settings.data_dir).documents
        summary = summarize(log.entries(), documents, shared_tokenizer(settings.user_dict), limit)
    if as_json:
        sys.stdout.write(json.dumps(asdict(summary), ensure_ascii=False, indent=2) + "\n")
        return
    out = Console(width=min(console.width, 80), highlight=False)  # readable in an 80-column terminal
    out.print(
        f"提问 {summary.asked} 次，未答 {summary.declined} 次；有用 {summary.rated_up}，没用 {summary.rated_down}。",
        markup=False,
    )
    tables = [
        (
            "知识缺口（未能回答的问题）",
            ("主题词", "次数", "员工的提问"),
            [(" ".join(g.words), str(g.count), "；".join(g.questions)) for g in summary.gaps],
        ),
        (
            "被评为没用的回答",
            ("#", "问题", "评论"),
            [(str(r.id), r.question, r.comment or "—") for r in summary.worst_rated],
        ),
        ("热门问题", ("问题", "次数", "未答"), [(h.question, str(h.count), str(h.declined)) for h in summary.hot]),
        (
            "文档引用",
            ("文档", "次数", "最常引用的章节"),
            [
                (
                    d.title,
                    str(d.hits),
                    "；".join(f"{section_within(d.title, s) or '全文'} {n}" for s, n in d.sections[:3]),
                )
                for d in summary.documents
            ],
        ),
    ]
    for title, columns, rows in tables:
        if not rows:
            continue
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*row)
        out.print(table)
    if summary.never_cited:
        out.print("从未被引用：" + "、".join(f"{d.title}（{d.doc_id}）" for d in summary.never_cited), markup=False)


@app.command()
def quiz(
    topic: Annotated[str, typer.Argument(help="测验主题，例如：应急预案")],
    count: Annotated[int, typer.Option(min=1, max=20, help="题目数")] = 5,
    seed: Annotated[int | None, typer.Option(min=0, help="随机种子：同一种子出同一套题")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="不作答，输出题目 JSON（含答案与出处，供审阅）")] = False,
) -> None:
    """测验：按主题出填空题与选择题，逐题作答、核对并给出原文出处，最后计分。"""
    from rag.quiz import AnswerChecker, ItemKind, QuizMaker
    from rag.service import Assistant

    with user_errors():
        assistant = Assistant(_settings())
        quiz_set = QuizMaker(assistant).run(topic, count, seed)
    if as_json:
        sys.stdout.write(json.dumps(asdict(quiz_set), ensure_ascii=False, indent=2) + "\n")
        return
    checker, score, letters = AnswerChecker(assistant), 0, "ABCDEFGH"
    out = Console(soft_wrap=True, highlight=False)  # a stem or a quote stays one line, as the tests read it
    out.print(f"“{quiz_set.topic}”测验，共 {len(quiz_set.items)} 题（种子 {quiz_set.seed}）", markup=False)
    for number, item in enumerate(quiz_set.items, 1):
        kind = "选择" if item.kind is ItemKind.CHOICE else "填空"
        out.print(f"\n第 {number} 题（{kind}）：{item.stem}", markup=False)
        for letter, option in zip(letters, item.options, strict=False):
            out.print(f"  {letter}. {option}", markup=False)
        given = ""
        while not given:
            out.print("答案：", end="")
            line = sys.stdin.readline()
            if not line:  # end of input: stop here, with the score so far
                out.print(f"\n得分：{score} / {number - 1}")
                return
            given = line.strip()
        if item.options and len(given) == 1 and given.upper() in letters[: len(item.options)]:
            given = item.options[letters.index(given.upper())]
        with user_errors():
            result = checker.run(item.ref, given)
        score += result.correct
        out.print(result.explanation, markup=False, style="green" if result.correct else "red")
        out.print(f"出处：{result.citation.doc_id}:{result.citation.start}-{result.citation.end}", style="dim")
    out.print(f"\n得分：{score} / {len(quiz_set.items)}")


@app.command("eval-quiz")
def eval_quiz(
    spec: Annotated[Path, typer.Option(help="出题设定 JSON：主题与题数、种子、文档、词表")] = Path(
        "eval/quiz/spec.json"
    ),
    labels: Annotated[Path, typer.Option(help="评审标注 JSONL（key、answerable、unambiguous、reason）")] = Path(
        "eval/quiz/labels.jsonl"
    ),
    items_out: Annotated[Path, typer.Option(help="写出本次生成的题目 JSONL")] = Path("eval/out/quiz/items.jsonl"),
    index: Annotated[Path, typer.Option(help="评测用索引目录（增量更新）")] = Path("eval/out/quiz/index"),
    min_good: Annotated[int, typer.Option(min=0, help="判为可答且无歧义的题目少于此数时退出码为 1")] = 25,
) -> None:
    """测验题质量：重新生成评测题，按 key 对照人工标注，统计可由引文作答且无歧义的题目数。"""
    from rag.ingest import Ingestor
    from rag.quizeval import QuizReview, QuizSpec, generate, item_record, load_labels
    from rag.service import Assistant

    with user_errors():
        quiz_spec = QuizSpec.load(spec)
        settings = Settings(_env_file=None, data_dir=index, user_dict=quiz_spec.user_dict, synonyms=quiz_spec.synonyms)
        Ingestor(settings).run(quiz_spec.corpus)
        items = generate(Assistant(settings), quiz_spec)
        result = QuizReview(items, load_labels(labels))
    items_out.parent.mkdir(parents=True, exist_ok=True)
    rows = (json.dumps(item_record(topic, item), ensure_ascii=False) for topic, item in items)
    items_out.write_text("".join(f"{row}\n" for row in rows), encoding="utf-8")
    for item, label in result.rejected:
        console.print(f"不合格 {item.key}：{item.stem}（{label.reason}）", markup=False, soft_wrap=True)
    for item in result.unlabelled:
        console.print(f"未标注 {item.key}：{item.stem}", markup=False, soft_wrap=True)
    console.print(
        f"测验题质量：{len(result.good)} / {len(items)} 题可由引文作答且无歧义"
        f"（未标注 {len(result.unlabelled)}，门槛 {min_good}）；题目已写入 {items_out}",
        markup=False,
        soft_wrap=True,
    )
    if len(result.good) < min_good:
        raise typer.Exit(1)


@app.command("eval-draft")
def eval_draft(
    spec: Annotated[Path, typer.Option(help="起草设定 JSON：文档集、主题（含应拒绝的）、门槛")] = Path(
        "eval/drafts/spec.json"
    ),
    labels: Annotated[Path, typer.Option(help="人工标注 JSONL：各主题的相关章节、各来源句可放入的章节")] = Path(
        "eval/drafts/labels.jsonl"
    ),
    out: Annotated[Path, typer.Option(help="写出 report.json 与 unlabelled.jsonl 的目录")] = Path("eval/out/drafts"),
    index: Annotated[Path, typer.Option(help="评测用索引目录，每个文档集一个子目录（增量更新）")] = Path(
        "eval/out/drafts/index"
    ),
) -> None:
    """起草质量：按设定重新起草各主题与每个文档集的手册，对照人工标注统计条款相关率、章节位置正确率、
    重复率和应拒绝主题的处理，按开发集（dev）、留出集（test）和全部分别报告；开发集或全部未达门槛时退出码为 1，
    留出集只报告、不设门槛。"""
    from rag.drafteval import SPLITS, DraftSpec, Labels, run_review, share, unlabelled_records
    from rag.ingest import Ingestor
    from rag.service import Assistant

    with user_errors():
        draft_spec, draft_labels = DraftSpec.load(spec), Labels.load(labels)
        assistants = {}
        for name, corpus in draft_spec.corpora.items():
            settings = Settings(
                _env_file=None, data_dir=index / name, user_dict=corpus.user_dict, synonyms=corpus.synonyms
            )
            with _progress() as on_progress:
                Ingestor(settings, progress=on_progress).run(corpus.paths)
            assistants[name] = Assistant(settings)
        review = run_review(draft_spec, draft_labels, assistants)
    out.mkdir(parents=True, exist_ok=True)
    report = review.to_json(draft_spec.bars)
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    unlabelled = unlabelled_records(review.unlabelled, draft_labels)
    rows = (json.dumps(r, ensure_ascii=False) for r in unlabelled)
    (out / "unlabelled.jsonl").write_text("".join(f"{row}\n" for row in rows), encoding="utf-8")

    table = Table(title="起草质量", title_justify="left", box=box.SIMPLE)
    for column in ("主题", "文档集", "集", "条款", "相关", "位置正确", "未标注", "重复", "结果"):
        table.add_column(column, justify="left" if column in ("主题", "文档集", "集", "结果") else "right")
    for t in review.topics:
        relevant = [c for c in t.clauses if c.relevant]
        placed = sum(c.placed for c in relevant)
        if t.declined is not None:
            outcome = "已拒绝"
        else:
            outcome = "已起草，提示单薄" if t.warnings else "已起草"
        if t.spec.must_decline:
            outcome = f"应拒绝：{outcome}"
        table.add_row(
            t.spec.topic,
            t.spec.corpus,
            t.spec.split,
            str(len(t.clauses)),
            f"{len(relevant)} ({share(len(relevant), len(t.clauses)):.0%})",
            f"{placed} ({share(placed, len(relevant)):.0%})",
            str(sum(c.accepted is None for c in relevant)),
            str(len(t.duplicates)),
            outcome + ("" if t.handled else " ✗"),
        )
    for h in review.handbooks:
        table.add_row(
            f"《{h.title}》", h.corpus, h.split, str(len(h.clauses)), "", "", "", str(len(h.duplicates)), "手册"
        )
    wide = Console(width=max(console.width, 120), highlight=False)
    wide.print(table)  # one row per topic, also in logs

    # dev: the topics the drafter was developed on; test: held out, labelled blind, reported but not gated on alone
    summary = Table(title="合计（应拒绝的主题除外）", title_justify="left", box=box.SIMPLE)
    for column in (
        "集",
        "主题",
        "条款",
        "相关率",
        "位置正确率",
        "未标注",
        "单篇重复率",
        "手册重复率",
        "应拒绝已处理",
        "门槛",
    ):
        summary.add_column(column, justify="left" if column in ("集", "门槛") else "right")
    for name in (*SPLITS, "all"):
        part, totals = review.split(name), report["totals"][name]
        summary.add_row(
            {"dev": "开发集 dev", "test": "留出集 test", "all": "全部 all"}[name],
            str(totals["topics"]),
            str(totals["clauses"]),
            f"{part.relevance:.1%}",
            f"{part.placement:.1%}",
            str(totals["unlabelled"]),
            f"{part.draft_duplicate_rate:.1%}",
            f"{part.handbook_duplicate_rate:.1%}",
            f"{totals['must_decline_handled']} / {totals['must_decline']}",
            "适用" if name in report["gated"] else "仅报告",
        )
    wide.print(summary)
    console.print(
        f"报告：{out / 'report.json'}；待标注的来源句 {len(unlabelled)} 条：{out / 'unlabelled.jsonl'}",
        markup=False,
        soft_wrap=True,
    )
    failures = review.failures(draft_spec.bars)
    for failure in failures:
        sys.stderr.write(f"未达标：{failure}\n")
    if failures:
        raise typer.Exit(1)
    console.print(f"起草质量门槛全部通过（{spec}）")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="默认 RAG_HOST 或 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="默认 RAG_PORT 或 8000")] = None,
) -> None:
    """启动 HTTP 服务（FastAPI），文档见 /docs。"""
    import uvicorn

    from api.app import create_app

    settings = _settings()
    with user_errors():
        application = create_app(settings)
    uvicorn.run(application, host=host or settings.host, port=port or settings.port, log_level="info")


if __name__ == "__main__":
    app()
