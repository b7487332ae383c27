#!/usr/bin/env bash
# The test command: install, run the test suite, then the eval quality gate on the demo corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export HF_HUB_OFFLINE=1
.venv/bin/python -m pytest -q -p no:cacheprovider
.venv/bin/rag eval --out eval/out --gate eval/thresholds.json
