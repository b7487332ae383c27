"""Check eval/company/questions.jsonl against the corpus text exactly as the product extracts it.

For every answerable item: each `doc` names a corpus file; each quote is 8–20 characters, on one
line and a verbatim substring of that document's text (`rag.load.load_file(path).text`); each
key point occurs verbatim in the document, inside the clause of one of the item's quotes, and is
not a substring of the question. For every decline item: the 3 corpus lines most similar to the
question by character overlap are printed, to confirm by eye that none answers it.

Run:  /work/main/.venv/bin/python eval/company/check_labels.py
Exit status 1 when any problem is found.
"""

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from rag.load import load_file  # noqa: E402

ANSWER_KEYS = {"id", "kind", "question", "relevant", "key_points", "split"}
DECLINE_KEYS = {"id", "kind", "question", "relevant", "refusal", "split"}
CLAUSE_START = re.compile(r"^(#|第[一二三四五六七八九十百零]+[条章])")
WORD_CHAR = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")


def load_corpus() -> dict[str, str]:
    return {path.stem: load_file(path).text for path in sorted((HERE / "corpus").iterdir()) if path.is_file()}


def clauses(text: str) -> list[str]:
    """A clause: a 第X条 / heading line plus the lines after it (items, steps, table rows, wraps)."""
    blocks: list[list[str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if CLAUSE_START.match(line.strip()) or not blocks:
            blocks.append([line])
        else:
            blocks[-1].append(line)
    return ["\n".join(block) for block in blocks]


def clause_of(text: str, quote: str) -> str | None:
    for clause in clauses(text):
        if quote in clause:
            return clause
    return None


def chars(text: str) -> set[str]:
    return set(WORD_CHAR.findall(text))


def bigrams(text: str) -> set[str]:
    kept = "".join(WORD_CHAR.findall(text))
    return {kept[i : i + 2] for i in range(len(kept) - 1)}


def similar_lines(question: str, corpus: dict[str, str], n: int = 3) -> list[tuple[float, str, str]]:
    q_chars, q_bigrams = chars(question), bigrams(question)
    scored = []
    for doc, text in corpus.items():
        for line in text.splitlines():
            if not line.strip():
                continue
            score = 2 * len(q_bigrams & bigrams(line)) + len(q_chars & chars(line))
            scored.append((score, doc, line.strip()))
    scored.sort(key=lambda item: -item[0])
    return scored[:n]


def main() -> int:
    corpus = load_corpus()
    lines = (HERE / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    problems: list[str] = []
    ids = Counter(item.get("id") for item in items)
    problems += [f"duplicate id {id_}" for id_, count in ids.items() if count > 1]
    counts: Counter = Counter()
    declines = []
    for item in items:
        id_, kind, question = item.get("id"), item.get("kind"), item.get("question", "")
        counts[(kind, item.get("split"))] += 1
        if item.get("split") not in ("dev", "test"):
            problems.append(f"{id_}: split must be dev or test")
        if kind == "company":
            if set(item) != ANSWER_KEYS:
                problems.append(f"{id_}: keys {sorted(item)} != {sorted(ANSWER_KEYS)}")
            rel = item.get("relevant") or []
            if not rel:
                problems.append(f"{id_}: no relevant passages")
            answer_clauses = []
            for r in rel:
                doc, quote = r.get("doc"), r.get("quote", "")
                if doc not in corpus:
                    problems.append(f"{id_}: doc {doc!r} is not a corpus file stem")
                    continue
                if not 8 <= len(quote) <= 20:
                    problems.append(f"{id_}: quote {quote!r} is {len(quote)} chars (want 8–20)")
                if "\n" in quote:
                    problems.append(f"{id_}: quote {quote!r} crosses a line break")
                if quote not in corpus[doc]:
                    problems.append(f"{id_}: quote {quote!r} not in {doc}")
                    continue
                answer_clauses.append(clause_of(corpus[doc], quote) or "")
            key_points = item.get("key_points") or []
            if not key_points:
                problems.append(f"{id_}: no key_points")
            docs = {r.get("doc") for r in rel if r.get("doc") in corpus}
            for key in key_points:
                if key in question:
                    problems.append(f"{id_}: key point {key!r} is a substring of the question")
                if not any(key in corpus[doc] for doc in docs):
                    problems.append(f"{id_}: key point {key!r} not in {sorted(docs)}")
                elif not any(key in clause for clause in answer_clauses):
                    problems.append(f"{id_}: key point {key!r} is not inside the clause of any quote")
        elif kind == "company_decline":
            if set(item) != DECLINE_KEYS:
                problems.append(f"{id_}: keys {sorted(item)} != {sorted(DECLINE_KEYS)}")
            if item.get("relevant") != [] or item.get("refusal") != "not_covered":
                problems.append(f"{id_}: decline items need relevant [] and refusal not_covered")
            declines.append(item)
        else:
            problems.append(f"{id_}: unknown kind {kind!r}")

    print(f"corpus: {len(corpus)} documents, {sum(len(t) for t in corpus.values())} characters extracted")
    for doc, text in corpus.items():
        print(f"  {doc}: {len(text)} chars, {len(clauses(text))} clauses/headings")
    print(f"items: {len(items)}")
    for (kind, split), count in sorted(counts.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        print(f"  {kind} / {split}: {count}")
    print("\ndecline items: the 3 most similar corpus lines (check that none answers)")
    for item in declines:
        print(f"- {item['id']} {item['question']}")
        for score, doc, line in similar_lines(item["question"], corpus):
            print(f"    [{score:>2}] {doc}: {line[:70]}")
    print(f"\n{len(problems)} problems")
    for problem in problems:
        print("  " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
