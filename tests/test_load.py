import pytest

from rag.errors import DocumentError
from rag.load import discover, doc_id_for, load_file, safe_file_name

TEXT = "客户服务规范\n一、响应时间\n客服人员应在两小时内响应客户咨询。\n"
TRADITIONAL = "客戶服務規範\n一、響應時間\n客服人員應在兩小時內響應客戶諮詢。\n"


@pytest.mark.parametrize(
    ("encoding", "text"),
    [("utf-8", TEXT), ("utf-8-sig", TEXT), ("gbk", TEXT), ("gb18030", TEXT), ("big5", TRADITIONAL)],
)
def test_chinese_encodings_are_decoded(tmp_path, encoding, text):
    path = tmp_path / f"doc-{encoding}.txt"
    path.write_bytes(text.encode(encoding))
    document = load_file(path)
    assert document.text == text


def test_empty_file_is_a_clear_error(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("  \n", encoding="utf-8")
    with pytest.raises(DocumentError, match="文件为空"):
        load_file(path)


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(DocumentError, match="路径不存在"):
        discover([tmp_path / "nope"])


def test_discover_finds_supported_files_in_order(tmp_path):
    (tmp_path / "b.md").write_text("乙", encoding="utf-8")
    (tmp_path / "a.txt").write_text("甲", encoding="utf-8")
    (tmp_path / "skip.bin").write_bytes(b"x")
    assert [p.name for p in discover([tmp_path])] == ["a.txt", "b.md"]


def test_ids_and_hashes_are_stable(tmp_path):
    path = tmp_path / "运营 规范(2024).txt"
    path.write_text(TEXT, encoding="utf-8")
    first, second = load_file(path), load_file(path)
    assert first.doc_id == second.doc_id == "运营_规范_2024"
    assert first.content_hash == second.content_hash


def test_uploaded_names_lose_their_directories():
    assert safe_file_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_file_name("C:\\Users\\制度.docx") == "制度.docx"
    assert doc_id_for("../../制度 (2024).docx") == "制度_2024"
    assert doc_id_for("..").startswith("doc-") and doc_id_for("..") != doc_id_for("....txt")
