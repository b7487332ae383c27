"""The client/server path: a real `chroma run` on 127.0.0.1 holds the vectors."""

import chromadb
import pytest

from rag.ingest import Ingestor
from rag.service import Assistant

from .conftest import CORPUS, settings_for

pytestmark = pytest.mark.chroma_server


def test_ingest_and_ask_through_a_chroma_server(chroma_server, tmp_path):
    settings = settings_for(tmp_path / "index", chroma_url=chroma_server, collection="server_test")
    doc = next(CORPUS.glob("002_*.txt"))
    report = Ingestor(settings).run([doc])
    assert report.added == ["002_aae8f5016c96a838"]
    assert not (settings.data_dir / "chroma").exists()

    host, port = chroma_server.removeprefix("http://").split(":")
    remote = chromadb.HttpClient(host=host, port=int(port)).get_collection("server_test")
    assert remote.count() == report.chunks_embedded + report.lines_embedded > report.chunks_embedded > 0

    answer = Assistant(settings).ask("IT系统故障的恢复时间是多少？")
    assert answer.covered
    assert any("恢复时间为1小时" in c.quote for c in answer.citations)

    again = Ingestor(settings).run([doc])
    assert again.chunks_embedded == again.lines_embedded == 0
    assert remote.count() == report.chunks_embedded + report.lines_embedded
