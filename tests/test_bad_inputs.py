"""Bad inputs to public functions across the package: a clear error, never a wrong result."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tinygrad_nn import Tensor


@pytest.mark.parametrize("shape", [(2, 3), (0,), (4,), (1, 2)])
def test_item_of_a_non_scalar_names_the_shape(shape: tuple[int, ...]) -> None:
    t = Tensor(np.ones(shape, np.float32))
    with pytest.raises(RuntimeError, match=rf"item: .* has shape {re.escape(str(shape))}") as info:
        t.item()
    assert isinstance(info.value, ValueError)  # NumPy code catching ValueError still works
    assert f"({t.numel()} elements)" in str(info.value)


@pytest.mark.parametrize("shape", [(), (1,), (1, 1, 1)])
def test_item_of_one_element_is_a_python_number(shape: tuple[int, ...]) -> None:
    value = Tensor(np.full(shape, 2.5, np.float32)).item()
    assert value == 2.5 and type(value) is float


# ---- constructors ----------------------------------------------------------------------------


@pytest.mark.parametrize("make", ["Tensor", "tensor", "as_tensor"])
@pytest.mark.parametrize("data", [[[1, 2], [3]], [[1.0], [2.0, 3.0]], [1, [2, 3]]])
def test_ragged_lists_say_rows_differ(make: str, data: object) -> None:
    import tinygrad_nn as tn

    with pytest.raises(ValueError, match="ragged nested list .* every row must have the same"):
        getattr(tn, make)(data)


@pytest.mark.parametrize(
    "data", [np.array([object()]), np.array(["a", "b"]), np.array([b"x"]), np.array([None])]
)
@pytest.mark.parametrize("make", ["Tensor", "tensor", "as_tensor", "from_numpy"])
def test_non_numeric_arrays_are_refused(make: str, data: np.ndarray) -> None:
    import tinygrad_nn as tn

    with pytest.raises(TypeError, match=f"numeric tensor from an array of dtype {data.dtype}"):
        getattr(tn, make)(data)


# ---- data --------------------------------------------------------------------------------


def _datasets() -> list[tuple[str, object, str]]:
    from tinygrad_nn import data

    return [
        ("toy_sign n=-1", lambda: data.toy_sign(-1), "toy_sign: n must be an integer >= 1"),
        ("toy_sign n=2.5", lambda: data.toy_sign(2.5), "toy_sign: n must be an integer"),
        ("moons n=0", lambda: data.two_moons(0), "two_moons: n must be an integer >= 2"),
        ("moons noise=nan", lambda: data.two_moons(10, noise=float("nan")), "noise must be"),
        ("moons noise=-1", lambda: data.two_moons(10, noise=-1), "noise must be a finite"),
        ("circles n=0", lambda: data.circles(0), "circles: n must be an integer >= 2"),
        ("circles factor=nan", lambda: data.circles(10, factor=float("nan")), "factor must"),
        ("spirals n=-1", lambda: data.spirals(-1), "spirals: n must be an integer >= 3"),
        ("spirals noise=nan", lambda: data.spirals(30, noise=float("nan")), "noise must be"),
        ("spirals classes=1", lambda: data.spirals(30, classes=1), "classes must be"),
        ("spirals classes=2.5", lambda: data.spirals(30, classes=2.5), "classes must be"),
        ("spirals turns=inf", lambda: data.spirals(30, turns=float("inf")), "turns must be"),
        (
            "standardize NaN",
            lambda: data.standardize(np.array([[np.nan, 1.0], [2.0, 3.0]])),
            r"X of shape \(2, 2\) holds nan at index \(0, 0\)",
        ),
        (
            "standardize inf",
            lambda: data.standardize(np.array([[np.inf], [1.0]])),
            "holds inf",
        ),
        (
            "standardize std=0",
            lambda: data.standardize(np.ones((2, 2)), np.zeros(2), np.zeros(2)),
            "std must be > 0",
        ),
        (
            "standardize strings",
            lambda: data.standardize(np.array([["a"]])),
            "X must hold numbers",
        ),
        (
            "accuracy length",
            lambda: data.accuracy(np.ones((3, 2)), np.ones(4, np.int64)),
            r"3 rows of scores \(3, 2\) but 4 targets",
        ),
        (
            "DataLoader batch_size=True",
            lambda: data.DataLoader(np.ones((4, 2)), batch_size=True),
            "batch_size must be a positive int, got True",
        ),
        (
            "DataLoader batch_size=0",
            lambda: data.DataLoader(np.ones((4, 2)), batch_size=0),
            "batch_size must be a positive int, got 0",
        ),
        (
            "DataLoader batch_size=2.0",
            lambda: data.DataLoader(np.ones((4, 2)), batch_size=2.0),
            "batch_size must be a positive int, got 2.0",
        ),
    ]


@pytest.mark.parametrize("case", _datasets(), ids=lambda c: c[0])
def test_data_functions_refuse_bad_numbers(case: tuple[str, object, str]) -> None:
    pytest.importorskip("sklearn")
    _, call, message = case
    with pytest.raises((ValueError, TypeError), match=message):
        call()  # type: ignore[operator]


def _idx(header: bytes, body: bytes = b"", gz: bool = False) -> bytes:
    import gzip

    return gzip.compress(header + body) if gz else header + body


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "is not an IDX file"),
        (b"\x01\x02\x08\x01", "is not an IDX file"),
        (b"\x00\x00\x07\x01", "unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated inside its header"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x05" + b"\x00" * 3, "says it should have 13"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x02" + b"\x00" * 9, "says it should have 10"),
        # four sizes of 2**32 - 1 bytes: 3.4e38 bytes claimed; no overflow, no allocation
        (b"\x00\x00\x08\x04" + b"\xff" * 16 + b"\x00" * 8, "says it should have"),
    ],
)
def test_read_idx_refuses_damaged_files(
    tmp_path: Path,
    raw: bytes,
    message: str,
    gz: bool,  # noqa: F821, UP037
) -> None:
    from tinygrad_nn.data import read_idx

    path = tmp_path / "f-idx1-ubyte"
    path.write_bytes(_idx(raw, gz=gz) if raw else raw)
    with pytest.raises(ValueError, match=message):
        read_idx(path)


def test_read_idx_gzip_bomb_reads_only_what_the_header_claims(tmp_path: Path) -> None:
    import gzip
    import tracemalloc

    from tinygrad_nn.data import read_idx

    # a header for 10 bytes followed by 200 MB of zeros (a few hundred KB compressed)
    path = tmp_path / "bomb-idx1-ubyte.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"\x00\x00\x08\x01\x00\x00\x00\x0a")
        chunk = b"\x00" * 2**20
        for _ in range(200):
            f.write(chunk)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="the file is truncated or corrupt"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20


def test_load_mnist_refuses_images_that_are_not_bytes(tmp_path: Path) -> None:
    import struct

    from tinygrad_nn.data import load_mnist

    images = np.zeros((2, 28, 28), ">f4")
    (tmp_path / "train-images-idx3-ubyte").write_bytes(
        b"\x00\x00\x0d\x03" + struct.pack(">3I", 2, 28, 28) + images.tobytes()
    )
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(
        b"\x00\x00\x08\x01" + struct.pack(">I", 2) + b"\x01\x02"
    )
    with pytest.raises(ValueError, match="images must be unsigned bytes"):
        load_mnist(tmp_path)


# ---- rendering -----------------------------------------------------------------------------


def test_render_accepts_jpg_and_refuses_unknown_formats_without_writing(tmp_path: Path) -> None:
    rendering = pytest.importorskip("tinygrad_nn.viz.rendering")
    if rendering.find_renderer() is None:
        pytest.skip("no Graphviz renderer")
    source = "digraph { a -> b }"
    out = rendering.render(source, tmp_path / "g.jpg")
    assert out.read_bytes()[:2] == b"\xff\xd8"
    with pytest.raises(ValueError, match="format 'bmp' not supported"):
        rendering.render(source, tmp_path / "g.bmp")
    assert not (tmp_path / "g.bmp").exists()


# ---- shapes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: t.reshape(2.5, 2), r"reshape: expected integer sizes, got \(2.5, 2\)"),
        (lambda t: t.reshape((3.0, 2)), r"reshape: expected integer sizes"),
        (lambda t: t.reshape("3", 2), r"reshape: expected integer sizes"),
        (lambda t: t.reshape(None), r"reshape: expected integer sizes"),
        (lambda t: t.permute(0.0, 1), r"permute: expected integer sizes"),
        (lambda t: Tensor.zeros(2.5), r"zeros: expected integer sizes"),
        (lambda t: Tensor.ones(2, 1.5), r"ones: expected integer sizes"),
        (lambda t: Tensor.randn(2.5), r"randn: expected integer sizes"),
    ],
)
def test_float_sizes_are_refused_not_truncated(call: object, message: str) -> None:
    t = Tensor(np.ones((3, 2), np.float32))
    with pytest.raises(TypeError, match=message):
        call(t)  # type: ignore[operator]


def test_numpy_integer_sizes_are_accepted() -> None:
    t = Tensor(np.ones(6, np.float32))
    assert t.reshape(np.int64(3), np.int32(2)).shape == (3, 2)
    assert t.reshape([2, -1]).shape == (2, 3)


# ---- fit ---------------------------------------------------------------------------------


def _fit_setup() -> tuple[object, object, object, tuple[np.ndarray, np.ndarray]]:
    import tinygrad_nn.functional as F
    from tinygrad_nn import nn, optim

    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 2)).astype(np.float32)
    y = rng.integers(0, 2, 16)
    model = nn.MLP([2, 4, 2], rng=0)
    return model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), (X, y)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": -3}, "epochs must be an integer >= 0, got -3"),
        ({"epochs": 2.5}, "epochs must be an integer >= 0, got 2.5"),
        ({"epochs": True}, "epochs must be an integer"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"early_stopping": 0}, "early_stopping must be an integer >= 1"),
        ({"checkpoint_every": 0}, "checkpoint_every must be an integer >= 1"),
        ({"min_delta": float("nan")}, "min_delta must be a finite number >= 0"),
        ({"min_delta": -1.0}, "min_delta must be a finite number >= 0"),
        (
            {"checkpoint_every": 1, "checkpoint_path": "/nonexistent/c{epoch}.npz"},
            "folder '/nonexistent' does not exist",
        ),
        ({"checkpoint_every": 1, "checkpoint_path": "c{step}.npz"}, "must format with only"),
    ],
)
def test_fit_refuses_bad_options_before_training(
    kwargs: dict[str, object], message: str, tmp_path: Path
) -> None:
    from tinygrad_nn.train import fit

    model, loss_fn, opt, data = _fit_setup()
    before = model.state_dict()  # type: ignore[attr-defined]
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        fit(model, loss_fn, opt, data, progress=False, **kwargs)  # type: ignore[arg-type]
    for k, v in model.state_dict().items():  # type: ignore[attr-defined]
        np.testing.assert_array_equal(v, before[k])


def test_fit_stops_when_the_loss_becomes_nan() -> None:
    from tinygrad_nn import optim
    from tinygrad_nn.train import fit

    model, loss_fn, _, (X, y) = _fit_setup()
    X = X.copy()
    X[3, 0] = np.nan
    opt = optim.SGD(model.parameters(), lr=0.1)  # type: ignore[attr-defined]
    with pytest.raises(FloatingPointError, match="fit: the loss became nan at epoch 1, batch 1"):
        fit(model, loss_fn, opt, (X, y), epochs=2, progress=False, shuffle=False)  # type: ignore[arg-type]


# ---- losses refuse NaN and bad weights -------------------------------------------------------


def test_cross_entropy_refuses_nan_probability_target() -> None:
    import tinygrad_nn.functional as F

    with pytest.raises(ValueError, match=r"cross_entropy: probability target .* nan"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([[1.0, 0, 0], [np.nan, 0, 1]]))


def test_cross_entropy_refuses_nan_class_weight() -> None:
    import tinygrad_nn.functional as F

    with pytest.raises(ValueError, match=r"cross_entropy: weight .* nan"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 1]), weight=[1.0, np.nan, 1.0])


@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss"])
def test_weighted_regression_losses_refuse_zero_sum_and_negative_weights(fn: str) -> None:
    import tinygrad_nn.functional as F

    pred, target = Tensor(np.ones(3)), np.zeros(3)
    with pytest.raises(ValueError, match=rf"{fn}: weights sum to 0"):
        getattr(F, fn)(pred, target, weight=np.zeros(3))
    with pytest.raises(ValueError, match=rf"{fn}: weight .* -1"):
        getattr(F, fn)(pred, target, weight=np.array([1.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match=rf"{fn}: weight .* nan"):
        getattr(F, fn)(pred, target, weight=np.array([1.0, np.nan, 1.0]))


# ---- viz and gradcheck name themselves on a wrong argument -----------------------------------


def test_draw_check_graph_and_gradcheck_refuse_a_non_tensor() -> None:
    import tinygrad_nn
    import tinygrad_nn.viz

    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match=r"draw: expected the Tensor .* got int"):
        tinygrad_nn.draw(5)
    with pytest.raises(TypeError, match=r"check_graph: expected the loss Tensor .* got int"):
        tinygrad_nn.viz.check_graph(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"gradcheck: fn must be a function .* got int"):
        tinygrad_nn.gradcheck(5, (x,))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"draw: rankdir must be one of .*'XX'"):
        tinygrad_nn.draw((x * 2).sum(), rankdir="XX")


def test_dataloader_negative_seed_names_dataloader_and_seed() -> None:
    from tinygrad_nn.data import DataLoader

    with pytest.raises(ValueError, match=r"DataLoader: seed must be .* got -1"):
        DataLoader(np.ones((4, 2)), np.ones(4), batch_size=2, shuffle=True, seed=-1)


def test_float16_loss_mean_sums_in_float32() -> None:
    """6e4 + 6e4 overflows float16; the mean (6e4) does not, as in PyTorch."""
    import tinygrad_nn.functional as F

    x = Tensor(np.array([6e4, -6e4], np.float16))
    loss = F.binary_cross_entropy_with_logits(x, Tensor(np.array([0, 1], np.float16)))
    assert loss.dtype == np.float16 and np.isfinite(loss.item())
    np.testing.assert_allclose(loss.item(), 6e4, rtol=1e-3)


def test_linear_of_a_non_numeric_input_names_linear() -> None:
    from tinygrad_nn import nn

    with pytest.raises(TypeError, match=r"Linear\(3, 2\): the input must be a Tensor"):
        nn.Linear(3, 2)("abc")
