#!/usr/bin/env bash
# The test command: install (with Debian's chromium for the web-page tests), run the test suite,
# then the eval quality gate on the demo corpus. Browser screenshots land in test-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash scripts/install-browser.sh
export HF_HUB_OFFLINE=1
.venv/bin/python -m pytest -q -p no:cacheprovider
bash scripts/eval-gates.sh
