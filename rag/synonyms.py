"""Query expansion by synonym groups: colloquial, paraphrased and English questions meet the text.

Each group is a set of normalised alternatives; a question that mentions one member is matched
against all of them, both by BM25 and by the coverage check that decides whether to answer.
Groups are a company's vocabulary, deployment data it supplies through `RAG_SYNONYMS` (the demo's
are in `deploy/demo/`); none ship with the package, so nothing fitted to one corpus is in the code path.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from rag.normalize import normalize

_LATIN = re.compile(r"^[a-z0-9 ]+$")


@dataclass(frozen=True)
class Expansion:
    residual: str  # the question with matched English phrases removed
    groups: list[frozenset[str]]  # groups mentioned by the question


def _parse(text: str) -> list[frozenset[str]]:
    groups = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            members = frozenset(normalize(m.strip()) for m in line.split("|") if m.strip())
            if len(members) > 1:
                groups.append(members)
    return groups


class Synonyms:
    def __init__(self, extra: Path | None = None) -> None:
        text = extra.read_text(encoding="utf-8") if extra is not None else ""
        self.groups = _parse(text)
        self._members = sorted(
            ((member, group) for group in self.groups for member in group), key=lambda pair: -len(pair[0])
        )

    def expand(self, normalized_query: str) -> Expansion:
        """Groups the question mentions; English members are matched as whole words and cut out."""
        residual = normalized_query
        mentioned: list[frozenset[str]] = []
        # Longest members first, so "code review" is taken whole before "review" alone.
        for member, group in self._members:
            if group in mentioned:
                continue
            if _LATIN.match(member):
                pattern = re.compile(rf"(?<![a-z]){re.escape(member)}(?![a-z])")
                if pattern.search(residual):
                    residual = pattern.sub(" ", residual)
                    mentioned.append(group)
            elif len(member) >= 2 and member in normalized_query:
                mentioned.append(group)
        return Expansion(residual=residual, groups=mentioned)

    def forms(self, term: str) -> frozenset[str]:
        """The term and every member of each group it belongs to."""
        found = {term}
        for group in self.groups:
            if term in group:
                found |= group
        return frozenset(found)
