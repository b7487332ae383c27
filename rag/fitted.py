"""Fitted models (the "covered" judge, the reranker) are JSON files: a company's own, or the bundled one."""

import json
from importlib.resources import files
from pathlib import Path


def read_fitted(path: Path | None, bundled: str) -> dict:
    """The model at `path`, or the one shipped as `rag/resources/<bundled>`."""
    if path is not None:
        return json.loads(path.read_text(encoding="utf-8"))
    return json.loads((files("rag") / "resources" / bundled).read_text(encoding="utf-8"))
