"""Reader for the IDX files of MNIST and Fashion-MNIST (raw or gzip-compressed).

IDX layout: two zero bytes, a type code, the number of dimensions d, then d big-endian
uint32 sizes, then the values in C order (big-endian for multi-byte types).
"""

from __future__ import annotations

import gzip
import io
import math
import os
import zlib
from pathlib import Path

import numpy as np

_IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_SPLITS = {"train": "train", "test": "t10k", "t10k": "t10k"}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (optionally gzip-compressed, detected from its content) into an array."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"read_idx: no such file: {p}")
    raw = p.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = _gunzip(raw, p)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(
            f"read_idx: {p} is not an IDX file: expected it to start with two zero bytes, "
            f"a type code and a dimension count, got {raw[:4]!r}"
        )
    type_code, ndim = raw[2], raw[3]
    if type_code not in _IDX_TYPES:
        raise ValueError(
            f"read_idx: {p} has unknown IDX type code 0x{type_code:02x} "
            f"(expected one of {', '.join(f'0x{c:02x}' for c in _IDX_TYPES)})"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {p} is truncated inside its header ({len(raw)} bytes)")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_TYPES[type_code]
    expected = header + math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if len(raw) != expected:
        raise ValueError(
            f"read_idx: {p} has {len(raw)} bytes, but its header (shape {shape}, {dtype.name}) "
            f"says it should have {expected}; the file is truncated or corrupt"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def _gunzip(raw: bytes, p: Path) -> bytes:
    """Decompress, reading no more than the IDX header says the file holds (no gzip bomb)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as f:
            head = f.read(4)
            ndim = head[3] if len(head) == 4 else 0
            head += f.read(4 * ndim)
            if len(head) < 4 + 4 * ndim or head[:2] != b"\0\0" or head[2] not in _IDX_TYPES:
                return head + f.read(64)  # read_idx reports what is wrong with the header
            shape = np.frombuffer(head, dtype=">u4", count=ndim, offset=4)
            size = math.prod(int(s) for s in shape) * _IDX_TYPES[head[2]].itemsize
            # one byte more shows a too-long file; deflate expands at most ~1032:1
            return head + f.read(min(size + 1, 1100 * len(raw) + 2**20))
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(
            f"read_idx: {p} looks gzip-compressed but cannot be decompressed: {e}"
        ) from None


def _find(directory: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (directory / name).is_file():
            return directory / name
    raise FileNotFoundError(
        f"load_mnist: expected {stem} or {stem}.gz in {directory} "
        "(the standard MNIST / Fashion-MNIST file names)"
    )


def load_mnist(
    directory: str | os.PathLike[str],
    split: str = "train",
    flatten: bool = True,
    dtype: type = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Load an MNIST or Fashion-MNIST split from the standard IDX files in `directory`.

    Looks for `{train,t10k}-images-idx3-ubyte[.gz]` and `{train,t10k}-labels-idx1-ubyte[.gz]`.
    Returns X scaled to [0, 1] ((n, 784) with `flatten`, else (n, 28, 28)) and y (n,) int64.
    """
    if split not in _SPLITS:
        raise ValueError(f"load_mnist: split must be 'train' or 'test', got {split!r}")
    d = Path(directory)
    if not d.is_dir():
        raise FileNotFoundError(f"load_mnist: no such directory: {d}")
    prefix = _SPLITS[split]
    images = read_idx(_find(d, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(_find(d, f"{prefix}-labels-idx1-ubyte"))
    if images.dtype != np.uint8:
        raise ValueError(
            f"load_mnist: images must be unsigned bytes (IDX type 0x08, pixels 0..255), got "
            f"{images.dtype}; scaling them by 1/255 would be wrong"
        )
    if labels.dtype.kind not in "iu":
        raise ValueError(f"load_mnist: labels must be integers, got {labels.dtype}")
    if labels.size and labels.min() < 0:
        raise ValueError(f"load_mnist: labels must be >= 0, got {labels.min()}")
    if images.ndim != 3:
        raise ValueError(f"load_mnist: images file must be 3-D (n, rows, cols), got {images.shape}")
    if labels.ndim != 1:
        raise ValueError(f"load_mnist: labels file must be 1-D (n,), got {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(
            f"load_mnist: {len(images)} images but {len(labels)} labels in {d} ({split})"
        )
    X = images.astype(dtype) / 255.0
    if flatten:
        X = X.reshape(len(X), -1)
    return X.astype(dtype), labels.astype(np.int64)
