#!/usr/bin/env bash
# The browser the web-page tests drive: Debian's chromium (no downloaded build), and a CJK font so
# that the screenshots show Chinese text rather than empty boxes, and the OCR tests can draw a scanned page;
# an emoji font for the page's 👍/👎 buttons, which are blank without one.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei)
fc-list 2>/dev/null | grep -i emoji >/dev/null || missing+=(fonts-noto-color-emoji)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get install -y -q "${missing[@]}" >/dev/null || {
        $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q "${missing[@]}" >/dev/null
    }
fi
