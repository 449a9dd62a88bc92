"""Model files: a module's `state_dict()` as `.safetensors` or `.npz`, written atomically."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
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
    then renamed over `path`, so a crash never leaves a half-written model behind.
    """
    target = Path(path)
    fmt = _format(target, "nn.save")
    state = module.state_dict() if isinstance(module, Module) else dict(module)
    for name, value in state.items():
        if not isinstance(value, np.ndarray):
            raise TypeError(f"nn.save: entry {name!r} is a {type(value).__name__}, not an array")
    payload = _encode(state, fmt)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"nn.save: directory {str(directory)!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        os.chmod(tmp, _file_mode(target))  # mkstemp makes 0600; give the usual permissions
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


def _file_mode(target: Path) -> int:
    """The replaced file's permissions, or those a new file gets under the current umask."""
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def load_state(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a `.safetensors` or `.npz` model file into a name -> array dict."""
    source = Path(path)
    fmt = _format(source, "nn.load")
    if not source.is_file():
        raise FileNotFoundError(f"nn.load: no such file: {str(source)!r}")
    raw = source.read_bytes()
    if fmt == ".safetensors":
        try:
            from safetensors.numpy import load as st_load
        except ImportError as e:
            raise ImportError(
                "nn.load: .safetensors files need the safetensors package: "
                "pip install 'tinygrad_nn[io]'"
            ) from e
        try:
            return dict(st_load(raw))
        except Exception as e:  # safetensors raises its own error types for bad headers
            raise ValueError(
                f"nn.load: {str(source)!r} is not a valid .safetensors file ({e})"
            ) from e
    try:
        obj = np.load(io.BytesIO(raw), allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"nn.load: {str(source)!r} is not a valid .npz model file ({e})") from e
    if not isinstance(obj, np.lib.npyio.NpzFile):
        raise ValueError(
            f"nn.load: {str(source)!r} holds a single array, not a .npz of named arrays"
        )
    try:
        with obj:
            return {k: obj[k] for k in obj.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"nn.load: {str(source)!r} is a damaged .npz file ({e})") from e


def load(module: Module, path: str | os.PathLike[str], strict: bool = True) -> Module:
    """Load a model file written by `save` into `module`, checking names, shapes and dtypes."""
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
