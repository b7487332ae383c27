"""One loaded tokenizer per dictionary file and process, and a new one once the file is edited."""

import os

from rag.tokenize import shared_tokenizer


def test_the_same_dictionary_shares_one_tokenizer(tmp_path):
    user_dict = tmp_path / "terms.txt"
    user_dict.write_text("巡检工单 100 n\n", encoding="utf-8")
    assert shared_tokenizer(user_dict) is shared_tokenizer(user_dict)
    assert shared_tokenizer(None) is not shared_tokenizer(user_dict)


def test_an_edited_dictionary_gives_a_tokenizer_that_knows_the_new_term(tmp_path):
    user_dict = tmp_path / "terms.txt"
    user_dict.write_text("巡检工单 100 n\n", encoding="utf-8")
    before = shared_tokenizer(user_dict)
    assert "配送签收单" not in before.words("配送签收单")
    user_dict.write_text("巡检工单 100 n\n配送签收单 100 n\n", encoding="utf-8")
    stat = user_dict.stat()
    os.utime(user_dict, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    after = shared_tokenizer(user_dict)
    assert after is not before and "配送签收单" in after.words("配送签收单")
