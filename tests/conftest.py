"""Shared fixtures: a real index of the demo corpus (built once), real servers on 127.0.0.1."""

import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from rag.config import Settings
from rag.ingest import Ingestor
from rag.questionlog import LOG_NAME

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


DEMO_VOCABULARY = {
    "user_dict": ROOT / "deploy" / "demo" / "userdict.txt",
    "synonyms": ROOT / "deploy" / "demo" / "synonyms.txt",
}


def settings_for(data_dir: Path, **overrides: object) -> Settings:
    """The demo deployment: its corpus is tested with the vocabulary that deployment supplies."""
    return Settings(data_dir=data_dir, _env_file=None, **(DEMO_VOCABULARY | overrides))


def docstore_path(settings: Settings) -> Path:
    """The committed chunk store, for tests that break it."""
    from rag.chunkstore import store_path

    return store_path(settings.data_dir)


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The demo corpus indexed once with the default embedder; tests must not modify it."""
    settings = settings_for(tmp_path_factory.mktemp("corpus-index"))
    report = Ingestor(settings).run([CORPUS])
    assert len(report.added) == 5 and not report.failed
    return settings


@pytest.fixture
def index_copy(corpus_index: Settings, tmp_path: Path) -> Settings:
    """A private copy of the demo index, for tests that change or break it."""
    target = tmp_path / "index"
    # without the question log that the tests sharing the demo index have filled
    shutil.copytree(corpus_index.data_dir, target, ignore=shutil.ignore_patterns(f"{LOG_NAME}*"))
    return settings_for(target)


class LiveServer:
    def __init__(self, app: object) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def client_for() -> Iterator:
    """Start the real FastAPI app under uvicorn on 127.0.0.1 and give an httpx client to it."""
    servers: list[LiveServer] = []

    def start(settings: Settings) -> httpx.Client:
        from api.app import create_app

        server = LiveServer(create_app(settings)).__enter__()
        servers.append(server)
        return httpx.Client(base_url=server.url, timeout=60)

    yield start
    for server in servers:
        server.__exit__()


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """A real `chroma run` server on 127.0.0.1."""
    beside_python = Path(sys.executable).parent / "chroma"
    executable = str(beside_python) if beside_python.exists() else shutil.which("chroma")
    if executable is None:
        pytest.skip("the chroma CLI is not installed")
    port = free_port()
    process = subprocess.Popen(
        [executable, "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("chroma server did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
