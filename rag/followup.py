"""Follow-up questions: an elliptical question is completed from the previous one, by grammar alone.

"那IT故障呢？" after "客户服务的响应时间标准是多少？" asks the same thing of another subject: it is
answered as "IT故障的响应时间标准是多少？". A question is a follow-up only when it says so, by a leading
connective (那, 那么, 还有, 如果是…, or any conjunction) or a closing 呢, and lacks a part of a question
of its own:

- no question focus (什么, 哪些, 多久, 几, 吗, A不A…): it names a new subject, which replaces the words
  of the previous question it parallels (those ending in a word that shares its head noun: 解决时间 for
  响应时间), else the previous question's topic, the words before its first verb;
- a focus but no noun of its own ("那怎么考核？"): the previous topic is put in front of it.

Anything else is a question of its own and is left as asked. The rules read jieba's parts of speech
(`Tokenizer.tagged`), so no word list of subjects or questions is involved.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.normalize import normalize
from rag.tokenize import WORD_CHAR, Tokenizer

# Words that mark continuing a conversation; a conjunction (flag c: 如果, 要是, 另外) marks it as well.
_CONNECTIVES = frozenset({"那", "那么", "还有", "至于", "换成"})
_DISCOURSE = frozenset({"那", "那么"})  # carry no meaning of their own: dropped when a subject is prefixed
# What a question asks: the closed class of Chinese question words, a 吗 question, or an A不A form (有没有).
_FOCUS = re.compile(
    r"什么|哪|怎|如何|多少|多久|多长|多大|多高|多远|几|谁|为何|是否|能否|可否|吗|([\u3400-\u9fff])[不没]\1"
)
_TRAILING = frozenset({"呢", "啊", "呀", "吧", "的"})  # closing particles outside a follow-up's noun phrase
_NOMINAL = ("n", "eng", "j", "vn")  # nouns, names, abbreviations, verbs used as nouns (管理, 交付)
_SUBJECT = ("n", "eng", "j")  # a noun that can be what a question is about; a time word (t) is not
# Words that end a phrase: particles (的), conjunctions, prepositions, pronouns; a topic also ends at a verb or adverb.
_PHRASE_END = ("u", "y", "c", "p", "r")
_TOPIC_END = (*_PHRASE_END, "v", "d")


@dataclass(frozen=True)
class _Word:
    text: str  # as the question wrote it
    norm: str  # in matching form
    flag: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        return bool(WORD_CHAR.search(self.text))


class FollowUpResolver:
    """Pipeline stage: (question, previous questions) → the question to answer."""

    def __init__(self, tokenizer: Tokenizer, normalize_enabled: bool = True) -> None:
        self.tokenizer = tokenizer
        self.normalize_enabled = normalize_enabled

    def run(self, question: str, history: Sequence[str] = ()) -> str:
        """`question` completed from the turns before it, oldest first; each earlier turn is resolved the
        same way first, so a chain of follow-ups keeps its subject."""
        previous = None
        for turn in [*history, question]:
            previous = turn if previous is None else self.resolve(turn, previous)
        return previous if previous is not None else question

    def resolve(self, question: str, previous: str) -> str:
        words = self._words(question)
        body = _after_connectives(words)
        marked = len(body) < len([w for w in words if w.is_word]) or _closing(words) == "呢"
        core = _without_trailing(body)
        if not marked or not core:
            return question
        before = _after_connectives(self._words(previous))
        topic = _topic(before)
        if not _FOCUS.search("".join(w.norm for w in core)):
            span = self._replaced_span(core, before, len(topic))
            if span is None:  # the topic; in front of the question when it has none
                at = before[0].start if before else 0
                span = (topic[0].start, topic[-1].end) if topic else (at, at)
            return previous[: span[0]] + question[core[0].start : core[-1].end] + previous[span[1] :]
        if topic and not any(w.flag.startswith(_SUBJECT) for w in core):
            lead = next((w.start for w in words if w.is_word and w.norm not in _DISCOURSE), len(question))
            return previous[topic[0].start : topic[-1].end] + question[lead:]
        return question

    def _replaced_span(self, subject: list[_Word], before: list[_Word], topic: int) -> tuple[int, int] | None:
        """Where the previous question has the words a new subject parallels: a word sharing the subject's
        head (its last noun) and, within the same phrase, as many words before it as the head has; all of
        the topic (its first `topic` words) up to that word when it lies there, as 网络故障 for IT系统故障."""
        heads = [i for i, w in enumerate(subject) if w.flag.startswith(_NOMINAL)]
        head = heads[-1] if heads else len(subject) - 1
        forms = self._forms(subject[head])
        for index, word in enumerate(before):
            if not _ends_phrase(word) and self._forms(word) & forms:
                first = 0 if index < topic else index
                while first > index - head and first > 0 and not _ends_phrase(before[first - 1]):
                    first -= 1
                return before[first].start, word.end
        return None

    def _forms(self, word: _Word) -> set[str]:
        return {word.norm, *self.tokenizer.sub_words(word.norm)}

    def _words(self, text: str) -> list[_Word]:
        """Tagged words with offsets into `text`. Tagged in matching form (Simplified, half-width), which
        jieba's dictionary knows, when that keeps every character in place; else as written."""
        normalized = normalize(text, self.normalize_enabled)
        aligned = len(normalized) == len(text)
        words, offset = [], 0
        for word, flag in self.tokenizer.tagged(normalized if aligned else text):
            end = offset + len(word)
            words.append(_Word(text[offset:end], word if aligned else normalize(word), flag, offset, end))
            offset = end
        return words


def _ends_phrase(word: _Word) -> bool:
    return not word.is_word or word.flag.startswith(_PHRASE_END) or bool(_FOCUS.search(word.norm))


def _topic(words: list[_Word]) -> list[_Word]:
    """What a question is about: its words before the first verb, particle or question word (客户服务 in
    客户服务的响应时间标准是多少？, 公司年假 in 公司年假有几天？); empty when it opens with one."""
    topic: list[_Word] = []
    for word in words:
        if _ends_phrase(word) or (word.flag.startswith(_TOPIC_END) and not word.flag.startswith("vn")):
            break
        topic.append(word)
    return topic


def _after_connectives(words: list[_Word]) -> list[_Word]:
    """The words after a leading run of connectives, and the 是 or preposition they bring (如果是, 那么对于)."""
    content = [w for w in words if w.is_word]
    index = 0
    while index < len(content) and (content[index].norm in _CONNECTIVES or content[index].flag == "c"):
        index += 1
    if index:
        while index < len(content) and (content[index].norm == "是" or content[index].flag == "p"):
            index += 1
    return content[index:]


def _closing(words: list[_Word]) -> str:
    return next((w.norm for w in reversed(words) if w.is_word), "")


def _without_trailing(words: list[_Word]) -> list[_Word]:
    end = len(words)
    while end and words[end - 1].norm in _TRAILING:
        end -= 1
    return words[:end]
