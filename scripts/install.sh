#!/usr/bin/env bash
# Create .venv and install the project with everything the tests and the eval need.
# torch comes first and pinned: 2.13.0 is the local CPU wheel; an unpinned torch pulls a CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    .venv/bin/python -m pip install --quiet torch==2.13.0
fi
.venv/bin/python -m pip install --quiet -e '.[st,eval,test]'
