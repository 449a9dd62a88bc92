"""nn: Module discovery, Linear/MLP math and graph, init statistics, state dicts, model files."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinygrad_nn
import tinygrad_nn.functional as F
from tinygrad_nn import Tensor, nn, optim


class TwoBranch(nn.Module):
    def __init__(self) -> None:
        self.encoder = nn.Linear(3, 4, rng=0)
        self.heads = [nn.Linear(4, 2, rng=1), nn.Linear(4, 1, rng=2)]
        self.extra = {"scale": Tensor(np.ones(2), requires_grad=True)}
        self.buffer = Tensor(np.zeros(5))  # requires_grad=False: not a parameter
        self.act = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        h = self.act(self.encoder(x))
        return self.heads[0](h) * self.extra["scale"] + self.heads[1](h)


def test_named_parameters_discovers_attributes_lists_and_dicts_in_order() -> None:
    model = TwoBranch()
    names = [n for n, _ in model.named_parameters()]
    # like PyTorch: a module's own parameters first, then each child's, in assignment order
    assert names == [
        "extra.scale",
        "encoder.weight",
        "encoder.bias",
        "heads.0.weight",
        "heads.0.bias",
        "heads.1.weight",
        "heads.1.bias",
    ]
    assert model.num_parameters() == 3 * 4 + 4 + 4 * 2 + 2 + 4 + 1 + 2
    assert all(p.requires_grad for p in model.parameters())
    assert model.encoder.weight.name == "weight" and model.encoder.bias.name == "bias"


def test_shared_parameter_is_listed_once() -> None:
    shared = nn.Linear(2, 2, rng=0)
    seq = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(seq.parameters()) == 2
    assert [n for n, _ in seq.named_parameters()] == ["layers.0.weight", "layers.0.bias"]


def test_call_records_module_scope_on_ops() -> None:
    model = nn.MLP([3, 4, 2], rng=0)
    out = model(Tensor(np.ones((5, 3), np.float32)))
    op = out._op
    assert op is not None and op.scope is not None
    assert op.scope[0] is model and isinstance(op.scope[-1], nn.Linear)
    assert tinygrad_nn.autograd._state.scope is None  # popped again


def test_scope_is_popped_when_forward_raises() -> None:
    layer = nn.Linear(3, 2, rng=0)
    with pytest.raises(ValueError, match="expected input with 3 features"):
        layer(Tensor(np.ones((4, 5), np.float32)))
    assert tinygrad_nn.autograd._state.scope is None


def test_linear_matches_numpy_and_its_graph_is_primitive_ops() -> None:
    rng = np.random.default_rng(0)
    layer = nn.Linear(4, 3, rng=0)
    x = rng.standard_normal((6, 4)).astype(np.float32)
    y = layer(Tensor(x))
    expected = x @ layer.weight.data.T + layer.bias.data  # type: ignore[union-attr]
    np.testing.assert_allclose(y.data, expected, rtol=1e-6)
    assert y.shape == (6, 3) and y.dtype == np.float32
    assert y.op == "add"
    matmul, bias = y._op.inputs  # type: ignore[union-attr]
    assert matmul.name == "matmul" and bias is layer.bias
    assert matmul.inputs[1].name == "transpose"


def test_linear_gradients_against_finite_differences() -> None:
    layer = nn.Linear(3, 2, rng=0, dtype=np.float64)
    x = Tensor(np.random.default_rng(1).standard_normal((5, 3)), requires_grad=True)
    W, b = layer.weight, layer.bias
    assert b is not None

    def f(x: Tensor, W: Tensor, b: Tensor) -> Tensor:
        return ((x @ W.T + b).tanh() ** 2).sum()

    assert tinygrad_nn.gradcheck(f, [x, W, b])
    loss = (layer(x).tanh() ** 2).sum()
    loss.backward()
    assert W.grad is not None and W.grad.shape == (2, 3)
    assert b.grad is not None and b.grad.shape == (2,)


def test_linear_default_init_is_pytorch_uniform_bound() -> None:
    layer = nn.Linear(400, 300, rng=0)
    bound = 1 / math.sqrt(400)
    assert np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.bias.data).max() <= bound  # type: ignore[union-attr]
    # uniform on [-a, a] has std a / sqrt(3)
    assert abs(layer.weight.data.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert layer.weight.dtype == np.float32
    np.testing.assert_array_equal(
        nn.Linear(5, 3, rng=7).weight.data, nn.Linear(5, 3, rng=7).weight.data
    )
    assert not np.array_equal(
        nn.Linear(5, 3, rng=7).weight.data, nn.Linear(5, 3, rng=8).weight.data
    )


def test_linear_without_bias() -> None:
    layer = nn.Linear(3, 2, bias=False, rng=0)
    assert layer.bias is None and len(layer.parameters()) == 1
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(layer(Tensor(x)).data, x @ layer.weight.data.T, rtol=1e-6)


def test_mlp_structure_and_activations() -> None:
    model = nn.MLP([4, 8, 6, 3], activation="tanh", output_activation="softmax", rng=0)
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear", "Softmax"]
    assert [n for n, _ in model.named_parameters()][:2] == ["layers.0.weight", "layers.0.bias"]
    out = model(Tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)))
    np.testing.assert_allclose(out.data.sum(axis=1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.MLP([2, 2], activation="swish")
    with pytest.raises(ValueError, match="at least an input and an output"):
        nn.MLP([3])


def test_mlp_forward_equals_manual_chain() -> None:
    model = nn.MLP([3, 5, 2], activation="sigmoid", rng=0, dtype=np.float64)
    x = np.random.default_rng(2).standard_normal((4, 3))
    l1, l2 = model.layers[0], model.layers[2]
    assert isinstance(l1, nn.Linear) and isinstance(l2, nn.Linear)
    h = 1 / (1 + np.exp(-(x @ l1.weight.data.T + l1.bias.data)))  # type: ignore[union-attr]
    expected = h @ l2.weight.data.T + l2.bias.data  # type: ignore[union-attr]
    np.testing.assert_allclose(model(Tensor(x)).data, expected, rtol=1e-12)


def test_activation_modules() -> None:
    x = Tensor(np.array([[-2.0, 0.5, 3.0]]))
    np.testing.assert_allclose(nn.ReLU()(x).data, [[0.0, 0.5, 3.0]])
    np.testing.assert_allclose(nn.Sigmoid()(x).data, 1 / (1 + np.exp(-x.data)))
    np.testing.assert_allclose(nn.Tanh()(x).data, np.tanh(x.data))
    assert nn.Identity()(x) is x
    e = np.exp(x.data - x.data.max())
    np.testing.assert_allclose(nn.Softmax(axis=-1)(x).data, e / e.sum(), rtol=1e-12)


def test_zero_grad_train_eval() -> None:
    model = nn.MLP([2, 3, 1], rng=0)
    model(Tensor(np.ones((1, 2), np.float32))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.eval()
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_state_dict_round_trip_copies() -> None:
    a = nn.MLP([3, 4, 2], rng=0)
    b = nn.MLP([3, 4, 2], rng=1)
    sd = a.state_dict()
    assert list(sd) == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    sd["layers.0.bias"][0] = 123.0  # a copy: the model is unchanged
    assert a.layers[0].bias.data[0] != 123.0  # type: ignore[union-attr]
    b.load_state_dict(a.state_dict())
    x = Tensor(np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_load_state_dict_errors_name_the_entry() -> None:
    model = nn.MLP([3, 4, 2], rng=0)
    sd = model.state_dict()
    missing = dict(sd)
    del missing["layers.2.bias"]
    with pytest.raises(RuntimeError, match=r"missing entries 'layers\.2\.bias' \(2,\)"):
        model.load_state_dict(missing)
    extra = dict(sd, **{"layers.9.weight": np.zeros(1)})
    with pytest.raises(RuntimeError, match=r"unexpected entries \['layers\.9\.weight'\]"):
        model.load_state_dict(extra)
    wrong = dict(sd, **{"layers.0.weight": np.zeros((4, 4))})
    with pytest.raises(RuntimeError, match=r"'layers\.0\.weight' has shape \(4, 4\).*\(4, 3\)"):
        model.load_state_dict(wrong)
    assert model.load_state_dict(missing, strict=False) == (["layers.2.bias"], [])


def test_repr_lists_children() -> None:
    text = repr(nn.MLP([3, 4, 2], rng=0))
    assert "(layers.0): Linear(in_features=3, out_features=4, bias=True)" in text
    assert "(layers.1): ReLU()" in text


# ---- init ----------------------------------------------------------------------------------


def _blank(*shape: int) -> Tensor:
    return Tensor(np.zeros(shape), requires_grad=True)


def test_init_statistics_and_bounds() -> None:
    t = nn.init.xavier_uniform_(_blank(200, 300), rng=0)
    a = math.sqrt(6 / 500)
    assert np.abs(t.data).max() <= a and abs(t.data.std() - a / math.sqrt(3)) < 0.02 * a
    t = nn.init.kaiming_uniform_(_blank(200, 300), nonlinearity="relu", rng=0)
    bound = math.sqrt(2) * math.sqrt(3 / 300)
    assert np.abs(t.data).max() <= bound
    t = nn.init.kaiming_normal_(_blank(300, 400), nonlinearity="relu", rng=0)
    assert abs(t.data.std() - math.sqrt(2 / 400)) < 0.02 * math.sqrt(2 / 400)
    t = nn.init.kaiming_normal_(_blank(300, 400), mode="fan_out", nonlinearity="relu", rng=0)
    assert abs(t.data.std() - math.sqrt(2 / 300)) < 0.02 * math.sqrt(2 / 300)
    t = nn.init.normal_(_blank(100, 100), mean=2.0, std=0.5, rng=0)
    assert abs(t.data.mean() - 2.0) < 0.02 and abs(t.data.std() - 0.5) < 0.02
    assert not nn.init.zeros_(nn.init.normal_(_blank(3, 3), rng=0)).data.any()


def test_init_is_reproducible_and_in_place() -> None:
    t = _blank(4, 5)
    data = t.data
    assert nn.init.xavier_uniform_(t, rng=3) is t and t.data is data
    np.testing.assert_array_equal(t.data, nn.init.xavier_uniform_(_blank(4, 5), rng=3).data)
    f32 = Tensor(np.zeros((3, 3), np.float32), requires_grad=True)
    assert nn.init.normal_(f32, rng=0).dtype == np.float32


def test_init_needs_two_dimensions_for_fans() -> None:
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(5,\)"):
        nn.init.xavier_uniform_(_blank(5))


# ---- save / load ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_save_load_round_trip(tmp_path: Path, suffix: str) -> None:
    pytest.importorskip("safetensors")
    a = nn.MLP([3, 5, 2], rng=0)
    path = tmp_path / f"model{suffix}"
    nn.save(a, path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left behind
    b = nn.load(nn.MLP([3, 5, 2], rng=1), path)
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters(), strict=False):
        assert na == nb
        np.testing.assert_array_equal(pa.data, pb.data)
        assert pb.dtype == np.float32


def test_safetensors_file_opens_with_the_safetensors_library(tmp_path: Path) -> None:
    st = pytest.importorskip("safetensors.numpy")
    model = nn.MLP([3, 5, 2], rng=0)
    nn.save(model, tmp_path / "m.safetensors")
    loaded = st.load_file(str(tmp_path / "m.safetensors"))
    assert set(loaded) == set(model.state_dict())
    np.testing.assert_array_equal(loaded["layers.2.weight"], model.layers[2].weight.data)  # type: ignore[union-attr]


def test_save_is_atomic_when_writing_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.npz"
    nn.save(nn.MLP([2, 2], rng=0), path)
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("tinygrad_nn.nn.serialization.os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        nn.save(nn.MLP([2, 2], rng=1), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_load_validates_names_shapes_dtypes(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    nn.save(nn.MLP([3, 4, 2], rng=0), path)
    with pytest.raises(RuntimeError, match=r"missing entries \['layers\.4\.weight'"):
        nn.load(nn.MLP([3, 4, 4, 2], rng=0), path)
    with pytest.raises(RuntimeError, match=r"'layers\.0\.weight' has shape \(4, 3\).*\(5, 3\)"):
        nn.load(nn.MLP([3, 5, 2], rng=0), path)
    with pytest.raises(RuntimeError, match="dtype float32, the model expects float64"):
        nn.load(nn.MLP([3, 4, 2], rng=0, dtype=np.float64), path)


def test_load_rejects_corrupt_and_foreign_files(tmp_path: Path) -> None:
    pytest.importorskip("safetensors")
    model = nn.MLP([2, 2], rng=0)
    garbage = tmp_path / "junk.safetensors"
    garbage.write_bytes(b"\x00\x01 not a model")
    with pytest.raises(ValueError, match="not a valid .safetensors file"):
        nn.load(model, garbage)
    bad_npz = tmp_path / "junk.npz"
    bad_npz.write_text("hello")
    with pytest.raises(ValueError, match="not a valid .npz model file"):
        nn.load(model, bad_npz)
    single = tmp_path / "single.npz"
    with open(single, "wb") as f:
        np.save(f, np.zeros(3))
    with pytest.raises(ValueError, match="single array"):
        nn.load(model, single)
    truncated = tmp_path / "cut.npz"
    nn.save(model, truncated)
    truncated.write_bytes(truncated.read_bytes()[:40])
    with pytest.raises(ValueError, match="npz"):
        nn.load(model, truncated)
    with pytest.raises(ValueError, match=r"expected a name ending in \.safetensors or \.npz"):
        nn.save(model, tmp_path / "model.pt")
    with pytest.raises(FileNotFoundError, match="no such file"):
        nn.load(model, tmp_path / "absent.npz")
    assert zipfile.is_zipfile(tmp_path / "cut.npz") is False


def test_five_line_training_loop_learns() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 2)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    model = nn.MLP([2, 16, 2], rng=0)
    opt = optim.Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(100):
        loss = F.cross_entropy(model(Tensor(X)), y)
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.2 * first


def test_saved_file_has_ordinary_permissions(tmp_path: Path) -> None:
    import os

    path = tmp_path / "m.npz"
    nn.save(nn.MLP([2, 2], rng=0), path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    path.chmod(0o640)
    nn.save(nn.MLP([2, 2], rng=0), path)  # replacing keeps the file's mode
    assert path.stat().st_mode & 0o777 == 0o640
