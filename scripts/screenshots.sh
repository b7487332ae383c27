#!/usr/bin/env bash
# The README's screenshots: run the web-page tests that take them (headless Debian Chromium against a real
# server on 127.0.0.1), then copy a chosen set into docs/screenshots/ (committed), each at most 1200 px wide,
# quantized to a palette and at most 200 KB. Needs the .venv of scripts/install.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || { echo "no .venv: run bash scripts/install.sh first" >&2; exit 1; }
bash scripts/install-browser.sh
export HF_HUB_OFFLINE=1
# A fresh folder, so that every picture copied below was taken by this run.
shots="$(mktemp -d)"
trap 'rm -rf "$shots"' EXIT
RAG_TEST_ARTIFACTS="$shots" .venv/bin/python -m pytest -q -p no:cacheprovider \
    "tests/test_web_page.py::test_ask_streams_a_cited_answer_and_opens_the_source" \
    "tests/test_web_page.py::test_draft_a_topic_and_download_the_docx" \
    "tests/test_web_page_fixes.py::test_at_phone_width_a_citation_brings_its_source_into_view" \
    "tests/test_web_page_fixes.py::test_the_viewer_shows_cleaned_text_and_the_original_with_the_citation_in_both" \
    "tests/test_web_topics.py::test_browse_topics_open_a_section_and_ask_a_suggested_question" \
    "tests/test_web_quiz.py::test_answer_a_quiz_read_the_cited_clause_and_keep_the_score" \
    "tests/test_web_insights.py::test_feedback_insights_and_gap_to_draft"
mkdir -p docs/screenshots
.venv/bin/python - "$shots" docs/screenshots <<'EOF'
import sys
from pathlib import Path

from PIL import Image, ImageChops

source, target = Path(sys.argv[1]), Path(sys.argv[2])
WIDTH, LIMIT = 1200, 200 * 1024
CHOSEN = {  # taken by the tests (test-artifacts/ names) -> docs/screenshots/
    "1-ask.png": "ask.png",
    "8-phone-source-sheet.png": "phone-source.png",
    "learn-1-topic-open.png": "learn.png",
    "quiz.png": "quiz.png",
    "5-insights.png": "insights.png",
    "6-gap-draft.png": "gap-draft.png",
    "3-draft.png": "draft.png",
    "10-viewer-cleaned.png": "viewer.png",
}
missing = [name for name in CHOSEN if not (source / name).exists()]
if missing:  # a skipped test (no chromium) takes none
    sys.exit(f"not taken: {', '.join(missing)}")
for name, out in CHOSEN.items():
    image = Image.open(source / name).convert("RGB")
    if image.width > WIDTH:
        margin = image.crop((WIDTH, 0, image.width, image.height))
        first_column = margin.crop((0, 0, 1, margin.height)).resize(margin.size)
        if ImageChops.difference(margin, first_column).getbbox() is None:  # only background: cut off, kept sharp
            image = image.crop((0, 0, WIDTH, image.height))
        else:
            image = image.resize((WIDTH, round(image.height * WIDTH / image.width)), Image.Resampling.LANCZOS)
    for colours in (256, 128, 64, 32):
        image.quantize(colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            target / out, optimize=True
        )
        if (target / out).stat().st_size <= LIMIT:
            break
    else:
        sys.exit(f"{out}: still over {LIMIT // 1024} KB with {colours} colours")
    size = (target / out).stat().st_size
    print(f"docs/screenshots/{out}: {image.width}×{image.height}, {colours} colours, {size // 1024} KB")
EOF
