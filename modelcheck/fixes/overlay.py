"""A local package as it will be once the planned changes are written: ``OverlaySource`` reads
the package folder, except that edited files read as their new bytes and deleted files and
folders are gone. The rules check it exactly as they check the folder itself, so a plan is
checked again before anything is written."""

from __future__ import annotations

from modelcheck.sources.base import Entry, normalize
from modelcheck.sources.local import LocalSource


class OverlaySource(LocalSource):
    def __init__(self, root: str, display: str | None = None,
                 files: dict[str, bytes] | None = None, gone: set[str] | None = None) -> None:
        super().__init__(root, display)
        self.files = dict(files or {})  # package-relative path -> its new bytes
        self.gone = set(gone or ())  # deleted files and folders

    def _gone(self, norm: str) -> bool:
        return any(norm == g or norm.startswith(g + "/") for g in self.gone)

    def entry(self, rel: str) -> Entry:
        norm = normalize(rel)
        if self._gone(norm):
            return Entry(norm, "missing")
        if norm in self.files:
            return Entry(norm, "file", len(self.files[norm]))
        return super().entry(rel)

    def resolve(self, rel: str) -> Entry:
        norm = normalize(rel)
        if self._gone(norm) or norm in self.files:
            return self.entry(norm)
        return super().resolve(rel)

    def read(self, rel: str, limit: int) -> bytes:
        norm = normalize(rel)
        if self._gone(norm):
            raise FileNotFoundError(rel)
        if norm in self.files:
            return self.files[norm][:limit + 1]
        return super().read(rel, limit)

    def mapped(self, rel: str):  # -> mmap.mmap | None
        norm = normalize(rel)
        if self._gone(norm) or norm in self.files:
            return None  # the caller reads it instead
        return super().mapped(rel)

    def walk(self, max_entries: int) -> tuple[list[Entry], bool]:
        listed, capped = super().walk(max_entries)
        out = []
        for e in listed:
            if self._gone(e.path):
                continue
            if e.path in self.files:
                e = Entry(e.path, "file", len(self.files[e.path]))
            out.append(e)
        return out, capped
