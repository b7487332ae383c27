"""Document ids: different files never replace each other silently, over HTTP or through `rag ingest`."""

import json

from .conftest import settings_for
from .test_cli import rag

FOUR_HOURS = "机房巡检规范\n一、频次\n机房每四小时巡检一次并填写巡检记录。\n"
TWO_HOURS = "网点巡检规范\n一、频次\n网点每两小时巡检一次并拍照上传。\n"


def upload(client, name: str, text: str, **form: str):
    return client.post("/documents", files=[("files", (name, text.encode()))], data=form)


def quotes(client, question: str) -> str:
    return " ".join(c["quote"] for c in client.post("/ask", json={"question": question}).json()["citations"])


def test_an_upload_taking_the_id_of_another_file_name_is_refused_unless_replacing(client_for, tmp_path):
    client = client_for(settings_for(tmp_path / "index"))
    assert upload(client, "巡检 规范.txt", FOUR_HOURS).json()["added"] == ["巡检_规范"]

    clash = upload(client, "巡检_规范.md", TWO_HOURS)

    assert clash.status_code == 409
    assert "巡检_规范.md" in clash.json()["detail"] and "巡检 规范.txt" in clash.json()["detail"]
    assert "replace=true" in clash.json()["detail"]
    assert client.get("/documents/巡检_规范").json()["source"] == "upload:巡检 规范.txt"
    assert "每四小时" in quotes(client, "机房多久巡检一次？")

    same_name = upload(client, "巡检 规范.txt", FOUR_HOURS.replace("每四小时", "每三小时"))
    assert same_name.status_code == 200 and same_name.json()["updated"] == ["巡检_规范"]

    replaced = upload(client, "巡检_规范.md", TWO_HOURS, replace="true")
    assert replaced.status_code == 200 and replaced.json()["updated"] == ["巡检_规范"]
    assert client.get("/documents/巡检_规范").json()["source"] == "upload:巡检_规范.md"
    assert "每两小时" in quotes(client, "网点多久巡检一次？")
    # The same text under the other name again: nothing to embed, but the document now names that file.
    renamed = upload(client, "巡检 规范.txt", TWO_HOURS, replace="true")
    assert renamed.json()["updated"] == ["巡检_规范"] and renamed.json()["chunks_embedded"] == 0
    assert client.get("/documents/巡检_规范").json()["source"] == "upload:巡检 规范.txt"


def test_a_name_with_folders_or_without_letters_does_not_take_another_document(client_for, tmp_path):
    client = client_for(settings_for(tmp_path / "index"))
    assert upload(client, "passwd.txt", FOUR_HOURS).json()["added"] == ["passwd"]

    foldered = upload(client, "../../etc/passwd.txt", TWO_HOURS)

    assert foldered.status_code == 409 and "../../etc/passwd.txt" in foldered.json()["detail"]
    assert "每四小时" in quotes(client, "机房多久巡检一次？")

    dots, underscores = upload(client, "....txt", FOUR_HOURS), upload(client, "___.txt", TWO_HOURS)
    assert dots.status_code == underscores.status_code == 200
    ids = dots.json()["added"] + underscores.json()["added"]
    assert len(set(ids)) == 2 and all(i.startswith("doc-") for i in ids)
    assert {d["doc_id"] for d in client.get("/documents").json()} == {"passwd", *ids}


def test_files_of_one_name_in_two_folders_get_two_ids(tmp_path):
    docs = tmp_path / "docs"
    for folder, text in (("经济法", FOUR_HOURS), ("社会法", TWO_HOURS)):
        (docs / folder).mkdir(parents=True)
        (docs / folder / "巡检规范(2018-12-29).txt").write_text(text, encoding="utf-8")

    result = rag("ingest", str(docs), data_dir=tmp_path / "index")

    assert result.returncode == 0, result.stderr
    assert "新增 2" in result.stdout
    listed = json.loads(rag("list", "--json", data_dir=tmp_path / "index").stdout)
    assert {d["doc_id"] for d in listed} == {"经济法__巡检规范_2018-12-29", "社会法__巡检规范_2018-12-29"}


def test_the_cli_names_inputs_that_share_an_id_and_replaces_only_when_asked(tmp_path):
    docs, data = tmp_path / "docs", tmp_path / "index"
    docs.mkdir()
    (docs / "巡检 规范.txt").write_text(FOUR_HOURS, encoding="utf-8")
    (docs / "巡检_规范.md").write_text(TWO_HOURS, encoding="utf-8")

    both = rag("ingest", str(docs), data_dir=data)

    assert both.returncode == 1 and "新增 1" in both.stdout
    assert "巡检_规范.md" in both.stderr and "巡检 规范.txt" in both.stderr and "“巡检_规范”" in both.stderr

    later = rag("ingest", str(docs / "巡检_规范.md"), data_dir=data)

    assert later.returncode == 2 and "错误：文档 ID 冲突" in later.stderr and "--replace" in later.stderr
    listed = json.loads(rag("list", "--json", data_dir=data).stdout)
    assert [d["source"] for d in listed] == [str(docs / "巡检 规范.txt")]

    replaced = rag("ingest", "--replace", str(docs / "巡检_规范.md"), data_dir=data)
    assert replaced.returncode == 0, replaced.stderr
    assert "更新 1" in replaced.stdout
    listed = json.loads(rag("list", "--json", data_dir=data).stdout)
    assert [d["source"] for d in listed] == [str(docs / "巡检_规范.md")]
