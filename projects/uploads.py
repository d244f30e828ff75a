"""Where an admin upload waits between its preview and its confirmation, and how long it may wait.

django-import-export keeps the uploaded sheet in a temporary file named in the confirm form. Here
that file lives in a folder of its own (IMPORT_UPLOAD_DIR), under a random name that is the only
kind of name ever read or removed from it; the admin removes it once the file is refused, has errors
or is imported, and what an editor leaves unconfirmed is swept after IMPORT_UPLOAD_MAX_AGE, at the
next upload or by `purge_import_uploads`.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from import_export.tmp_storages import BaseStorage

UPLOAD_NAME = re.compile(r"[0-9a-f]{32}")


class UploadGone(OSError):
    """The stored upload is not there any more (confirmed already, swept, or a name never given)."""


def upload_folder() -> Path:
    folder = Path(settings.IMPORT_UPLOAD_DIR)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def uploads_purge(*, older_than: float | None = None, now: float | None = None) -> int:
    """Remove the stored uploads older than `older_than` seconds (IMPORT_UPLOAD_MAX_AGE); how many."""
    older_than = settings.IMPORT_UPLOAD_MAX_AGE.total_seconds() if older_than is None else older_than
    limit = (time.time() if now is None else now) - older_than
    removed = 0
    for path in upload_folder().iterdir():
        if not UPLOAD_NAME.fullmatch(path.name):
            continue
        try:
            if path.stat().st_mtime <= limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # removed meanwhile by its own confirmation
            continue
    return removed


class ImportUploadStorage(BaseStorage):
    """django-import-export's temporary storage for the registry's admin (IMPORT_EXPORT_TMP_STORAGE_CLASS)."""

    def _path(self) -> Path:
        if not self.name or not UPLOAD_NAME.fullmatch(self.name):
            raise UploadGone("the uploaded file is not available")
        return upload_folder() / self.name

    def save(self, data: bytes | Iterable[bytes]) -> None:
        uploads_purge()
        self.name = secrets.token_hex(16)
        with self._path().open("xb") as file:
            for chunk in [data] if isinstance(data, bytes) else data:
                file.write(chunk)

    def read(self) -> bytes:
        try:
            return self._path().read_bytes()
        except FileNotFoundError:
            raise UploadGone("the uploaded file is no longer available (imported already, or kept too long)") from None

    def remove(self) -> None:
        try:
            self._path().unlink(missing_ok=True)
        except UploadGone:
            pass
