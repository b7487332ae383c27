"""A table's rows stay with its header: in the chunk, or as the section label when it is split."""

from rag.chunk import Chunker
from rag.clean import Cleaner
from rag.models import SourceDocument
from rag.tokenize import Tokenizer

HEADER = "级别 | 一线城市 | 二线城市"


def chunks_of(text, max_tokens=160, overlap=0):
    return Chunker(Tokenizer(None), max_tokens, overlap).run(Cleaner().run(SourceDocument("d", "d.txt", text, "h")))


def test_a_small_table_is_one_chunk_with_its_header():
    text = f"差旅标准\n住宿标准如下表。\n{HEADER}\n经理 | 600元 | 450元\n员工 | 400元 | 300元\n"
    chunks = chunks_of(text)
    assert len(chunks) == 1 and HEADER in chunks[0].text and "经理 | 600元 | 450元" in chunks[0].text


def test_a_split_table_labels_rows_below_the_header_with_it():
    rows = "".join(f"职级{n} | {600 - n * 10}元 | {450 - n * 10}元\n" for n in range(30))
    text = f"差旅标准\n{HEADER}\n{rows}"
    chunks = chunks_of(text, max_tokens=40)
    assert len(chunks) > 1
    assert chunks[0].text.startswith(HEADER) and chunks[0].section == ()
    for chunk in chunks[1:]:
        assert chunk.section == (HEADER,) and text[chunk.start : chunk.end] == chunk.text
