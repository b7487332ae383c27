from rag.sentences import split_sentences


def test_sentences_end_at_chinese_punctuation_and_newlines():
    text = "第一句。第二句！第三句？第四句；\n- 列表项：内容\n"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["第一句。", "第二句！", "第三句？", "第四句；", "列表项：内容"]


def test_spans_respect_the_given_window():
    text = "前文。要的句子。后文。"
    start = text.index("要")
    assert [text[s:e] for s, e in split_sentences(text, start, start + 5)] == ["要的句子。"]


def test_punctuation_only_lines_are_not_sentences():
    assert split_sentences("-\n——\n。") == []
