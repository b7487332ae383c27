"""The draft eval's metrics on small hand-made drafts, the committed spec and labels, and `rag eval-draft`."""

import json
import subprocess
import sys

from rag.draft import Clause, Draft, DraftPart, DraftSection, Handbook
from rag.drafteval import (
    Bars,
    DraftReview,
    DraftSpec,
    Labels,
    PlacementLabel,
    RelevanceLabel,
    TopicResult,
    TopicSpec,
    find_duplicates,
    score_draft,
    score_handbook,
    sentence_key,
)
from rag.load import discover, load_file
from rag.models import Citation

from .conftest import DEMO_VOCABULARY, ROOT

DOC, TITLE = "客服规范", "客服规范"
RESPONSE = "客服人员应在2小时内响应客户咨询。"
COMPLAINT = "客户投诉应在24小时内处理完毕。"
SALARY = "员工不得向他人透露本人薪酬。"


def cite(number: int, quote: str, section: str = f"{TITLE} > 一、时限", start: int = 0) -> Citation:
    return Citation(number, DOC, TITLE, section, quote, start, start + len(quote), 1.0)


def labels(*placements: tuple[str, set[str]]) -> Labels:
    """The topic "客服" is about section 一、时限 of the one document; sentences placed as given."""
    relevance = {"客服": [RelevanceLabel("客服", DOC, f"{TITLE} > 一、时限", None, "时限")]}
    placement = {sentence_key(DOC, q): PlacementLabel(DOC, q, frozenset(s), "") for q, s in placements}
    return Labels(relevance, placement)


def draft(*parts: tuple[DraftSection, list[Clause]], citations: list[Citation]) -> Draft:
    return Draft("客服", [DraftPart(section, clauses) for section, clauses in parts], citations)


def review(*topics: TopicResult) -> DraftReview:
    return DraftReview(list(topics), [])


REQUIREMENTS = DraftSection.REQUIREMENTS
TIMES = [cite(1, RESPONSE, start=10), cite(2, COMPLAINT, start=30)]


def test_an_irrelevant_clause_lowers_relevance():
    known = labels((RESPONSE, {"内容与要求"}), (SALARY, {"内容与要求"}))
    salary = cite(2, SALARY, section=f"{TITLE} > 二、保密", start=80)
    on_topic = draft((REQUIREMENTS, [Clause(RESPONSE, (1,))]), citations=TIMES[:1])
    clauses = [Clause(RESPONSE, (1,)), Clause(SALARY, (2,))]
    with_salary = draft((REQUIREMENTS, clauses), citations=[TIMES[0], salary])
    spec = TopicSpec("客服", "demo")
    assert review(TopicResult(spec, score_draft("客服", on_topic, known))).relevance == 1.0
    assert review(TopicResult(spec, score_draft("客服", with_salary, known))).relevance == 0.5


def test_a_repeated_span_counts_as_a_duplicate():
    again = draft(
        (REQUIREMENTS, [Clause(RESPONSE, (1,)), Clause(COMPLAINT, (2,))]),
        (DraftSection.PROCESS, [Clause("客服应及时响应。", (1,))]),  # other words, the same cited span
        citations=TIMES,
    )
    clauses = score_draft("客服", again, labels())
    assert find_duplicates(clauses) == [clauses[2]]
    assert review(TopicResult(TopicSpec("客服", "demo"), clauses)).draft_duplicate_rate == 1 / 3


def test_a_prompts_options_and_a_lists_items_are_not_duplicates_of_each_other():
    limits = (Clause(RESPONSE, (1,)), Clause("客服人员应在4小时内响应客户咨询。", (2,)))
    prompt = Clause("【待评审】关于响应时限，来源规定不一致，请选定其一：", (1, 2), options=limits)
    listed = Clause(
        "时限如下：", (3,), items=(Clause("电话咨询应在2小时内响应。", (4,)), Clause("邮件咨询应在2小时内响应。", (5,)))
    )
    spans = [cite(n, q, start=100 * n) for n, q in enumerate(["a", "b", "c", "d", "e"], 1)]
    scored = score_draft("客服", draft((REQUIREMENTS, [prompt, listed]), citations=spans), labels())
    assert len(scored) == 5 and not find_duplicates(scored)


def test_near_identical_text_in_a_later_chapter_counts_as_a_duplicate_in_the_handbook():
    first = draft((REQUIREMENTS, [Clause(RESPONSE, (1,))]), citations=[])
    second = draft((REQUIREMENTS, [Clause("客服人员应在2小时内响应客户的咨询。", (2,))]), citations=[])
    shared = [cite(1, RESPONSE, start=10), cite(2, "客服人员应在2小时内响应客户的咨询。", start=200)]
    handbook = score_handbook("demo", Handbook("手册", [first, second], shared), labels())
    assert [c.text for c in handbook.duplicates] == ["客服人员应在2小时内响应客户的咨询。"]
    assert DraftReview([], [handbook]).handbook_duplicate_rate == 0.5


def test_an_unlabelled_clause_counts_as_misplaced():
    both = draft((REQUIREMENTS, [Clause(RESPONSE, (1,)), Clause(COMPLAINT, (2,))]), citations=TIMES)
    scored = score_draft("客服", both, labels((RESPONSE, {"内容与要求"})))
    result = review(TopicResult(TopicSpec("客服", "demo"), scored))
    assert [c.text for c in result.unlabelled] == [COMPLAINT]
    assert result.placement == 0.5


def test_a_clause_outside_its_accepted_sections_is_misplaced():
    placed = draft((DraftSection.PURPOSE, [Clause(RESPONSE, (1,))]), citations=TIMES[:1])
    scored = score_draft("客服", placed, labels((RESPONSE, {"内容与要求"})))
    result = review(TopicResult(TopicSpec("客服", "demo"), scored))
    assert not result.unlabelled and result.placement == 0.0


def test_options_are_scored_instead_of_the_prompt():
    options = (Clause(RESPONSE, (1,)), Clause(COMPLAINT, (2,)))
    prompt = Clause("【待评审】关于响应时限，来源规定不一致，请选定其一：", (1, 2), options=options)
    scored = score_draft("客服", draft((REQUIREMENTS, [prompt]), citations=TIMES), labels())
    assert [(c.text, [x.id for x in c.citations]) for c in scored] == [(RESPONSE, [1]), (COMPLAINT, [2])]
    assert all(c.section == "内容与要求" for c in scored)


def test_a_lists_items_are_scored_after_its_lead_in():
    lead = cite(3, "时限如下：", start=0)
    listed = Clause("时限如下：", (3,), items=(Clause(RESPONSE, (1,)), Clause(COMPLAINT, (2,))))
    scored = score_draft("客服", draft((DraftSection.PROCESS, [listed]), citations=[*TIMES, lead]), labels())
    assert [c.text for c in scored] == ["时限如下：", RESPONSE, COMPLAINT]
    assert {c.section for c in scored} == {"流程"}


def test_a_quoted_article_is_placed_by_its_sentences():
    article = cite(1, f"第三条 {RESPONSE}\n{COMPLAINT}", start=5)
    known = labels((f"第三条 {RESPONSE}", {"内容与要求", "流程"}), (COMPLAINT, {"内容与要求"}))
    scored = score_draft("客服", draft((REQUIREMENTS, [Clause(article.quote, (1,))]), citations=[article]), known)
    assert scored[0].accepted == {"内容与要求"} and scored[0].placed


def test_a_must_decline_topic_that_produced_a_full_draft_is_not_handled():
    spec = TopicSpec("年假管理制度", "demo", must_decline=True)
    drafted = draft((REQUIREMENTS, [Clause(RESPONSE, (1,))]), citations=TIMES)
    full = TopicResult(spec, score_draft("年假管理制度", drafted, labels()))
    assert not full.handled
    assert TopicResult(spec, declined="现有文档未覆盖主题").handled
    assert TopicResult(spec, full.clauses, warnings=["本稿只有 1 条有来源支持的条款"]).handled
    bars = DraftSpec.load(ROOT / "eval/drafts/spec.json").bars
    assert any("年假管理制度" in f for f in review(full).failures(bars))


def test_a_test_split_topics_figures_are_reported_separately_and_do_not_fail_the_gate():
    known = labels((RESPONSE, {"内容与要求"}))
    on_topic = draft((REQUIREMENTS, [Clause(RESPONSE, (1,))]), citations=TIMES[:1])
    salary = cite(1, SALARY, section=f"{TITLE} > 二、保密", start=80)
    off_topic = draft((REQUIREMENTS, [Clause(SALARY, (1,))]), citations=[salary])
    dev = TopicResult(TopicSpec("客服", "demo"), score_draft("客服", on_topic, known))
    held_out = TopicResult(TopicSpec("客服", "demo", split="test"), score_draft("客服", off_topic, known))
    missed = TopicResult(TopicSpec("公司年假", "demo", must_decline=True, split="test"), held_out.clauses)
    result = review(dev, held_out, missed)
    bars = Bars(min_relevance=0.0, min_placement=0.5, max_duplicate_rate=0.05)
    totals = result.to_json(bars)["totals"]
    assert (totals["dev"]["relevance"], totals["test"]["relevance"], totals["all"]["relevance"]) == (1.0, 0.0, 0.5)
    assert totals["test"]["must_decline_handled"] == 0 and totals["test"]["must_decline"] == 1
    assert not result.failures(bars)  # an off-topic held-out draft and an unhandled held-out topic: reported only
    strict = Bars(min_relevance=0.85, min_placement=0.5, max_duplicate_rate=0.05)
    assert result.failures(strict) == ["全部主题条款相关率 50.0% 低于 85%"]  # the bars still apply to all topics


def test_the_committed_labels_cover_the_spec_and_quote_the_documents():
    spec = DraftSpec.load(ROOT / "eval/drafts/spec.json")
    committed = Labels.load(ROOT / "eval/drafts/labels.jsonl")
    assert len(spec.topics) >= 10 and sum(t.corpus != "demo" for t in spec.topics) >= 5
    assert {t.corpus for t in spec.topics if t.must_decline} == set(spec.corpora)
    assert {t.topic for t in spec.topics if not t.must_decline} == set(committed.relevance)
    texts = {}
    for name, corpus in spec.corpora.items():
        for path in discover([ROOT / p for p in corpus.paths]):
            document = load_file(path, ocr=False)
            texts[(name, document.doc_id)] = "".join(document.text.split())
    corpus_of = {t.topic: t.corpus for t in spec.topics}
    for topic, found in committed.relevance.items():
        for label in found:
            assert (corpus_of[topic], label.doc_id) in texts, label
            text = texts[(corpus_of[topic], label.doc_id)]
            assert label.quote is None or sentence_key(label.doc_id, label.quote)[1] in text, label
    documents = {doc_id: text for (_, doc_id), text in texts.items()}
    for key in committed.placement:
        assert key[1] in documents[key[0]], key


def test_rag_eval_draft_reports_and_fails_below_the_bars(index_copy, tmp_path):
    spec = {
        "corpora": {
            "index": {"paths": [str(ROOT / "corpus")], "handbook": "运营规范手册"}
            | {name: str(path) for name, path in DEMO_VOCABULARY.items()}  # as the copied index was built
        },
        "bars": {"min_relevance": 0.85, "min_placement": 0.8, "max_duplicate_rate": 0.05},
        "topics": [
            {"topic": "应急预案管理制度", "corpus": "index"},
            {"topic": "公司年假", "corpus": "index", "must_decline": True},
        ],
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "labels.jsonl").write_text("", encoding="utf-8")  # nothing relevant, nothing labelled
    command = [sys.executable, "-m", "rag.cli", "eval-draft", "--spec", str(tmp_path / "spec.json")]
    arguments = ["--labels", str(tmp_path / "labels.jsonl"), "--out", str(tmp_path / "out"), "--index", str(tmp_path)]
    run = subprocess.run([*command, *arguments], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "条款相关率 0.0%" in run.stderr and "公司年假" not in run.stderr  # declined, as it must be
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    totals = report["totals"]["all"]
    assert totals["clauses"] > 0 and totals["must_decline_handled"] == 1 and report["totals"]["test"]["topics"] == 0
    assert not (tmp_path / "out" / "unlabelled.jsonl").read_text(encoding="utf-8")  # only relevant clauses need one
