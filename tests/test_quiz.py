"""Quiz mode: items made from the demo corpus's clauses, answers checked on the server, over real HTTP
with access groups, the `rag quiz` command, and the labelled review the eval gates on."""

import json
import os
import re
import subprocess
import sys

import opencc
import pytest

from rag.access import OPEN_ACCESS
from rag.config import ApiKey
from rag.draft import TopicNotCoveredError
from rag.ingest import IngestOptions, Ingestor
from rag.normalize import normalize, strip_annotations
from rag.quiz import BLANK, AnswerChecker, BlankKind, ItemKind, QuizMaker, StaleItemError, answer_form, blanks_in
from rag.quizeval import QuizReview, QuizSpec, generate, load_labels
from rag.service import Assistant, Engine

from .conftest import DEMO_VOCABULARY, ROOT, settings_for

TOPICS = ("客户服务", "应急预案", "培训", "合规", "系统故障", "目标")
READER, HR = "reader-key", "hr-key"
PUBLIC = (
    "客服规范\n一、响应时限\n客服人员应在2小时内响应客户咨询。\n客户投诉应在24小时内处理完毕。\n"
    "服务结束后应在3天内完成满意度回访。\n二、术语\n首问负责制：第一位接待客户的客服人员负责跟进到问题解决。\n"
    "升级处理：超出一线权限的问题转交二线专家处理。\n"
)
SALARY = (
    "薪酬规定\n一、发放时限\n工资应在每月10日前发放。\n年终奖金应在年度考核结束后30天内发放。\n"
    "调薪申请应在5个工作日内完成审批。\n二、保密\n员工不得向他人透露本人薪酬。\n"
)


@pytest.fixture(scope="module")
def assistant(corpus_index):
    return Assistant(engine=Engine(corpus_index), access=OPEN_ACCESS)


@pytest.fixture(scope="module")
def items(assistant):
    return [item for topic in TOPICS for item in QuizMaker(assistant).run(topic, 20, seed=3).items]


def test_each_blank_is_cut_from_its_cited_clause(assistant, items):
    assert len(items) >= 30
    for item in items:
        text = assistant.text(item.citation.doc_id)
        quote = item.citation.quote
        assert text[item.citation.start : item.citation.end] == quote  # the citation points at the clause
        assert item.answer in strip_annotations(quote)
        assert item.stem.count(BLANK) == 1
        assert item.stem.replace(BLANK, item.answer) in strip_annotations(quote)  # the clause, nothing added
        blank_start, blank_end = map(int, item.ref.rsplit(":", 1)[1].split("-"))
        assert strip_annotations(text[blank_start:blank_end]) == item.answer
        assert answer_form(item.answer) not in answer_form(item.stem)  # the stem does not give it away
    assert {i.blank for i in items} == set(BlankKind) and {i.kind for i in items} == set(ItemKind)


def test_distractors_are_other_clauses_values_of_the_same_kind(assistant, items):
    choices = [i for i in items if i.kind is ItemKind.CHOICE]
    assert choices
    for item in choices:
        assert item.options.count(item.answer) == 1
        assert len({answer_form(o) for o in item.options}) == len(item.options) >= 3
        document = normalize(strip_annotations(assistant.text(item.citation.doc_id)))
        clause = answer_form(item.citation.quote)
        for option in item.options:
            if option == item.answer:
                continue
            assert normalize(option) in document  # a sibling clause of the same document states it
            assert answer_form(option) not in clause  # and the cited clause does not
            if item.blank is BlankKind.FIGURE:
                assert [b.text for b in blanks_in(option, 0) if b.kind is BlankKind.FIGURE] == [option]


def test_the_same_seed_gives_the_same_quiz(assistant):
    maker = QuizMaker(assistant)
    first, again = maker.run("应急预案", 4, seed=11), maker.run("应急预案", 4, seed=11)
    assert [(i.key, i.options) for i in first.items] == [(i.key, i.options) for i in again.items]
    assert first.seed == 11 and len(first.items) == 4


def test_checking_accepts_width_and_script_variants_and_rejects_a_wrong_answer(assistant, items):
    checker = AnswerChecker(assistant)
    figure = next(i for i in items if i.blank is BlankKind.FIGURE and re.match(r"\d", i.answer))
    full_width = figure.answer.translate({c: c + 0xFEE0 for c in range(ord("0"), ord("9") + 1)})
    assert full_width != figure.answer and checker.run(figure.ref, f" {full_width}内 ").correct
    wrong = next(o for o in figure.options if o != figure.answer) if figure.options else "999小时"
    result = checker.run(figure.ref, wrong)
    assert not result.correct and result.answer == figure.answer
    assert strip_annotations(figure.citation.quote) in result.explanation
    assert result.citation == figure.citation

    traditional = next(i for i in items if normalize(i.answer) != i.answer)  # written in Traditional script
    assert checker.run(traditional.ref, normalize(traditional.answer)).correct
    simplified = next(
        i for i in items if i.blank is BlankKind.TERM and opencc.OpenCC("s2t").convert(i.answer) != i.answer
    )
    assert checker.run(simplified.ref, opencc.OpenCC("s2t").convert(simplified.answer)).correct
    assert not checker.run(simplified.ref, simplified.answer[:-1]).correct  # half the term is not the term
    assert strip_annotations(simplified.citation.quote) in checker.run(simplified.ref, "错").explanation


def test_a_topic_the_documents_do_not_cover_is_refused(assistant):
    with pytest.raises(TopicNotCoveredError, match="未涉及"):
        QuizMaker(assistant).run("公司年假", 5)


def test_an_invented_ref_is_refused(assistant, items):
    item = items[0]
    doc_id, revision, clause, blank = item.ref.rsplit(":", 3)
    start, end = map(int, blank.split("-"))
    from rag.errors import InvalidQuestionError

    with pytest.raises(InvalidQuestionError):
        AnswerChecker(assistant).run(f"{doc_id}:{revision}:{clause}:{start + 1}-{end}", item.answer)
    with pytest.raises(StaleItemError):
        AnswerChecker(assistant).run(f"{doc_id}:{int(revision) + 1}:{clause}:{blank}", item.answer)


@pytest.fixture
def tiny_server(client_for, tmp_path):
    settings = settings_for(
        tmp_path / "index",
        api_keys=[ApiKey(key=READER, groups=["public"]), ApiKey(key=HR, name="hr", groups=["public", "hr"])],
    )
    (tmp_path / "客服规范.txt").write_text(PUBLIC, encoding="utf-8")
    (tmp_path / "薪酬规定.txt").write_text(SALARY, encoding="utf-8")
    Ingestor(settings).run([tmp_path / "客服规范.txt"])
    Ingestor(settings).run([tmp_path / "薪酬规定.txt"], options=IngestOptions(groups=("hr",)))
    return client_for(settings), settings, tmp_path


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_over_http_a_reader_is_quizzed_and_checked_only_on_its_documents(tiny_server):
    server, settings, folder = tiny_server
    assert server.post("/quiz", json={"topic": "客户"}).status_code == 401

    quiz = server.post("/quiz", json={"topic": "客户", "count": 5, "seed": 2}, headers=auth(READER))
    assert quiz.status_code == 200, quiz.text
    body = quiz.json()
    assert body["seed"] == 2 and body["items"]
    assert {i["source"]["doc_id"] for i in body["items"]} == {"客服规范"}
    assert all("answer" not in i and "quote" not in i["source"] for i in body["items"])  # no key in the page

    choice = next(i for i in body["items"] if i["kind"] == "choice")
    checks = [
        server.post("/quiz/check", json={"ref": choice["ref"], "answer": o}, headers=auth(READER))
        for o in choice["options"]
    ]
    assert [c.status_code for c in checks] == [200] * len(checks)
    assert sum(c.json()["correct"] for c in checks) == 1  # exactly one option is right
    right = next(c.json() for c in checks if c.json()["correct"])
    assert right["citation"]["doc_id"] == "客服规范" and right["answer"] in right["citation"]["quote"]
    assert right["citation"]["quote"] in right["explanation"]

    salary = server.post("/quiz", json={"topic": "年终奖金发放", "seed": 1}, headers=auth(HR))
    assert salary.status_code == 200, salary.text
    assert {i["source"]["doc_id"] for i in salary.json()["items"]} == {"薪酬规定"}
    hidden = server.post("/quiz", json={"topic": "年终奖金发放"}, headers=auth(READER))
    assert hidden.status_code == 422 and "未涉及" in hidden.json()["detail"] and "薪酬" not in hidden.json()["detail"]
    salary_item = salary.json()["items"][0]
    assert "年终奖金" in salary_item["stem"]  # the one clause on it: 30天, as the fixture document states
    salary_ref = salary_item["ref"]
    assert (
        server.post("/quiz/check", json={"ref": salary_ref, "answer": "30天"}, headers=auth(READER)).status_code == 404
    )
    assert server.post("/quiz/check", json={"ref": salary_ref, "answer": "三十天"}, headers=auth(HR)).json()["correct"]

    uncovered = server.post("/quiz", json={"topic": "公司年假"}, headers=auth(HR))
    assert uncovered.status_code == 422 and "未涉及" in uncovered.json()["detail"]
    assert server.post("/quiz", json={"topic": "客户", "count": 0}, headers=auth(READER)).status_code == 422

    (folder / "薪酬规定.txt").write_text(SALARY.replace("30天", "15天"), encoding="utf-8")
    Ingestor(settings).run([folder / "薪酬规定.txt"], options=IngestOptions(groups=("hr",)))
    stale = server.post("/quiz/check", json={"ref": salary_ref, "answer": "30天"}, headers=auth(HR))
    assert stale.status_code == 409 and "已更新" in stale.json()["detail"]


def rag_quiz(data_dir, *args: str, answers: str = "") -> subprocess.CompletedProcess:
    env = (
        os.environ | {f"RAG_{n.upper()}": str(p) for n, p in DEMO_VOCABULARY.items()} | {"RAG_DATA_DIR": str(data_dir)}
    )
    command = [sys.executable, "-m", "rag.cli", "quiz", *args]
    return subprocess.run(command, input=answers, capture_output=True, text=True, env=env, timeout=300)


def test_rag_quiz_prints_items_as_json_and_scores_answers_read_from_stdin(corpus_index):
    listed = rag_quiz(corpus_index.data_dir, "应急预案", "--count", "2", "--seed", "5", "--json")
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)["items"]
    assert len(items) == 2 and all(i["answer"] and i["citation"]["quote"] for i in items)

    answers = f"{items[0]['answer']}\n不是这个\n"
    played = rag_quiz(corpus_index.data_dir, "应急预案", "--count", "2", "--seed", "5", answers=answers)
    assert played.returncode == 0, played.stderr
    assert items[0]["stem"] in played.stdout and items[1]["stem"] in played.stdout
    assert "回答正确" in played.stdout and f"正确答案是“{items[1]['answer']}”" in played.stdout
    assert strip_annotations(items[1]["citation"]["quote"]) in played.stdout
    assert "得分：1 / 2" in played.stdout


def test_the_labelled_review_still_matches_what_the_generator_makes(corpus_index):
    spec = QuizSpec.load(ROOT / "eval" / "quiz" / "spec.json")
    made = generate(Assistant(engine=Engine(corpus_index)), spec)
    committed = [json.loads(line)["key"] for line in (ROOT / "eval/quiz/items.jsonl").read_text().splitlines()]
    assert [item.key for _, item in made] == committed
    review = QuizReview(made, load_labels(ROOT / "eval" / "quiz" / "labels.jsonl"))
    assert not review.unlabelled and len(review.good) >= 25

    partial = QuizReview(made, dict(list(review.labels.items())[:10]))  # labels missing: not counted as good
    assert len(partial.unlabelled) == len(made) - 10 and len(partial.good) <= 10


def test_rag_eval_quiz_fails_below_the_bar_and_reports_unlabelled_items(index_copy, tmp_path):
    labels = (ROOT / "eval" / "quiz" / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    (tmp_path / "some.jsonl").write_text("\n".join(labels[:20]) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "rag.cli", "eval-quiz", "--index", str(index_copy.data_dir)]

    def run(labels_path) -> subprocess.CompletedProcess:
        arguments = ["--labels", str(labels_path), "--items-out", str(tmp_path / "items.jsonl")]
        return subprocess.run([*command, *arguments], capture_output=True, text=True, cwd=ROOT, timeout=300)

    short = run(tmp_path / "some.jsonl")
    assert short.returncode == 1, short.stderr
    assert sum(line.startswith("未标注 ") for line in short.stdout.splitlines()) == len(labels) - 20
    assert f"20 / {len(labels)}" in short.stdout
    passing = run(ROOT / "eval" / "quiz" / "labels.jsonl")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    made = [json.loads(line)["key"] for line in (tmp_path / "items.jsonl").read_text().splitlines()]
    assert made == [json.loads(line)["key"] for line in labels]
