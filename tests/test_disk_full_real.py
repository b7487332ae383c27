"""A really full disk (a small tmpfs, where the test may mount one): the upload that runs out of space is a 507
with the reason, the committed documents still answer, and once space is freed the next server start leaves no
vector that no committed chunk names, and uploads work again.

Where mounting is not permitted (an unprivileged CI runner) the test is skipped; `test_storage_errors.py`
covers the same answers with the failure injected where the write happens.
"""

import os
import subprocess
from pathlib import Path

import pytest

from rag.manifest import load_manifest
from rag.vectors import chroma_client, refresh_vector_store

from .conftest import settings_for
from .test_storage_errors import QUESTION, RETURNS, cited, upload

DISK_MB = 48
LEFT_FREE = 64 * 1024  # bytes left once the filler is written: less than a handbook's vectors and rows


@pytest.fixture
def small_disk(tmp_path: Path):
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m", "tmpfs", str(mount_point)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount_point
    finally:
        refresh_vector_store(settings_for(mount_point / "index"))  # Chroma's cached client holds files open
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path) -> Path:
    """A filler file taking all but `LEFT_FREE` bytes of the disk."""
    stats = os.statvfs(disk)
    free = stats.f_bavail * stats.f_frsize
    filler = disk / "filler"
    with filler.open("wb") as out:
        out.truncate(0)
        remaining = max(0, free - LEFT_FREE)
        block = b"\0" * (1 << 20)
        while remaining > 0:
            remaining -= out.write(block[: min(len(block), remaining)])
    return filler


def handbook(clauses: int) -> str:
    clause = "第{n}条 第{n}号库位的盘点记录须在当日下班前由仓管员复核签字，差异超过千分之三的上报主管。"
    return "仓储盘点细则\n" + "\n".join(clause.format(n=n) for n in range(1, clauses + 1)) + "\n"


def test_an_upload_that_fills_the_disk_is_a_507_and_recovery_leaves_no_stray_vectors(client_for, small_disk):
    settings = settings_for(small_disk / "index")
    client = client_for(settings)
    assert upload(client, "退货.txt", RETURNS.format("七天内")).status_code == 200
    assert "七天内" in cited(client, QUESTION)  # a serving server: its index is loaded
    committed = (settings.data_dir / "manifest.json").read_bytes()
    filler = fill(small_disk)

    full = upload(client, "盘点细则.txt", handbook(400))

    assert full.status_code == 507, full.text
    assert "磁盘空间不足" in full.json()["detail"]
    assert (settings.data_dir / "manifest.json").read_bytes() == committed
    assert "七天内" in cited(client, QUESTION)

    # A server started on the full disk cannot open the index, and says the disk is why (not "rebuild").
    on_full_disk = client_for(settings).post("/ask", json={"question": QUESTION})
    if on_full_disk.status_code != 200:
        assert on_full_disk.status_code == 503, on_full_disk.text
        assert "磁盘空间不足" in on_full_disk.json()["detail"] and "--rebuild" not in on_full_disk.json()["detail"]

    filler.unlink()
    client_after = client_for(settings)  # a fresh server: it recovers what the failed write left
    assert "七天内" in cited(client_after, QUESTION)
    refresh_vector_store(settings)
    stored = chroma_client(settings).get_collection(settings.collection).count()
    assert stored == load_manifest(settings.data_dir).chunk_count
    again = upload(client_after, "盘点细则.txt", handbook(400))
    assert again.status_code == 200, again.text
    assert again.json()["added"] == ["盘点细则"]
