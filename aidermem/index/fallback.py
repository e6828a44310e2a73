"""What the index does when it cannot be written: name the failure, or do without.

The index is a cache, so failing to write it must never fail a command: a write
error becomes IndexWriteError (callers that already committed to the store warn
and go on), and a reader that finds no index it can open gets one built in memory
from the store's files, correct but rebuilt by every such command.

Never: write anything, or hide an error that is not about the cache's own files.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import tantivy

from aidermem.errors import IndexWriteError
from aidermem.index import analysis
from aidermem.index.documents import parsed

if TYPE_CHECKING:
    from aidermem.store.store import Store

RAM_HEAP = 50_000_000


@contextlib.contextmanager
def writing(directory: Path) -> Iterator[None]:
    """Report a failure to write the index's files as IndexWriteError."""
    try:
        yield
    except OSError as exc:
        raise IndexWriteError(directory, exc.strerror or str(exc)) from exc
    except ValueError as exc:  # tantivy's binding reports its I/O failures as ValueError
        if "IO error" not in str(exc) and "os error" not in str(exc):
            raise
        raise IndexWriteError(directory, str(exc).removeprefix("An IO error occurred: "),
                              ) from exc


def in_memory(store: Store, schema: tantivy.Schema) -> tantivy.Index:
    """An index of every readable memory file, in RAM: the answer from the store itself."""
    index = tantivy.Index(schema)
    index.register_tokenizer(analysis.TOKENIZER_NAME, analysis.build_analyzer())
    writer = index.writer(heap_size=RAM_HEAP, num_threads=1)
    with parsed(store, list(store.iter_paths())) as results:
        for _, fields in results:
            if not isinstance(fields, str):  # a file that does not parse is left out
                writer.add_document(tantivy.Document.from_dict(fields, schema))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index
