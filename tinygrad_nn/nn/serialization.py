"""Model files: a module's `state_dict()` as `.safetensors` or `.npz`, written atomically."""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tinygrad_nn.nn.module import Module

FORMATS = (".safetensors", ".npz")


def _format(path: Path, where: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"{where}: cannot tell the file format of {str(path)!r}: "
            f"expected a name ending in {' or '.join(FORMATS)}"
        )
    return suffix


def _encode(state: dict[str, np.ndarray], fmt: str) -> bytes:
    arrays = {k: np.ascontiguousarray(v) for k, v in state.items()}
    if fmt == ".safetensors":
        try:
            from safetensors.numpy import save as st_save
        except ImportError as e:
            raise ImportError(
                "nn.save: .safetensors files need the safetensors package: "
                "pip install 'tinygrad_nn[io]' (or save to a .npz file)"
            ) from e
        return st_save(arrays, metadata={"format": "np", "library": "tinygrad_nn"})
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


def save(module: Module | dict[str, np.ndarray], path: str | os.PathLike[str]) -> Path:
    """Write `module.state_dict()` (or a name -> array dict) to `path`, atomically.

    The bytes go to a temporary file in the same directory, are flushed to disk, and only
    then renamed over `path`, so a crash never leaves a half-written model behind. Arrays
    holding NaN or Inf are refused (a model that diverged is not worth keeping silently).
    A `path` that is a symlink is followed: the file it points to is replaced, the link kept.
    """
    target = Path(path)
    fmt = _format(target, "nn.save")
    if target.is_symlink():  # the rename would replace the link itself with a regular file
        target = target.resolve()
    state = module.state_dict() if isinstance(module, Module) else dict(module)
    for name, value in state.items():
        if not isinstance(value, np.ndarray):
            raise TypeError(f"nn.save: entry {name!r} is a {type(value).__name__}, not an array")
        if value.dtype.kind not in "biufc":
            raise TypeError(f"nn.save: entry {name!r} has dtype {value.dtype}, expected numbers")
        if value.dtype.kind in "fc" and not np.isfinite(value).all():
            bad = int(value.size - np.isfinite(value).sum())
            raise ValueError(
                f"nn.save: entry {name!r} holds {bad} NaN/Inf of its {value.size} values; "
                f"refusing to write {str(target)!r} (did training diverge? try a smaller lr)"
            )
    payload = _encode(state, fmt)
    check_destination(target, "nn.save")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as e:
        raise _unwritable(e, target, "nn.save") from None
    try:
        os.chmod(tmp, _file_mode(target))  # mkstemp makes 0600; give the usual permissions
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.filename in (tmp, str(tmp)):
            raise _unwritable(e, target, "nn.save") from None
        raise
    return target


def check_destination(path: str | os.PathLike[str], where: str = "nn.save") -> Path:
    """Raise unless a file can be written at `path` (checked by creating one beside it).

    Use it before a long computation whose result goes to `path`: the error names `path`
    and says why (no such folder, not a folder, a directory in the way, no permission).
    """
    target = Path(path)
    directory = target.parent
    if not directory.exists():
        raise FileNotFoundError(
            f"{where}: cannot write {str(target)!r}: the folder {str(directory)!r} does not exist"
        )
    if not directory.is_dir():
        raise NotADirectoryError(
            f"{where}: cannot write {str(target)!r}: {str(directory)!r} is not a folder"
        )
    if target.is_dir():
        raise IsADirectoryError(f"{where}: cannot write {str(target)!r}: it is a directory")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as e:
        raise _unwritable(e, target, where) from None
    os.close(fd)
    os.unlink(probe)
    return target


def _unwritable(e: OSError, target: Path, where: str) -> OSError:
    """The same kind of OSError, naming the user's path instead of a temporary file."""
    reason = e.strerror or str(e)
    return type(e)(f"{where}: cannot write {str(target)!r}: {reason}")


def _file_mode(target: Path) -> int:
    """The replaced file's permissions, or those a new file gets under the current umask."""
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


class ModelFileError(ValueError):
    """A model file that cannot be read: it names the file and what is wrong with it."""


def _bad(source: Path, fmt: str, what: str) -> ModelFileError:
    return ModelFileError(f"nn.load: {str(source)!r} is not a valid {fmt} model file: {what}")


def load_state(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a `.safetensors` or `.npz` model file into a name -> array dict.

    Every header is checked against the bytes actually present before any array is made, so
    a damaged or hostile file raises `ModelFileError` (a `ValueError` naming the file and
    what is wrong) and never asks for more memory than the file holds. Pickles are never
    loaded.
    """
    source = Path(path)
    fmt = _format(source, "nn.load")
    if source.is_dir():
        raise IsADirectoryError(f"nn.load: {str(source)!r} is a directory, not a model file")
    if not source.is_file():
        raise FileNotFoundError(f"nn.load: no such file: {str(source)!r}")
    raw = source.read_bytes()
    if fmt == ".safetensors":
        return _read_safetensors(raw, source)
    return _read_npz(raw, source)


# safetensors dtype codes that NumPy can hold (all little-endian)
_ST_DTYPES = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U64": "<u8",
    "U32": "<u4",
    "U16": "<u2",
    "U8": "u1",
    "BOOL": "?",
}
_MAX_HEADER = 100 * 2**20  # the format's own limit on the JSON header


def _read_safetensors(raw: bytes, source: Path) -> dict[str, np.ndarray]:
    """Layout: an 8-byte little-endian header length N, N bytes of JSON, then the data."""

    def bad(what: str) -> ModelFileError:
        return _bad(source, ".safetensors", what)

    if len(raw) < 8:
        raise bad(f"the file has {len(raw)} bytes, fewer than the 8-byte header length")
    n = int.from_bytes(raw[:8], "little")
    if n > min(len(raw) - 8, _MAX_HEADER):
        raise bad(f"the header length says {n} bytes but {len(raw) - 8} follow it")
    try:
        header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise bad(f"the header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise bad(f"the header is a JSON {type(header).__name__}, expected an object")
    body = memoryview(raw)[8 + n :]
    entries: list[tuple[int, int, str, np.dtype, tuple[int, ...]]] = []
    for name, entry in header.items():
        if name == "__metadata__":
            if not isinstance(entry, dict):
                raise bad("__metadata__ is not a JSON object")
            continue
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise bad(f"entry {name!r} is not {{dtype, shape, data_offsets}}: {entry!r:.200}")
        code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if code not in _ST_DTYPES:
            raise bad(f"entry {name!r} has dtype {code!r}, expected one of {', '.join(_ST_DTYPES)}")
        if not _is_shape(shape):
            raise bad(f"entry {name!r} has shape {shape!r}, expected a list of sizes >= 0")
        if not (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(type(v) is int for v in offsets)
            and 0 <= offsets[0] <= offsets[1] <= len(body)
        ):
            raise bad(
                f"entry {name!r} has data_offsets {offsets!r}, expected [begin, end] within "
                f"the {len(body)} data bytes"
            )
        dtype = np.dtype(_ST_DTYPES[code])
        expected = math.prod(shape) * dtype.itemsize
        if offsets[1] - offsets[0] != expected:
            raise bad(
                f"entry {name!r} of shape {tuple(shape)} and dtype {code} needs "
                f"{_nbytes(expected)} but its data_offsets span {offsets[1] - offsets[0]} bytes"
            )
        entries.append((offsets[0], offsets[1], name, dtype, tuple(shape)))
    entries.sort(key=lambda e: (e[0], e[1]))
    position = 0
    for begin, end, name, _, _ in entries:  # the data must be tiled exactly, no overlaps
        if begin != position:
            raise bad(
                f"entry {name!r} starts at byte {begin}, expected {position} (overlap or gap)"
            )
        position = end
    if position != len(body):
        raise bad(f"{len(body) - position} bytes after the last entry belong to no entry")
    return {
        name: np.frombuffer(body[begin:end], dtype=dtype)
        .reshape(shape)
        .astype(dtype.newbyteorder("="))
        for begin, end, name, dtype, shape in entries
    }


def _is_shape(shape: object) -> bool:
    return isinstance(shape, (list, tuple)) and all(type(d) is int and d >= 0 for d in shape)


def _nbytes(n: int) -> str:
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n} bytes ({n / size:.1f} {unit})"
    return f"{n} bytes"


def _read_npz(raw: bytes, source: Path) -> dict[str, np.ndarray]:
    """A zip archive of `.npy` members; each member's header is checked before it is read."""

    def bad(what: str) -> ModelFileError:
        return _bad(source, ".npz", what)

    if raw.startswith(b"\x93NUMPY"):
        raise bad("it holds a single .npy array, not a .npz of named arrays")
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise bad(f"it is not a zip archive of .npy arrays ({e})") from None
    state: dict[str, np.ndarray] = {}
    with archive:
        for info in archive.infolist():
            member = info.filename
            if not member.endswith(".npy") or info.is_dir():
                raise bad(f"member {member!r} is not a .npy array")
            name = member[: -len(".npy")]
            if name in state:
                raise bad(f"member {member!r} appears twice")
            try:
                state[name] = _read_npy_member(archive, info, bad)
            except ModelFileError:
                raise
            except (
                zipfile.BadZipFile,
                OSError,
                EOFError,
                ValueError,
                RuntimeError,  # an encrypted member
                NotImplementedError,  # an unknown compression method
                zlib.error,
            ) as e:
                raise bad(f"member {member!r} is damaged ({e})") from None
    return state


def _read_npy_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, bad: Callable[[str], ModelFileError]
) -> np.ndarray:
    member = info.filename
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version not in ((1, 0), (2, 0)):
            raise bad(f"member {member!r} has .npy format version {version}, expected 1.0 or 2.0")
        try:
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        except (zipfile.BadZipFile, OSError, EOFError):
            raise
        except Exception as e:  # NumPy parses the header with ast: SyntaxError, TokenError, ...
            raise bad(f"member {member!r} has a damaged .npy header ({e})") from None
        if dtype.hasobject or dtype.kind not in "biufc":
            raise bad(f"member {member!r} has dtype {dtype}, expected numbers (no objects)")
        if not _is_shape(shape):
            raise bad(f"member {member!r} has shape {shape!r}, expected sizes >= 0")
        expected = math.prod(shape) * dtype.itemsize
        present = info.file_size - f.tell()
        if expected != present:
            raise bad(
                f"member {member!r} claims shape {shape} of {dtype}, {_nbytes(expected)}, "
                f"but holds {_nbytes(present)}"
            )
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise bad(f"member {member!r} is cut short")
        data = f.read(expected)
        if len(data) != expected:
            raise bad(f"member {member!r} is cut short: {len(data)} of {expected} bytes")
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return array.astype(dtype.newbyteorder("="), order="C")


def load(module: Module, path: str | os.PathLike[str], strict: bool = True) -> Module:
    """Load a model file written by `save` into `module`, checking names, shapes and dtypes."""
    if not isinstance(module, Module):
        raise TypeError(
            f"nn.load: module must be an nn.Module to load into, got {type(module).__name__} "
            f"({module!r:.60}); write nn.load(model, path), or nn.load_state(path) for a dict"
        )
    state = dict(module._upgrade_state_dict(load_state(path)))  # older files: older key names
    own = module.state_dict(keep_vars=True)
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    where = f"nn.load({str(path)!r})"
    if strict and (missing or unexpected):
        parts = []
        if missing:
            parts.append(f"missing entries {missing}")
        if unexpected:
            parts.append(f"unexpected entries {unexpected}")
        raise RuntimeError(
            f"{where}: the file does not match {type(module).__name__}: {'; '.join(parts)}"
        )
    for name, p in own.items():
        if name not in state:
            continue
        arr = state[name]
        if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
            bad = int(arr.size - np.isfinite(arr).sum())
            raise ValueError(
                f"{where}: entry {name!r} holds {bad} NaN/Inf of its {arr.size} values; the "
                "model that was saved had diverged (the model is unchanged)"
            )
        if arr.shape != p.data.shape:
            raise RuntimeError(
                f"{where}: entry {name!r} has shape {arr.shape}, the model expects {p.data.shape}"
            )
        if arr.dtype != p.data.dtype:
            raise RuntimeError(
                f"{where}: entry {name!r} has dtype {arr.dtype}, the model expects "
                f"{p.data.dtype}; build the model with the same dtype it was saved with"
            )
    module.load_state_dict(state, strict=strict)
    return module
