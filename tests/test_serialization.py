"""Model files that are damaged, hostile or foreign: one clear ValueError, model unchanged.

Each bad file is built here byte by byte. Every one must raise ``nn.ModelFileError`` (a
``ValueError``) naming the file and what is wrong, without asking for more memory than the
file holds, and leave the model's parameters as they were.
"""

from __future__ import annotations

import io
import json
import struct
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tinygrad_nn import nn
from tinygrad_nn.nn.serialization import ModelFileError


def model() -> nn.MLP:
    return nn.MLP([2, 3], rng=0)


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def npy_with_header(header: str, data: bytes = b"", version: bytes = b"\x01\x00") -> bytes:
    """A .npy member with a hand-written header dict (padded as the format wants)."""
    text = header.ljust(117) + "\n"  # 10 + 118 bytes: a 128-byte header block
    return b"\x93NUMPY" + version + struct.pack("<H", len(text)) + text.encode("latin1") + data


def zip_of(members: list[tuple[str, bytes]], compression: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def good_npz() -> bytes:
    return zip_of([(f"{k}.npy", npy(v)) for k, v in model().state_dict().items()])


def corrupt_crc() -> bytes:
    raw = bytearray(good_npz())
    raw[raw.index(b"\x93NUMPY") + 140] ^= 0xFF  # one byte of the first array's data
    return bytes(raw)


def duplicate_member() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z, pytest.warns(UserWarning, match="Duplicate name"):
        z.writestr("layers.0.weight.npy", npy(np.zeros((3, 2), np.float32)))
        z.writestr("layers.0.weight.npy", npy(np.ones((3, 2), np.float32)))
    return buf.getvalue()


F32_HEADER = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }"

NPZ_CASES: list[tuple[str, Callable[[], bytes], str]] = [
    ("text", lambda: b"hello", "not a zip archive of .npy arrays"),
    ("empty", lambda: b"", "not a zip archive"),
    ("single npy", lambda: npy(np.zeros(3)), "single .npy array"),
    ("cut zip", lambda: good_npz()[:60], "not a zip archive"),
    ("not npy member", lambda: zip_of([("weights.txt", b"1 2 3")]), "'weights.txt' is not a .npy"),
    ("bytes member", lambda: zip_of([("w.npy", b"plain bytes here")]), "'w.npy' is damaged"),
    (
        "3.6 TiB claim",
        lambda: zip_of(
            [
                (
                    "w.npy",
                    npy_with_header(
                        F32_HEADER % "(10**12,)".replace("10**12", str(10**12)), b"\0" * 16
                    ),
                )
            ]
        ),
        r"claims shape \(1000000000000,\) of float32, 4000000000000 bytes \(3.6 TiB\), but "
        r"holds 16 bytes",
    ),
    (
        "negative shape",
        lambda: zip_of([("w.npy", npy_with_header(F32_HEADER % "(-3,)", b"\0" * 12))]),
        r"shape \(-3,\), expected sizes >= 0",
    ),
    (
        "object dtype",
        lambda: zip_of(
            [("w.npy", npy_with_header("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"))]
        ),
        "dtype object, expected numbers",
    ),
    (
        "string dtype",
        lambda: zip_of([("w.npy", npy(np.array(["abc"])))]),
        "dtype <U3, expected numbers",
    ),
    (
        "short data",
        lambda: zip_of([("w.npy", npy(np.zeros(6, np.float32))[:-8])]),
        r"claims shape \(6,\) of float32, 24 bytes, but holds 16 bytes",
    ),
    ("bad header", lambda: zip_of([("w.npy", npy_with_header("{'descr': <f4"))]), "damaged"),
    (
        "version 9",
        lambda: zip_of([("w.npy", npy_with_header(F32_HEADER % "(1,)", b"\0" * 4, b"\x09\x00"))]),
        r"format version \(9, 0\)",
    ),
    ("crc", corrupt_crc, "is damaged .*CRC"),
    ("duplicate", duplicate_member, "'layers.0.weight.npy' appears twice"),
    ("directory", lambda: zip_of([("sub/", b"")]), "'sub/' is not a .npy array"),
    (
        "compressed 3.6 TiB claim",
        lambda: zip_of(
            [("w.npy", npy_with_header(F32_HEADER % str((10**12,)), b"\0" * 16))],
            zipfile.ZIP_DEFLATED,
        ),
        r"3.6 TiB\), but holds 16 bytes",
    ),
]


def safetensors_of(header: object, data: bytes = b"", length: int | None = None) -> bytes:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + data


W = {"dtype": "F32", "shape": [3, 2], "data_offsets": [0, 24]}

SAFETENSORS_CASES: list[tuple[str, Callable[[], bytes], str]] = [
    ("short", lambda: b"\x01\x02", "has 2 bytes, fewer than the 8-byte header length"),
    ("huge header length", lambda: safetensors_of({}, length=10**12), "says 1000000000000 bytes"),
    ("not json", lambda: safetensors_of(b"{not json"), "the header is not JSON"),
    ("not utf8", lambda: safetensors_of(b"\xff\xfe"), "the header is not JSON"),
    ("json list", lambda: safetensors_of([1, 2]), "a JSON list, expected an object"),
    ("missing keys", lambda: safetensors_of({"w": {"dtype": "F32"}}), "'w' is not"),
    (
        "bf16",
        lambda: safetensors_of({"w": {**W, "dtype": "BF16", "data_offsets": [0, 12]}}, b"\0" * 12),
        "dtype 'BF16', expected one of F64",
    ),
    (
        "negative shape",
        lambda: safetensors_of({"w": {**W, "shape": [-3, 2]}}, b"\0" * 24),
        r"shape \[-3, 2\], expected a list of sizes >= 0",
    ),
    (
        "float shape",
        lambda: safetensors_of({"w": {**W, "shape": [1.5]}}, b"\0" * 24),
        "expected a list of sizes",
    ),
    (
        "offsets past the end",
        lambda: safetensors_of({"w": {**W, "data_offsets": [0, 10**12]}}, b"\0" * 24),
        r"data_offsets \[0, 1000000000000\], expected \[begin, end\] within the 24 data bytes",
    ),
    (
        "3.6 TiB claim",
        lambda: safetensors_of({"w": {**W, "shape": [10**12]}}, b"\0" * 24),
        r"needs 4000000000000 bytes \(3.6 TiB\) but its data_offsets span 24 bytes",
    ),
    (
        "overlap",
        lambda: safetensors_of({"a": {**W, "shape": [6]}, "b": {**W, "shape": [6]}}, b"\0" * 24),
        "starts at byte 0, expected 24",
    ),
    ("trailing bytes", lambda: safetensors_of({"w": W}, b"\0" * 30), "6 bytes after the last"),
    (
        "metadata list",
        lambda: safetensors_of({"__metadata__": [1], "w": W}, b"\0" * 24),
        "__metadata__ is not a JSON object",
    ),
]


def check_refused(tmp_path: Path, name: str, raw: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(raw)
    m = model()
    before = m.state_dict()
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match=message) as info:
            nn.load(m, path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith(f"nn.load: {str(path)!r} is not a valid ")
    assert peak < 50 * 2**20, f"loading a bad file allocated {peak} bytes"
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


@pytest.mark.parametrize(("case", "make", "message"), NPZ_CASES, ids=[c[0] for c in NPZ_CASES])
def test_bad_npz_files_give_one_clear_error(
    tmp_path: Path, case: str, make: Callable[[], bytes], message: str
) -> None:
    check_refused(tmp_path, "model.npz", make(), message)


@pytest.mark.parametrize(
    ("case", "make", "message"), SAFETENSORS_CASES, ids=[c[0] for c in SAFETENSORS_CASES]
)
def test_bad_safetensors_files_give_one_clear_error(
    tmp_path: Path, case: str, make: Callable[[], bytes], message: str
) -> None:
    check_refused(tmp_path, "model.safetensors", make(), message)


def test_hand_built_good_files_load(tmp_path: Path) -> None:
    # The builders above make valid files when nothing is broken, so the cases test one fault.
    want = model().state_dict()
    (tmp_path / "a.npz").write_bytes(good_npz())
    data = np.arange(6, dtype=np.float32)
    (tmp_path / "a.safetensors").write_bytes(
        safetensors_of(
            {
                "__metadata__": {"k": "v"},
                "w": W,
                "b": {**W, "shape": [0], "data_offsets": [24, 24]},
            },
            data.tobytes(),
        )
    )
    m = nn.load(model(), tmp_path / "a.npz")
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v, want[k])
    state = nn.load_state(tmp_path / "a.safetensors")
    np.testing.assert_array_equal(state["w"], data.reshape(3, 2))
    assert state["b"].shape == (0,) and state["w"].flags.writeable


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_files_written_by_numpy_and_safetensors_load(tmp_path: Path, suffix: str) -> None:
    want = model().state_dict()
    path = tmp_path / f"m{suffix}"
    if suffix == ".npz":
        np.savez_compressed(path, **want)  # compressed, unlike nn.save
    else:
        st = pytest.importorskip("safetensors.numpy")
        st.save_file(want, str(path))
    got = nn.load(nn.MLP([2, 3], rng=5), path).state_dict()
    for k, v in want.items():
        np.testing.assert_array_equal(got[k], v)


def test_big_endian_and_fortran_arrays_load_as_native(tmp_path: Path) -> None:
    w = np.arange(6, dtype=">f4").reshape(3, 2)
    path = tmp_path / "m.npz"
    np.savez(path, **{"0.weight": np.asfortranarray(w), "0.bias": np.zeros(3, ">f4")})
    m = nn.load(model(), path)
    np.testing.assert_array_equal(m.layers[0].weight.data, w)  # type: ignore[union-attr]
    assert m.layers[0].weight.dtype == np.float32  # type: ignore[union-attr]


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_a_file_holding_nan_is_refused_and_the_model_unchanged(tmp_path: Path, suffix: str) -> None:
    pytest.importorskip("safetensors")
    state = model().state_dict()
    state["0.weight"][1, 0] = np.nan
    path = tmp_path / f"m{suffix}"
    if suffix == ".npz":
        np.savez(path, **state)
    else:
        import safetensors.numpy

        safetensors.numpy.save_file(state, str(path))
    m = nn.MLP([2, 3], rng=7)
    before = m.state_dict()
    with pytest.raises(ValueError, match=r"'0.weight' holds 1 NaN/Inf of its 6 values"):
        nn.load(m, path)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_save_refuses_nan_and_leaves_the_old_file(tmp_path: Path, bad: float) -> None:
    path = tmp_path / "m.npz"
    nn.save(model(), path)
    before = path.read_bytes()
    m = model()
    m[0].bias.data[0] = bad  # type: ignore[union-attr]
    with pytest.raises(ValueError, match=r"'0.bias' holds 1 NaN/Inf of its 3 values"):
        nn.save(m, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_save_refuses_object_arrays(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="'w' has dtype object, expected numbers"):
        nn.save({"w": np.array([object()])}, tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_save_errors_name_the_path_given_not_a_temporary_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cases: list[tuple[Path, type[Exception], str]] = [
        (tmp_path / "absent" / "m.npz", FileNotFoundError, "folder .* does not exist"),
        (blocker / "m.npz", NotADirectoryError, "is not a folder"),
        (tmp_path, IsADirectoryError, "it is a directory"),
    ]
    (tmp_path / "dir.npz").mkdir()
    cases.append((tmp_path / "dir.npz", IsADirectoryError, "it is a directory"))
    for path, error, message in cases:
        target = path if path.suffix else path / "x.npz"
        if path == tmp_path:
            continue
        with pytest.raises(error, match=message) as info:
            nn.save(model(), target)
        assert str(target) in str(info.value) and ".tmp" not in str(info.value)


def test_save_into_a_folder_without_write_permission_names_the_path(tmp_path: Path) -> None:
    import os

    if os.geteuid() == 0:  # root may write anywhere except a read-only file system
        target = Path("/sys/tinygrad_nn_model.npz")
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        target = locked / "m.npz"
    with pytest.raises(PermissionError, match="cannot write") as info:
        nn.save(model(), target)
    message = str(info.value)
    assert repr(str(target)) in message and ".tmp" not in message
    with pytest.raises(PermissionError, match=repr(str(target))):
        nn.serialization.check_destination(target)


def test_load_of_a_directory_or_missing_file(tmp_path: Path) -> None:
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory, not a model file"):
        nn.load(model(), tmp_path / "d.npz")
    with pytest.raises(FileNotFoundError, match="no such file"):
        nn.load(model(), tmp_path / "none.safetensors")


def test_save_through_a_symlink_writes_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    from tinygrad_nn import nn

    real = tmp_path / "real.safetensors"
    link = tmp_path / "link.safetensors"
    model = nn.Linear(2, 3)
    nn.save(model, real)
    link.symlink_to(real)
    nn.save(model, link)
    assert link.is_symlink() and real.is_file() and not real.is_symlink()
    assert nn.load_state(link).keys() == model.state_dict().keys()


def test_load_into_a_non_module_names_load_and_module(tmp_path: Path) -> None:
    from tinygrad_nn import nn

    nn.save(nn.Linear(2, 3), tmp_path / "m.safetensors")
    with pytest.raises(TypeError, match=r"nn.load: module must be an nn.Module .* got str"):
        nn.load("notamodule", tmp_path / "m.safetensors")  # type: ignore[arg-type]
