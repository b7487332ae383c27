"""Loading: files → SourceDocument, decoding whatever encoding Chinese files come in.

The decoded text is kept exactly as read; it is what citations quote and what offsets index.
"""

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from charset_normalizer import from_bytes

from rag.errors import DocumentError
from rag.models import SourceDocument

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES
# Encodings Chinese text files arrive in besides UTF-8; GB18030 is a superset of GBK and GB2312.
_CJK_ENCODINGS = ("gb18030", "big5")
_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM) first, then the CJK encodings, then charset-normalizer's guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    candidates = []
    for encoding in _CJK_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        candidates.append(text)
    if not candidates:
        best = from_bytes(data).best()
        if best is None:
            raise DocumentError(f"{name}: 无法识别文本编码（不是 UTF-8、GBK/GB18030 或 Big5）")
        return str(best)
    # Big5 bytes often also decode as GB18030 into rare characters; prefer the reading with
    # more common CJK characters, judged by charset-normalizer's chaos measure.
    if len(candidates) == 1:
        return candidates[0]
    scored = [(from_bytes(c.encode("utf-8")).best(), c) for c in candidates]
    return min(scored, key=lambda pair: pair[0].chaos if pair[0] else 1.0)[1]


def doc_id_for(path: Path) -> str:
    """The file stem, made safe for ids and URLs."""
    stem = re.sub(r"[^\w\-.]+", "_", path.stem).strip("._") or "doc"
    return stem[:80]


def load_file(path: Path) -> SourceDocument:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            f"{path}: 不支持的文件类型 {suffix or '(无扩展名)'}，支持 {', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DocumentError(f"{path}: 无法读取（{error.strerror}）") from error
    text = decode_text(data, str(path))
    if not text.strip():
        raise DocumentError(f"{path}: 文件为空")
    return SourceDocument(
        doc_id=doc_id_for(path),
        source=str(path),
        text=text,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def discover(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus supported files found under directories, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES))
        elif path.exists():
            found.append(path)
        else:
            raise DocumentError(f"{path}: 路径不存在")
    return found
