"""data: batching, splitting, one-hot, standardisation, datasets and the IDX reader."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from tinygrad_nn import Tensor
from tinygrad_nn.data import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    accuracy,
    circles,
    load_digits,
    load_mnist,
    one_hot,
    random_split,
    read_idx,
    spirals,
    standardize,
    toy_sign,
    train_test_split,
    two_moons,
)


def test_dataloader_batches_cover_all_samples_in_order() -> None:
    X = np.arange(10, dtype=np.float32).reshape(10, 1)
    y = np.arange(10)
    loader = DataLoader(X, y, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [len(b[0]) for b in batches] == [4, 4, 2]
    assert isinstance(batches[0][0], Tensor) and not batches[0][0].requires_grad
    np.testing.assert_array_equal(np.concatenate([b[1].data for b in batches]), y)
    dropped = DataLoader(X, y, batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [len(b[0]) for b in dropped] == [4, 4]


def test_dataloader_shuffle_is_seeded_and_differs_between_epochs() -> None:
    X = np.arange(20)
    y = -X

    def first_epoch() -> list[list[int]]:
        loader = DataLoader(X, y, batch_size=20, shuffle=True, seed=3, as_tensor=False)
        return [b[0].tolist() for b in loader]

    assert first_epoch() == first_epoch()
    loader = DataLoader(X, y, batch_size=20, shuffle=True, seed=3, as_tensor=False)
    (e1, l1), (e2, _) = next(iter(loader)), next(iter(loader))
    assert sorted(e1.tolist()) == list(range(20)) and e1.tolist() != e2.tolist()
    assert e1.tolist() != list(range(20)) and (l1 == -e1).all()  # rows stay paired


def test_dataloader_errors() -> None:
    with pytest.raises(ValueError, match=r"same number of samples.*\[3, 4\]"):
        DataLoader(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        DataLoader(np.zeros(3), batch_size=0)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        DataLoader(TensorDataset(np.zeros(3)), batch_size=2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a int is not a dataset: it needs __len__"):
        DataLoader(5)
    with pytest.raises(TypeError, match="sampler= and batch_sampler= are not supported"):
        DataLoader(np.zeros(3), sampler=[0, 1, 2])
    with pytest.raises(TypeError, match=r"unsupported arguments \['prefetch_factr'\]"):
        DataLoader(np.zeros(3), prefetch_factr=2)


class Pairs(Dataset):
    """A map-style dataset as a PyTorch tutorial writes one: (features, int label) samples."""

    def __init__(self, n: int) -> None:
        rng = np.random.default_rng(0)
        self.X = rng.standard_normal((n, 3)).astype(np.float32)
        self.y = [int(v) for v in rng.integers(0, 4, n)]

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        return self.X[i], self.y[i]


def _torch_batches(torch, dataset, **kw):  # type: ignore[no-untyped-def]
    return [[t.numpy() for t in b] for b in torch.utils.data.DataLoader(dataset, **kw)]


def test_dataset_batches_are_collated_as_torch() -> None:
    torch = pytest.importorskip("torch")
    ds = Pairs(10)
    for kw in [{}, {"batch_size": 4}, {"batch_size": 4, "drop_last": True}]:
        ours = list(DataLoader(ds, **kw))
        theirs = _torch_batches(torch, ds, **kw)
        assert len(ours) == len(theirs) == len(DataLoader(ds, **kw))
        for b, tb in zip(ours, theirs, strict=True):
            assert isinstance(b, list) and all(isinstance(t, Tensor) for t in b)
            for t, tt in zip(b, tb, strict=True):
                assert t.dtype == tt.dtype and t.shape == tt.shape  # labels int64, X float32
                np.testing.assert_array_equal(t.data, tt)
    loader = DataLoader(ds, batch_size=3)
    assert loader.dataset is ds and loader.batch_size == 3
    assert len(list(DataLoader(ds))) == 10  # batch_size=1 by default, as in torch


def test_tensor_dataset_and_array_datasets_match_torch() -> None:
    torch = pytest.importorskip("torch")
    X = np.arange(24, dtype=np.float64).reshape(8, 3)
    y = np.arange(8) % 3
    ds = TensorDataset(Tensor(X), Tensor(y))
    tds = torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y))
    assert len(ds) == 8 and [t.data.tolist() for t in ds[2]] == [t.tolist() for t in tds[2]]
    for b, tb in zip(
        DataLoader(ds, batch_size=3), _torch_batches(torch, tds, batch_size=3), strict=True
    ):
        for t, tt in zip(b, tb, strict=True):
            np.testing.assert_array_equal(t.data, tt)
            assert t.dtype == tt.dtype
    whole = list(DataLoader(X, batch_size=5))  # an array's rows are the samples
    assert [b.shape for b in whole] == [(5, 3), (3, 3)]
    np.testing.assert_array_equal(whole[1].data, X[5:])
    with pytest.raises(ValueError, match=r"TensorDataset: .*same number of samples.*\[8, 7\]"):
        TensorDataset(X, y[:7])


def test_collate_numbers_dicts_and_custom_collate_fn() -> None:
    class Dicts(Dataset):
        def __len__(self) -> int:
            return 5

        def __getitem__(self, i: int) -> dict:  # type: ignore[type-arg]
            return {"x": float(i), "label": i, "ok": i % 2 == 0}

    (batch, *_) = DataLoader(Dicts(), batch_size=4)
    assert batch["x"].dtype == np.float64 and batch["label"].dtype == np.int64
    assert batch["ok"].dtype == np.bool_ and batch["label"].tolist() == [0, 1, 2, 3]
    sums = [b for b in DataLoader(Dicts(), batch_size=2, collate_fn=len)]
    assert sums == [2, 2, 1]
    with pytest.raises(TypeError, match="cannot collate samples of type object"):
        next(iter(DataLoader([object()])))


def test_shuffle_draws_from_the_default_generator() -> None:
    import tinygrad_nn

    ds = TensorDataset(np.arange(30))

    def order(loader: DataLoader) -> list[int]:
        return [int(v) for b in loader for v in b[0].data]

    tinygrad_nn.manual_seed(0)
    loader = DataLoader(ds, batch_size=7, shuffle=True)
    first, second = order(loader), order(loader)
    tinygrad_nn.manual_seed(0)
    again = DataLoader(ds, batch_size=7, shuffle=True)
    assert order(again) == first and first != second and sorted(first) == list(range(30))
    seeded = [order(DataLoader(ds, batch_size=7, shuffle=True, generator=5)) for _ in range(2)]
    assert seeded[0] == seeded[1]


def test_random_split_and_subset() -> None:
    parts = random_split(TensorDataset(np.arange(10)), [0.7, 0.3], generator=0)
    assert [len(p) for p in parts] == [7, 3]
    seen = sorted(int(p[i][0].item()) for p in parts for i in range(len(p)))
    assert seen == list(range(10))
    assert len(Subset(Pairs(5), [4, 0])) == 2 and Subset(Pairs(5), [4, 0])[0][1] == Pairs(5)[4][1]
    with pytest.raises(ValueError, match="random_split: lengths"):
        random_split(np.arange(10), [3, 3])


def test_train_test_split() -> None:
    X = np.arange(100).reshape(50, 2)
    y = np.arange(50)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, seed=0)
    assert Xtr.shape == (40, 2) and Xte.shape == (10, 2)
    np.testing.assert_array_equal(Xtr[:, 0] // 2, ytr)  # rows stay paired
    assert sorted(np.concatenate([ytr, yte]).tolist()) == list(range(50))
    assert train_test_split(X, y, test_size=0.2, seed=0)[3].tolist() == yte.tolist()
    assert train_test_split(y, test_size=5, shuffle=False)[1].tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="both parts must be non-empty"):
        train_test_split(y, test_size=50)
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\)"):
        train_test_split(y, test_size=1.5)


def test_train_test_split_stratified_keeps_class_shares() -> None:
    y = np.repeat(np.arange(3), [50, 30, 20])
    X = np.arange(100)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, seed=1, stratify=y)
    assert len(yte) == 20
    counts = np.bincount(yte, minlength=3)
    assert np.all(np.abs(counts - np.array([10, 6, 4])) <= 1), counts
    np.testing.assert_array_equal(y[Xte], yte)
    assert sorted(np.concatenate([Xtr, Xte]).tolist()) == list(range(100))
    with pytest.raises(ValueError, match="stratify has 3 labels for 100 samples"):
        train_test_split(X, test_size=0.2, stratify=[0, 1, 2])


def test_one_hot() -> None:
    out = one_hot(np.array([2, 0, 1]), 4)
    np.testing.assert_array_equal(out, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    assert out.dtype == np.float32 and one_hot([1, 3]).shape == (2, 4)
    with pytest.raises(ValueError, match="label 5 does not fit num_classes=3"):
        one_hot([5], 3)
    with pytest.raises(TypeError, match="labels must be integers"):
        one_hot(np.array([0.5]))


def test_standardize_uses_given_statistics_and_handles_constant_features() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 2.0, (200, 3)).astype(np.float32)
    X[:, 2] = 7.0
    Xs, mean, std = standardize(X)
    np.testing.assert_allclose(Xs[:, :2].mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(Xs[:, :2].std(axis=0), 1.0, atol=1e-5)
    assert np.all(Xs[:, 2] == 0.0) and Xs.dtype == np.float32
    other, _, _ = standardize(X[:5] + 1.0, mean, std)
    np.testing.assert_allclose(other, (X[:5] + 1.0 - mean) / std, rtol=1e-6)


def test_accuracy() -> None:
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert accuracy(scores, np.array([1, 0, 0])) == pytest.approx(2 / 3)
    assert accuracy(Tensor(scores), one_hot([1, 0, 1], 2)) == 1.0


def test_toy_sign_matches_the_tutorial_definition() -> None:
    x, y = toy_sign()
    assert x.shape == (1000, 1) and y.shape == (1000, 1)
    assert x[0, 0] == -5.0 and x[-1, 0] == 5.0
    np.testing.assert_allclose(x[:3, 0], [-5.0, -4.98998999, -4.97997998], atol=1e-8)
    assert set(np.unique(y).tolist()) == {-1, 1}
    assert np.all(y[x <= 0] == -1) and np.all(y[x > 0] == 1)


@pytest.mark.parametrize("make", [two_moons, circles, spirals])
def test_toy_2d_datasets(make) -> None:  # type: ignore[no-untyped-def]
    X, y = make(n=120, seed=0)
    assert X.shape == (120, 2) and y.shape == (120,) and X.dtype == np.float32
    assert np.bincount(y).min() >= 120 // (y.max() + 1) - 1
    X2, y2 = make(n=120, seed=0)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, make(n=120, seed=1)[0])


def test_circles_radii() -> None:
    X, y = circles(400, noise=0.0, factor=0.3, seed=0)
    r = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(r[y == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(r[y == 1], 0.3, atol=1e-6)


def test_load_digits() -> None:
    pytest.importorskip("sklearn")
    X, y = load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.dtype == np.float32 and 0.0 <= X.min() and X.max() == 1.0
    assert sorted(np.unique(y).tolist()) == list(range(10))


# ---- IDX -----------------------------------------------------------------------------------


def _idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write_mnist(folder: Path, prefix: str, n: int, gz: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    for kind, arr in (("images-idx3-ubyte", images), ("labels-idx1-ubyte", labels)):
        path = folder / f"{prefix}-{kind}"
        raw = _idx_bytes(arr)
        if gz:
            (folder / (path.name + ".gz")).write_bytes(gzip.compress(raw))
        else:
            path.write_bytes(raw)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_from_written_idx_files(tmp_path: Path, gz: bool) -> None:
    images, labels = _write_mnist(tmp_path, "train", 7, gz)
    t_images, t_labels = _write_mnist(tmp_path, "t10k", 3, gz)
    X, y = load_mnist(tmp_path, "train")
    assert X.shape == (7, 784) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X, images.reshape(7, -1) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)
    Xt, yt = load_mnist(tmp_path, "test", flatten=False)
    assert Xt.shape == (3, 28, 28)
    np.testing.assert_array_equal(yt, t_labels)


@pytest.mark.parametrize(
    ("dtype", "code"),
    [
        (np.uint8, 0x08),
        (np.int8, 0x09),
        (np.int16, 0x0B),
        (np.int32, 0x0C),
        (np.float32, 0x0D),
        (np.float64, 0x0E),
    ],
)
def test_read_idx_all_types_big_endian(tmp_path: Path, dtype: type, code: int) -> None:
    arr = (
        (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
        if dtype != np.uint8
        else np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    )
    path = tmp_path / "a.idx"
    path.write_bytes(_idx_bytes(arr, code))
    out = read_idx(path)
    np.testing.assert_array_equal(out, arr)
    assert out.dtype == np.dtype(dtype)


def test_idx_errors_say_what_was_expected(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_idx(tmp_path / "nothing")
    bad = tmp_path / "bad"
    bad.write_bytes(b"PK\x03\x04 zip, not idx")
    with pytest.raises(
        ValueError, match="not an IDX file: expected it to start with two zero bytes"
    ):
        read_idx(bad)
    code = tmp_path / "code"
    code.write_bytes(bytes([0, 0, 0x42, 1, 0, 0, 0, 1, 7]))
    with pytest.raises(ValueError, match="unknown IDX type code 0x42"):
        read_idx(code)
    short = tmp_path / "short"
    short.write_bytes(_idx_bytes(np.zeros((4, 5), np.uint8))[:-3])
    with pytest.raises(
        ValueError,
        match=r"has 29 bytes, but its header \(shape \(4, 5\), uint8\) says it should have 32",
    ):
        read_idx(short)
    badgz = tmp_path / "bad.gz"
    badgz.write_bytes(gzip.compress(_idx_bytes(np.zeros(10, np.uint8)))[:-8])
    with pytest.raises(ValueError, match="gzip-compressed but cannot be decompressed"):
        read_idx(badgz)


def test_load_mnist_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such directory"):
        load_mnist(tmp_path / "absent")
    with pytest.raises(
        FileNotFoundError, match=r"expected train-images-idx3-ubyte or train-images-idx3-ubyte\.gz"
    ):
        load_mnist(tmp_path)
    _write_mnist(tmp_path, "train", 4, gz=False)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(_idx_bytes(np.zeros(5, np.uint8)))
    with pytest.raises(ValueError, match="4 images but 5 labels"):
        load_mnist(tmp_path)
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        load_mnist(tmp_path, "valid")
