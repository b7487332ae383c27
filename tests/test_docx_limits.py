"""A DOCX that inflates to gigabytes or expands entities is refused as a bad document, and the rest of its batch
is indexed: by the loader, by an upload over real HTTP, and by `rag ingest`."""

import io
import re
import zipfile
from pathlib import Path

import pytest

from rag.config import ApiKey
from rag.errors import DocumentError
from rag.extract import docx_to_text

from .conftest import settings_for
from .files import write_docx
from .test_cli import POLICY, rag

ADMIN = "admin-key-123"
ZIP_BOMB = "解压后有 6[01] MB，超过上限 50 MB"
XML_BOMB = "含有 DOCTYPE 或实体声明"


def word_file(tmp_path: Path) -> bytes:
    sections = [("一、响应时间", ["客服人员应在两小时内响应客户咨询。"])]
    return write_docx(tmp_path / "base.docx", "客服规范", sections).read_bytes()


def repacked(docx: bytes, parts: dict[str, bytes]) -> bytes:
    """The same Word file with `parts` replaced or added, compressed as Word does."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        names = source.namelist()
        for name in names:
            target.writestr(name, parts.get(name, source.read(name)))
        for name in parts.keys() - names:
            target.writestr(name, parts[name])
    return out.getvalue()


def truncated(data: bytes, part: str) -> bytes:
    """The same Office file with the first half of `part` only: a damaged file."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read(part)
    return repacked(data, {part: xml[: len(xml) // 2]})


def write_bombs(good: bytes, folder: Path, suffix: str, media: str, part: str, root: str) -> None:
    """Beside a good Office file: `bomb` (its `media` member inflating to 60 MB) and `laughs` (its `part`
    declaring entities before its `root` element)."""
    (folder / f"bomb{suffix}").write_bytes(repacked(good, {media: bytes(60 * 1024 * 1024)}))
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        xml = archive.read(part).decode()
    entities = f'<!DOCTYPE {root} [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    (folder / f"laughs{suffix}").write_bytes(
        repacked(good, {part: xml.replace(f"<{root}", entities + f"<{root}", 1).encode()})
    )


def zip_bomb(tmp_path: Path) -> bytes:
    """60 MB of zeros in a part: about 60 KB on the wire."""
    return repacked(word_file(tmp_path), {"word/media/image1.png": bytes(60 * 1024 * 1024)})


def billion_laughs(tmp_path: Path) -> bytes:
    """document.xml with nested entities: nine levels of ten, a billion "lol"s if expanded."""
    entities = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    with zipfile.ZipFile(io.BytesIO(word_file(tmp_path))) as source:
        document = source.read("word/document.xml").decode()
    prolog, body = document.split("?>", 1)
    body = body.replace("客服人员", "&l9;", 1)
    document = f"{prolog}?><!DOCTYPE w:document [{entities}]>{body}"
    return repacked(word_file(tmp_path), {"word/document.xml": document.encode()})


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    data = zip_bomb(tmp_path)
    assert len(data) < 200_000
    with pytest.raises(DocumentError, match=ZIP_BOMB):
        docx_to_text(data, "bomb.docx")


def test_declared_sizes_cannot_be_forged_past(tmp_path):
    """A part whose directory entry claims 1 KB but holds 60 MB is cut at 1 KB and fails its checksum."""
    data = bytearray(zip_bomb(tmp_path))
    entry = data.rfind(b"PK\x01\x02", 0, data.rfind(b"word/media/image1.png"))
    data[entry + 24 : entry + 28] = (1024).to_bytes(4, "little")  # the central directory's uncompressed size
    with pytest.raises(DocumentError, match="DOCX 文件已损坏"):
        docx_to_text(bytes(data), "forged.docx")


def test_entity_declarations_are_refused(tmp_path):
    with pytest.raises(DocumentError, match=f"word/document.xml {XML_BOMB}"):
        docx_to_text(billion_laughs(tmp_path), "laughs.docx")
    external = '<?xml version="1.0"?><!DOCTYPE r SYSTEM "file:///etc/passwd"><Types/>'.encode("utf-16")
    with pytest.raises(DocumentError, match=XML_BOMB):
        docx_to_text(repacked(word_file(tmp_path), {"[Content_Types].xml": external}), "external.docx")


def test_a_plain_word_file_still_reads(tmp_path):
    assert "客服人员应在两小时内响应客户咨询。" in docx_to_text(word_file(tmp_path), "good.docx")


def test_an_upload_batch_lists_them_as_failed_and_indexes_the_rest(client_for, tmp_path):
    client = client_for(settings_for(tmp_path / "index", api_keys=[ApiKey(key=ADMIN, admin=True)]))
    auth = {"Authorization": f"Bearer {ADMIN}"}
    files = [
        ("files", ("客服.txt", POLICY.encode())),
        ("files", ("bomb.docx", zip_bomb(tmp_path))),
        ("files", ("laughs.docx", billion_laughs(tmp_path))),
    ]
    response = client.post("/documents", files=files, headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["added"] == ["客服"]
    reasons = {f["file"]: f["reason"] for f in body["failed"]}
    assert re.search(ZIP_BOMB, reasons["bomb.docx"]) and XML_BOMB in reasons["laughs.docx"]
    answer = client.post("/ask", json={"question": "客服多久必须响应？"}, headers=auth).json()
    assert "两小时内" in " ".join(c["quote"] for c in answer["citations"])


def test_rag_ingest_reports_each_in_one_line_and_indexes_the_rest(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text(POLICY, encoding="utf-8")
    (docs / "bomb.docx").write_bytes(zip_bomb(tmp_path))
    (docs / "laughs.docx").write_bytes(billion_laughs(tmp_path))
    result = rag("ingest", str(docs), data_dir=tmp_path / "index")
    assert result.returncode == 1 and "新增 1" in result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len([line for line in lines if "bomb.docx" in line and re.search(ZIP_BOMB, line)]) == 1
    assert len([line for line in lines if "laughs.docx" in line and XML_BOMB in line]) == 1
