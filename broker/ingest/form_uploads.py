"""Multipart uploads streamed to staging files under a size limit, for the dialects whose
forms carry files and text fields together (USD Refinery, Rigyd).

A file whose name the service cannot take is refused from the part's headers, a file past
the size as soon as it passes it, and nothing more is read (``fail_fast``); or, for a
batch (the Refinery's ``/batch``), each file is judged on its own: one with such a name is
never written, one past the size is dropped from disk as it streams, and both are reported
as rejected while the others go on. Nothing is held in memory but the small text fields
(64 KB each).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from starlette.requests import Request

from broker.errors import DomainError, FileTooLarge, InvalidInput, InvalidRequest, NoFile
from broker.ingest.multipart import PartHeaders, feed, form_boundary
from broker.safe_json import refuse_bad_text

MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 16


@dataclass
class StagedFile:
    filename: str
    path: Path | None
    size: int = 0
    refused: str | None = None
    """Why this file was dropped while it streamed (its name or its size), when it was."""

    def discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None


@dataclass
class StagedForm:
    files: list[StagedFile] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        for staged in self.files:
            staged.discard()


@dataclass(frozen=True)
class UploadRules:
    file_field: str
    max_bytes: int
    max_files: int
    fail_fast: bool
    """True: a file past ``max_bytes`` refuses the request; False: only that file."""
    too_large: str
    """The words for a file past the limit (``{name}``: the file's name)."""
    check_name: Callable[[str], object]
    """Raises InvalidInput for a file name refused whatever its bytes (its suffix)."""
    other_fields: tuple[str, ...] = ()
    """More names the files may come in (Rigyd's ``images[]`` is also sent as ``images``)."""
    too_many: Callable[[int], DomainError] | None = None
    """The refusal of a file past ``max_files`` (default: a 400 that says the limit)."""


class _Receiver(PartHeaders):
    def __init__(self, tmp_dir: Path, rules: UploadRules) -> None:
        super().__init__()
        self.tmp_dir = tmp_dir
        self.rules = rules
        self.form = StagedForm()
        self._name = ""
        self._current: StagedFile | None = None
        self._file: IO[bytes] | None = None
        self._buf = bytearray()
        self._fields = 0

    def on_part_begin(self) -> None:
        self._headers = {}
        self._buf = bytearray()
        self._current = None

    def on_headers_finished(self) -> None:
        self._name, filename = self.disposition()
        if filename is None:
            self._fields += 1
            if self._fields > MAX_FIELDS:
                raise InvalidRequest(f"More than {MAX_FIELDS} form fields")
            return
        if self._name != self.rules.file_field and self._name not in self.rules.other_fields:
            raise InvalidRequest(f"Send files in the '{self.rules.file_field}' field")
        if len(self.form.files) >= self.rules.max_files:
            if self.rules.too_many is not None:
                raise self.rules.too_many(self.rules.max_files)
            many = "one file" if self.rules.max_files == 1 else f"{self.rules.max_files} files"
            raise InvalidRequest(f"At most {many} per request")
        name = filename.decode("utf-8", "replace")
        refuse_bad_text(name, "The file name")
        try:
            self.rules.check_name(name)
        except InvalidInput as exc:
            if self.rules.fail_fast:
                raise
            self._current = StagedFile(name, None, refused=exc.detail)
            self.form.files.append(self._current)
            return
        fd, path = tempfile.mkstemp(prefix="upload-", dir=self.tmp_dir)
        self._current = StagedFile(name, Path(path))
        self.form.files.append(self._current)
        self._file = os.fdopen(fd, "wb")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        staged = self._current
        if staged is None:
            self._buf += data[start:end]
            if len(self._buf) > MAX_FIELD_BYTES:
                raise InvalidRequest(f"Form field {self._name!r} is too large")
            return
        staged.size += end - start
        if staged.refused is not None:
            return
        if staged.size > self.rules.max_bytes:
            words = self.rules.too_large.format(name=staged.filename)
            if self.rules.fail_fast:
                raise FileTooLarge(words)
            self.close_file()
            staged.discard()
            staged.refused = words
            return
        if self._file is not None:
            self._file.write(data[start:end])

    def on_part_end(self) -> None:
        if self._current is not None:
            self.close_file()
            self._current = None
        elif self._name:
            value = self._buf.decode("utf-8", "replace")
            refuse_bad_text(value, f"Form field {self._name!r}")
            self.form.fields[self._name] = value

    def close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


async def receive_form(
    request: Request, tmp_dir: Path, rules: UploadRules, *, files_required: bool = True
) -> StagedForm:
    """The request's files on disk and its text fields; the caller discards the files."""
    boundary = form_boundary(request, rules.file_field)
    receiver = _Receiver(tmp_dir, rules)
    try:
        await feed(request, boundary, receiver)
    except Exception as exc:
        receiver.close_file()
        receiver.form.discard()
        if isinstance(exc, DomainError):
            raise
        raise InvalidRequest("Malformed multipart body") from exc
    if files_required and not receiver.form.files:
        raise NoFile(f"No file in the '{rules.file_field}' field")
    return receiver.form
