#!/usr/bin/env bash
# Set-up and main job on the embedded default: install, index corpus/, answer sample questions.
# Then serve with: .venv/bin/rag serve   (http://127.0.0.1:8000/docs)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export HF_HUB_OFFLINE=1
# The demo deployment's own vocabulary (deployment data, not code): its terms and synonym groups.
export RAG_USER_DICT="${RAG_USER_DICT:-deploy/demo/userdict.txt}" RAG_SYNONYMS="${RAG_SYNONYMS:-deploy/demo/synonyms.txt}"
.venv/bin/rag ingest corpus/
for question in "客户服务的响应时间标准是多少？" "應急預案包括哪些內容？" "运营交付需要交付哪些文档？" "公司年假有几天？"; do
    echo
    echo "问：$question"
    .venv/bin/rag ask "$question"
done
