"""Reader for the IDX files of MNIST and Fashion-MNIST (raw or gzip-compressed).

IDX layout: two zero bytes, a type code, the number of dimensions d, then d big-endian
uint32 sizes, then the values in C order (big-endian for multi-byte types).
"""

from __future__ import annotations

import gzip
import os
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
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise ValueError(
                f"read_idx: {p} looks gzip-compressed but cannot be decompressed: {e}"
            ) from e
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
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(
            f"read_idx: {p} has {len(raw)} bytes, but its header (shape {shape}, {dtype.name}) "
            f"says it should have {expected}; the file is truncated or corrupt"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


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
