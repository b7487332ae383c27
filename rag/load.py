"""Loading: files or uploaded bytes → SourceDocument, in whatever format and encoding they come.

Text files are decoded (UTF-8, GBK/GB18030, Big5) and kept exactly as read; HTML, PDF, DOCX, XLSX
and PPTX are turned into text by `rag.extract` (scanned PDF pages by OCR, `rag.ocr`). That text is
what citations quote and offsets index.
"""

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from charset_normalizer import from_bytes

from rag.errors import DocumentError
from rag.extract import docx_to_text, html_to_text, pdf_to_text, pptx_to_text, xlsx_to_text
from rag.models import SourceDocument

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
_EXTRACTORS = {
    ".html": html_to_text,
    ".htm": html_to_text,
    ".docx": docx_to_text,
    ".xlsx": xlsx_to_text,
    ".pptx": pptx_to_text,
}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | {".pdf"} | _EXTRACTORS.keys()  # a PDF's extraction takes the OCR switch
_FORMAT_NAMES = {".htm": "html", ".markdown": "md"}
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


def safe_file_name(name: str) -> str:
    """The last part of an uploaded name: no directories (`../`, `C:\\`), no control characters and no
    lone surrogates (a multipart body in UTF-7 can carry them; they cannot be written as UTF-8)."""
    base = PurePosixPath(name.replace("\\", "/")).name
    return re.sub(r"[\x00-\x1f\x7f\ud800-\udfff]", "", base).strip() or "upload"


def doc_id_for(name: str, folders: tuple[str, ...] = ()) -> str:
    """The file stem after the folders it was found in (`a/规范.txt` → `a__规范`), made safe for ids and URLs;
    a name with nothing usable (`....txt`) gets a hash of it rather than one id shared by all such names."""
    parts = (*folders, Path(safe_file_name(name)).stem)
    safe = [re.sub(r"[^\w\-.]+", "_", part).strip("._") for part in parts]
    return "__".join(p for p in safe if p)[:80] or f"doc-{hashlib.sha1('/'.join(parts).encode()).hexdigest()[:8]}"


def _suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            f"{name}: 不支持的文件类型 {suffix or '(无扩展名)'}，支持 {', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    return suffix


def _text(data: bytes, name: str, suffix: str, ocr: bool) -> str:
    """Decoded, or extracted by format; `ocr` says whether a PDF's scanned pages are read by OCR."""
    if suffix == ".pdf":
        return pdf_to_text(data, name, ocr=ocr)
    extract = _EXTRACTORS.get(suffix)
    return extract(data, name) if extract else decode_text(data, name)


def load_bytes(data: bytes, name: str, source: str | None = None, *, ocr: bool = True) -> SourceDocument:
    """A document from its bytes and file name; `source` records where it came from."""
    suffix = _suffix(name)
    text = _text(data, name, suffix, ocr)
    if not text.strip():
        raise DocumentError(f"{name}: 文件为空")
    return SourceDocument(
        doc_id=doc_id_for(name),
        source=source or name,
        text=text,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        format=_FORMAT_NAMES.get(suffix, suffix[1:]),
    )


def load_file(path: Path, *, ocr: bool = True) -> SourceDocument:
    _suffix(str(path))
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DocumentError(f"{path}: 无法读取（{error.strerror}）") from error
    return load_bytes(data, str(path), str(path), ocr=ocr)


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
