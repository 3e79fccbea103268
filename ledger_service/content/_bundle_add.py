"""Adding a resource bundle as one unit: every part is streamed into one staging area, and commit
makes all of them and their directory visible at once (the root pinned). A bundle that fails part
way, or is never committed, leaves nothing in the store.

One part is its own root; several parts become a UnixFS directory of them, as ``ipfs add -r``
builds it. :func:`bundle_root` computes the same root without storing anything, so a client can
sign a registration before it uploads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import BinaryIO

from .._exceptions import ContentTooLargeError
from ._importer import FileBuilder, ImportParams, NodeRef, build_directory, import_stream
from ._staging import StagingSink

__all__ = ["BundleAdder", "PartWriter", "bundle_root"]


def _check_name(name: str) -> None:
    if not name or "/" in name or name in (".", "..") or "\0" in name or len(name.encode()) > 255:
        raise ValueError(f"{name!r} is not a valid part name (1–255 bytes, no '/')")


def bundle_root(parts: Mapping[str, bytes | BinaryIO], params: ImportParams | None = None) -> NodeRef:
    """The root a bundle of ``parts`` gets (nothing is stored): the part itself if there is one,
    otherwise the directory of all of them."""
    if not parts:
        raise ValueError("a bundle has at least one part")
    refs = {}
    for name, content in parts.items():
        _check_name(name)
        refs[name] = import_stream([content] if isinstance(content, bytes) else content, params)
    if len(refs) == 1:
        return next(iter(refs.values()))
    return build_directory(refs, params)


class PartWriter:
    """One part of a bundle being streamed: ``feed`` pieces, then ``finish``."""

    def __init__(self, bundle: BundleAdder, name: str) -> None:
        self._bundle = bundle
        self.name = name
        self._builder = FileBuilder(bundle.params, bundle.sink)

    @property
    def size(self) -> int:
        return self._builder.size

    def feed(self, data: bytes | memoryview) -> None:
        limit = self._bundle.max_size
        if self._builder.size + len(data) > limit or self._bundle.size + len(data) > limit:
            self._bundle.abort()
            raise ContentTooLargeError(f"the upload is over the limit of {limit} bytes (part {self.name!r})")
        self._bundle.size += len(data)
        self._builder.feed(data)

    def finish(self) -> NodeRef:
        ref = self._builder.finish()
        self._bundle.parts[self.name] = ref
        return ref


class BundleAdder:
    """Stage the parts of one bundle; :meth:`commit` stores them all, :meth:`abort` none.

    Made by a content store (``store.bundle_adder()``), which supplies where blocks are staged and
    how a finished bundle is committed. Use it as a context manager: leaving the block without a
    commit aborts.
    """

    def __init__(self, sink: StagingSink, params: ImportParams, *, max_size: int, commit: Callable[[StagingSink, NodeRef], None]) -> None:
        self.sink = sink
        self.params = params
        self.max_size = max_size
        self.size = 0
        self.parts: dict[str, NodeRef] = {}
        self._commit = commit
        self._root: NodeRef | None = None
        self._done = False

    def part(self, name: str) -> PartWriter:
        """Start streaming the part called ``name`` (its file name inside the bundle)."""
        _check_name(name)
        if name in self.parts:
            raise ValueError(f"the bundle already has a part named {name!r}")
        if self._root is not None:
            raise ValueError("the bundle's root was already computed; no parts can be added")
        return PartWriter(self, name)

    def root(self) -> NodeRef:
        """The bundle's root (computed once, staged, not yet visible)."""
        if self._root is None:
            if not self.parts:
                raise ValueError("a bundle has at least one part")
            if len(self.parts) == 1:
                self._root = next(iter(self.parts.values()))
            else:
                self._root = build_directory(self.parts, self.params, self.sink)
        return self._root

    def commit(self) -> NodeRef:
        """Store every part and the root, and pin the root."""
        root = self.root()
        try:
            self._commit(self.sink, root)
        finally:
            self._done = True
            self.sink.discard()
        return root

    def abort(self) -> None:
        if not self._done:
            self.sink.discard()
            self._done = True

    def __enter__(self) -> BundleAdder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()
