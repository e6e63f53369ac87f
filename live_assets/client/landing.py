"""Landing files: the codec a body kept on disk is compressed with, and a check that a file is whole.

A landing file is written while its response streams in and read by DuckDB once per load. zstd at
level 1 (Arrow's default) against gzip at level 1, on a 7-day window of 18 MB of conversations: written
while fetching in 19 ms instead of 56, 1.6 MB instead of 2.5, and read by DuckDB in 28.5 ms instead of
44.6 (twice per load).
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Final

import pyarrow as pa

# The one codec name pyarrow's streams and DuckDB's ``compression =`` both take, and the suffix that
# marks a file written through it.
LANDING_CODEC: Final = "zstd"
LANDING_SUFFIX: Final = ".zst"

_ZSTD_MAGIC: Final = 0xFD2FB528
_ZSTD_SKIPPABLE: Final = 0x184D2A50  # ... to 0x184D2A5F: frames a reader skips (RFC 8878 §3.1.2)


def is_compressed(path: Path) -> bool:
    """Whether ``path`` names a compressed landing file (and is written and read through the codec)."""
    return path.name.endswith(LANDING_SUFFIX)


def compressed_writer(path: Path) -> pa.NativeFile:
    """A stream that compresses what is written to it into ``path``, chunk by chunk.

    Arrow's own file and codec: each write is compressed outside the GIL, so landing the next window
    does not hold back the thread that loads the previous one, and nothing is buffered past a chunk.
    """
    return pa.output_stream(path, compression=LANDING_CODEC)


def compressed_reader(path: Path) -> pa.NativeFile:
    """The uncompressed bytes of the landing file at ``path``, as a binary stream read chunk by chunk."""
    return pa.input_stream(path, compression=LANDING_CODEC)


def partial_path(destination: Path) -> Path:
    """Where a streamed body is written until it is known whole (same directory: the rename is atomic)."""
    return destination.with_name(f".{destination.name}.{os.getpid()}.{threading.get_ident()}.part")


def discard(partial: Path | None) -> None:
    """Remove a partial file, if there is one."""
    if partial is not None:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def compressed_file_problem(path: Path) -> str | None:
    """Why the landing file at ``path`` is not whole zstd frames, or ``None`` if it is.

    DuckDB's zstd reader takes a file cut inside its last block for a shorter one, without an error (its
    gzip reader raised): a one-block file cut anywhere reads as no rows at all, and would replace a
    window's rows with nothing. So the frames are walked before DuckDB reads the file, block header to
    block header (RFC 8878 §3.1.1), which costs a few hundred small reads for a 7-day window, not a
    decompression. Damage inside a block is the decompressor's to find.
    """
    size = path.stat().st_size
    frames = 0
    with path.open("rb") as file:

        def read(count: int) -> bytes:
            data = file.read(count)
            if len(data) < count:
                raise EOFError
            return data

        try:
            while file.tell() < size:
                opening = read(4)
                magic = int.from_bytes(opening, "little")
                if magic & 0xFFFFFFF0 == _ZSTD_SKIPPABLE:
                    file.seek(int.from_bytes(read(4), "little"), os.SEEK_CUR)
                    continue
                if magic != _ZSTD_MAGIC:
                    return f"not zstd: bytes {opening.hex()} at offset {file.tell() - 4} open no zstd frame"
                (descriptor,) = read(1)
                single_segment = descriptor >> 5 & 1
                content_size_bytes = (1 if single_segment else 0, 2, 4, 8)[descriptor >> 6]
                dictionary_bytes = (0, 1, 2, 4)[descriptor & 3]
                read((1 - single_segment) + dictionary_bytes + content_size_bytes)
                last = False
                while not last:
                    header = int.from_bytes(read(3), "little")
                    last, kind, length = bool(header & 1), header >> 1 & 3, header >> 3
                    file.seek(1 if kind == 1 else length, os.SEEK_CUR)  # an RLE block is one repeated byte
                if descriptor >> 2 & 1:
                    read(4)  # the content checksum
                frames += 1
        except EOFError:
            return f"cut short: its {size} bytes end inside a zstd frame"
        if file.tell() > size:  # a seek past the end is no error until something is read there
            return f"cut short: its {size} bytes end inside a zstd block"
    return None if frames else "empty: no zstd frame"
