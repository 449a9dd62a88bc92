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
    assert len(list(seq.parameters())) == 2
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]
    # state_dict names the shared layer under both positions, as PyTorch does
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_call_records_module_scope_on_ops() -> None:
    model = nn.MLP([3, 4, 2], rng=0)
    out = model(Tensor(np.ones((5, 3), np.float32)))
    op = out._op
    assert op is not None and op.scope is not None
    assert op.scope[0] is model and isinstance(op.scope[-1], nn.Linear)
    assert tinygrad_nn.autograd._state().scope is None  # popped again


def test_scope_is_popped_when_forward_raises() -> None:
    layer = nn.Linear(3, 2, rng=0)
    with pytest.raises(ValueError, match="expected input with 3 features"):
        layer(Tensor(np.ones((4, 5), np.float32)))
    assert tinygrad_nn.autograd._state().scope is None


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
    assert layer.bias is None and len(list(layer.parameters())) == 1
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(layer(Tensor(x)).data, x @ layer.weight.data.T, rtol=1e-6)


def test_mlp_structure_and_activations() -> None:
    model = nn.MLP([4, 8, 6, 3], activation="tanh", output_activation="softmax", rng=0)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear", "Softmax"]
    assert [n for n, _ in model.named_parameters()][:2] == ["0.weight", "0.bias"]
    out = model(Tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)))
    np.testing.assert_allclose(out.data.sum(axis=1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.MLP([2, 2], activation="swish")
    with pytest.raises(ValueError, match="at least an input and an output"):
        nn.MLP([3])


def test_mlp_forward_equals_manual_chain() -> None:
    model = nn.MLP([3, 5, 2], activation="sigmoid", rng=0, dtype=np.float64)
    x = np.random.default_rng(2).standard_normal((4, 3))
    l1, l2 = model[0], model[2]
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
    assert list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    sd["0.bias"][0] = 123.0  # a copy: the model is unchanged
    assert a[0].bias.data[0] != 123.0  # type: ignore[union-attr]
    b.load_state_dict(a.state_dict())
    x = Tensor(np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_load_state_dict_errors_name_the_entry() -> None:
    model = nn.MLP([3, 4, 2], rng=0)
    sd = model.state_dict()
    missing = dict(sd)
    del missing["2.bias"]
    with pytest.raises(RuntimeError, match=r"missing entries '2\.bias' \(2,\)"):
        model.load_state_dict(missing)
    extra = dict(sd, **{"9.weight": np.zeros(1)})
    with pytest.raises(RuntimeError, match=r"unexpected entries \['9\.weight'\]"):
        model.load_state_dict(extra)
    wrong = dict(sd, **{"0.weight": np.zeros((4, 4))})
    with pytest.raises(RuntimeError, match=r"'0\.weight' has shape \(4, 4\).*\(4, 3\)"):
        model.load_state_dict(wrong)
    assert model.load_state_dict(missing, strict=False) == (["2.bias"], [])


def test_repr_lists_children() -> None:
    text = repr(nn.MLP([3, 4, 2], rng=0))
    assert "(0): Linear(in_features=3, out_features=4, bias=True)" in text
    assert "(1): ReLU()" in text


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
    np.testing.assert_array_equal(loaded["2.weight"], model[2].weight.data)  # type: ignore[union-attr]


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
    with pytest.raises(RuntimeError, match=r"missing entries \['4\.weight'"):
        nn.load(nn.MLP([3, 4, 4, 2], rng=0), path)
    with pytest.raises(RuntimeError, match=r"'0\.weight' has shape \(4, 3\).*\(5, 3\)"):
        nn.load(nn.MLP([3, 5, 2], rng=0), path)
    with pytest.raises(RuntimeError, match="dtype float32, the model expects float64"):
        nn.load(nn.MLP([3, 4, 2], rng=0, dtype=np.float64), path)


def test_load_rejects_corrupt_and_foreign_files(tmp_path: Path) -> None:
    pytest.importorskip("safetensors")
    model = nn.MLP([2, 2], rng=0)
    garbage = tmp_path / "junk.safetensors"
    garbage.write_bytes(b"\x00\x01 not a model")
    with pytest.raises(ValueError, match="not a valid .safetensors model file"):
        nn.load(model, garbage)
    bad_npz = tmp_path / "junk.npz"
    bad_npz.write_text("hello")
    with pytest.raises(ValueError, match="not a valid .npz model file"):
        nn.load(model, bad_npz)
    single = tmp_path / "single.npz"
    with open(single, "wb") as f:
        np.save(f, np.zeros(3))
    with pytest.raises(ValueError, match="single .npy array"):
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


# ---- PyTorch's Module surface --------------------------------------------------------------


def test_parameter_is_a_tensor_that_requires_grad_and_shares_data() -> None:
    data = np.ones((2, 3), np.float32)
    p = nn.Parameter(Tensor(data))
    assert isinstance(p, Tensor) and p.requires_grad and p.data is data
    assert not nn.Parameter(Tensor(data), requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\nTensor(")
    assert isinstance(nn.Linear(2, 2, rng=0).weight, nn.Parameter)
    assert nn.Parameter().shape == (0,)


class Frozen(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(3, 2, rng=0)
        self.gain = Tensor(np.ones(2), requires_grad=True)  # a plain tensor parameter
        self.register_buffer("running", Tensor(np.zeros(2)))
        self.register_buffer("scratch", Tensor(np.zeros(1)), persistent=False)
        self.b = nn.Linear(2, 1, rng=1)

    def forward(self, x: Tensor) -> Tensor:
        return self.b(self.a(x) * self.gain + self.running)


def test_frozen_parameters_stay_in_state_dict_and_parameters() -> None:
    model = Frozen()
    keys = ["gain", "running", "a.weight", "a.bias", "b.weight", "b.bias"]
    assert list(model.state_dict()) == keys
    model.a.weight.requires_grad = False  # freezing a layer, PyTorch's idiom
    model.gain.requires_grad = False  # a plain Tensor registered when assigned
    model.b.requires_grad_(False)
    assert list(model.state_dict()) == keys
    assert len(list(model.parameters())) == 5
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["a.bias"]
    copy = Frozen()
    copy.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(copy.b.weight.data, model.b.weight.data)


def test_buffers_are_saved_cast_and_not_parameters() -> None:
    model = Frozen()
    assert [n for n, _ in model.named_buffers()] == ["running", "scratch"]
    assert "scratch" not in model.state_dict()  # persistent=False
    assert all(p is not model.running for p in model.parameters())
    model.running = np.full(2, 3.0)  # an array assigned to a buffer becomes a Tensor buffer
    assert isinstance(model.running, Tensor) and model.state_dict()["running"][0] == 3.0
    with pytest.raises(KeyError, match="attribute 'a' already exists"):
        model.register_buffer("a", Tensor(np.zeros(1)))
    with pytest.raises(KeyError, match="contain no '.'"):
        model.register_buffer("x.y", Tensor(np.zeros(1)))
    with pytest.raises(TypeError, match="wrap it: nn.Parameter"):
        model.register_parameter("w", Tensor(np.zeros(1)))  # type: ignore[arg-type]
    model.register_parameter("w", nn.Parameter(Tensor(np.zeros(1))))
    assert "w" in dict(model.named_parameters())


def test_module_to_casts_parameters_and_buffers_in_place() -> None:
    model = Frozen()
    weight = model.a.weight
    opt = optim.SGD(model.parameters(), lr=0.1)
    assert model.double() is model
    assert model.a.weight is weight and weight.dtype == np.float64
    assert model.running.dtype == np.float64 and model.state_dict()["a.bias"].dtype == np.float64
    out = model(Tensor(np.ones((4, 3))))
    assert out.dtype == np.float64
    out.sum().backward()
    opt.step()  # the optimiser built before .double() still updates the same parameters
    assert model.to(np.float32).a.weight.dtype == np.float32
    assert model.to("cpu") is model and model.to(device="cpu", dtype=np.float64) is model
    assert model.a.weight.dtype == np.float64
    with pytest.raises(RuntimeError, match="tinygrad_nn runs on NumPy on the CPU; .*'cuda'"):
        model.to("cuda")
    with pytest.raises(RuntimeError, match="tinygrad_nn runs on NumPy on the CPU"):
        model.cuda()
    with pytest.raises(TypeError, match="only floating dtypes"):
        model.to(np.int64)


def test_iterators_apply_and_zero_grad() -> None:
    model = Frozen()
    assert not isinstance(model.parameters(), list)  # iterators, as in PyTorch
    assert next(iter(model.parameters())) is model.gain
    assert [n for n, _ in model.named_children()] == ["a", "b"]
    assert [n for n, _ in model.named_modules()] == ["", "a", "b"]
    assert list(model.children()) == [model.a, model.b]
    seen: list[str] = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "Linear", "Frozen"]  # children first, as in PyTorch
    model(Tensor(np.ones((2, 3), np.float32))).sum().backward()
    model.zero_grad(set_to_none=False)
    assert model.a.weight.grad is not None and not model.a.weight.grad.data.any()
    model.zero_grad()
    assert model.a.weight.grad is None
    with pytest.raises(ValueError, match="mode must be a bool"):
        model.train("no")  # type: ignore[arg-type]


def _torch_mlp(torch, sizes, act):  # type: ignore[no-untyped-def]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    return torch.nn.Sequential(*layers).double()


def test_sequential_state_dict_moves_both_ways_with_torch() -> None:
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((5, 4))
    theirs = _torch_mlp(torch, [4, 8, 6, 3], torch.nn.Tanh)
    ours = nn.Sequential(
        nn.Linear(4, 8, dtype=np.float64),
        nn.Tanh(),
        nn.Linear(8, 6, dtype=np.float64),
        nn.Tanh(),
        nn.Linear(6, 3, dtype=np.float64),
    )
    assert list(ours.state_dict()) == list(theirs.state_dict())
    # torch -> here
    result = ours.load_state_dict(theirs.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    expected = theirs(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours(Tensor(x)).data, expected, rtol=1e-12)
    # here -> torch
    mlp = nn.MLP([4, 8, 6, 3], activation="tanh", rng=5, dtype=np.float64)
    assert list(mlp.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in mlp.state_dict().items()})
    expected = theirs(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(mlp(Tensor(x)).data, expected, rtol=1e-12)


def test_nested_containers_have_torch_names() -> None:
    torch = pytest.importorskip("torch")

    class Ours(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
            self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])
            self.heads = nn.ModuleDict({"cls": nn.Linear(4, 2), "reg": nn.Linear(4, 1)})

    class Theirs(torch.nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.stem = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU())
            self.blocks = torch.nn.ModuleList([torch.nn.Linear(4, 4) for _ in range(2)])
            self.heads = torch.nn.ModuleDict(
                {"cls": torch.nn.Linear(4, 2), "reg": torch.nn.Linear(4, 1)}
            )

    ours, theirs = Ours(), Theirs()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    ours.load_state_dict(theirs.state_dict())
    np.testing.assert_array_equal(
        ours.heads["reg"].weight.data, theirs.heads["reg"].weight.detach().numpy()
    )


def test_sequential_and_module_list_behave_like_lists() -> None:
    a, b, c = nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 1, rng=1)
    seq = nn.Sequential(a, b)
    assert seq[0] is a and seq[-1] is b and len(seq) == 2 and list(seq) == [a, b]
    seq.append(c)
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert isinstance(seq[1:], nn.Sequential) and list(seq[1:]) == [b, c]
    del seq[1]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    with pytest.raises(IndexError, match="index 5 is out of range for 2 modules"):
        seq[5]
    from collections import OrderedDict

    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2, rng=0)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]
    ml = nn.ModuleList([a])
    ml.append(c)
    ml.insert(1, b)
    assert list(ml) == [a, b, c] and list(ml.state_dict())[-1] == "2.bias"
    md = nn.ModuleDict({"x": a})
    md["y"] = c
    assert "y" in md and md.keys() == ["x", "y"] and len(md) == 2
    with pytest.raises(KeyError):
        md["z"]
    with pytest.raises(TypeError, match="not an nn.Module"):
        nn.Sequential(np.zeros(2))  # type: ignore[arg-type]


def test_old_files_with_layers_keys_still_load(tmp_path: Path) -> None:
    model = nn.MLP([3, 4, 2], rng=0)
    old = {f"layers.{k}": v for k, v in model.state_dict().items()}  # names before PyTorch's
    np.savez(tmp_path / "old.npz", **old)  # type: ignore[arg-type]
    fresh = nn.load(nn.MLP([3, 4, 2], rng=1), tmp_path / "old.npz")
    np.testing.assert_array_equal(fresh[2].weight.data, model[2].weight.data)
    other = nn.MLP([3, 4, 2], rng=2)
    other.load_state_dict(old)
    np.testing.assert_array_equal(other[0].bias.data, model[0].bias.data)  # type: ignore[union-attr]


def test_load_state_dict_reports_every_problem_and_changes_nothing() -> None:
    model = nn.MLP([3, 4, 2], rng=0)
    before = model.state_dict()
    bad = dict(before)
    bad["0.weight"] = np.zeros((5, 5))
    del bad["2.bias"]
    bad["9.weight"] = np.zeros(1)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(bad)
    for needle in ["'2.bias'", "'9.weight'", "'0.weight' has shape (5, 5)"]:
        assert needle in str(info.value)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    with pytest.raises(RuntimeError, match=r"'0\.weight' has shape \(5, 5\)"):
        model.load_state_dict(bad, strict=False)  # a shape mismatch raises even when not strict


# ---- dtypes ----------------------------------------------------------------------------------


def test_float64_batch_into_float32_model_computes_in_float32() -> None:
    model = nn.MLP([3, 4, 2], rng=0)  # float32
    x = np.random.default_rng(0).standard_normal((5, 3))  # float64, as NumPy makes it
    out = model(x)
    assert out.dtype == np.float32
    F.cross_entropy(out, np.array([0, 1, 1, 0, 1])).backward()
    assert all(p.grad is not None and p.grad.dtype == np.float32 for p in model.parameters())
    layer = nn.Linear(3, 2, rng=0, dtype=np.float64)
    assert layer(Tensor(x.astype(np.float32))).dtype == np.float64
    with pytest.raises(TypeError, match="input has dtype int64 but the parameters are float32"):
        model(np.ones((2, 3), np.int64))


# ---- activation, shape and loss modules against torch ---------------------------------------


def _pair(torch, shape, seed=0, scale=1.0):  # type: ignore[no-untyped-def]
    x = np.random.default_rng(seed).standard_normal(shape) * scale
    return Tensor(x.copy(), requires_grad=True), torch.tensor(x.copy(), requires_grad=True)


def _same(ours: Tensor, theirs, xs) -> None:  # type: ignore[no-untyped-def]
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    ours.sum().backward() if ours.ndim else ours.backward()
    theirs.sum().backward() if theirs.ndim else theirs.backward()
    for x, tx in xs:
        np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


MODULE_CASES = [
    ("LeakyReLU", {"negative_slope": 0.2}, (4, 5)),
    ("GELU", {}, (4, 5)),
    ("GELU", {"approximate": "tanh"}, (4, 5)),
    ("SiLU", {}, (4, 5)),
    ("ReLU", {}, (4, 5)),
    ("Tanh", {}, (4, 5)),
    ("Sigmoid", {}, (4, 5)),
    ("Softmax", {"dim": 1}, (3, 4, 5)),
    ("Softmax", {"dim": -1}, (3, 4, 5)),
    ("LogSoftmax", {"dim": 0}, (4, 5)),
    ("Flatten", {}, (2, 3, 4, 5)),
    ("Flatten", {"start_dim": 0, "end_dim": 1}, (2, 3, 4)),
    ("Unflatten", {"dim": 1, "unflattened_size": (2, 6)}, (3, 12)),
    ("Identity", {}, (3, 2)),
]


@pytest.mark.parametrize(("name", "kwargs", "shape"), MODULE_CASES)
def test_modules_match_torch(name: str, kwargs: dict, shape: tuple) -> None:  # type: ignore[type-arg]
    torch = pytest.importorskip("torch")
    x, tx = _pair(torch, shape)
    ours, theirs = getattr(nn, name)(**kwargs)(x), getattr(torch.nn, name)(**kwargs)(tx)
    assert ours.shape == tuple(theirs.shape)
    _same(ours * 1.0, theirs * 1.0, [(x, tx)])


def test_softmax_without_dim_picks_it_as_torch() -> None:
    torch = pytest.importorskip("torch")
    import warnings

    for shape in [(5,), (3, 4), (2, 3, 4), (2, 3, 4, 5)]:
        x, tx = _pair(torch, shape)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = torch.nn.Softmax()(tx).detach().numpy()
        np.testing.assert_allclose(nn.Softmax()(x).data, expected, rtol=1e-12)


def test_dropout_in_train_and_eval_mode() -> None:
    tinygrad_nn.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = Tensor(np.ones((200, 50)))
    y = drop(x).data
    assert set(np.unique(y)) <= {0.0, 1.0 / 0.75} and 0.2 < (y == 0).mean() < 0.3
    assert drop.eval()(x).data is x.data or np.array_equal(drop(x).data, x.data)
    tinygrad_nn.manual_seed(0)
    np.testing.assert_array_equal(nn.Dropout(0.25)(x).data, y)  # the default generator
    with pytest.raises(ValueError, match=r"Dropout: probability p must be in \[0, 1\], got 1.5"):
        nn.Dropout(1.5)
    model = nn.Sequential(nn.Linear(50, 3, rng=0), nn.Dropout(0.5))
    model.eval()
    assert not model[1].training


LOSS_CASES = [
    ("MSELoss", {}, "real"),
    ("MSELoss", {"reduction": "sum"}, "real"),
    ("L1Loss", {"reduction": "none"}, "real"),
    ("CrossEntropyLoss", {}, "class"),
    ("CrossEntropyLoss", {"weight": [0.5, 2.0, 1.0], "label_smoothing": 0.1}, "class"),
    ("CrossEntropyLoss", {"ignore_index": 1, "reduction": "sum"}, "class"),
    ("CrossEntropyLoss", {"reduction": "none"}, "class3d"),
    ("NLLLoss", {"weight": [0.5, 2.0, 1.0]}, "logp"),
    ("BCELoss", {}, "prob"),
    ("BCELoss", {"weight": [1.0, 2.0, 0.5], "reduction": "sum"}, "prob"),
    ("BCEWithLogitsLoss", {}, "binary"),
    ("BCEWithLogitsLoss", {"pos_weight": [3.0, 0.5, 1.0]}, "binary"),
    (
        "BCEWithLogitsLoss",
        {"weight": [1.0, 2.0, 0.5], "pos_weight": [2.0, 1.0, 4.0], "reduction": "none"},
        "binary",
    ),
]


@pytest.mark.parametrize(("name", "kwargs", "kind"), LOSS_CASES)
def test_loss_modules_match_torch(name: str, kwargs: dict, kind: str) -> None:  # type: ignore[type-arg]
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    shape = (4, 3, 5) if kind == "class3d" else (6, 3)
    x, tx = _pair(torch, shape)
    inp, tinp = x, tx
    if kind == "real":
        y = rng.standard_normal(shape)
    elif kind in ("class", "logp"):
        y = rng.integers(0, 3, 6)
        if kind == "logp":
            inp, tinp = x.log_softmax(1), tx.log_softmax(1)
    elif kind == "class3d":
        y = rng.integers(0, 3, (4, 5))
    elif kind == "prob":
        y = rng.random(shape)
        inp, tinp = x.sigmoid(), tx.sigmoid()
    else:
        y = (rng.random(shape) > 0.5).astype(np.float64)
    tkw = {
        k: (torch.tensor(v, dtype=torch.float64) if isinstance(v, list) else v)
        for k, v in kwargs.items()
    }
    ours = getattr(nn, name)(**kwargs)(inp, y)
    theirs = getattr(torch.nn, name)(**tkw)(tinp, torch.tensor(y))
    _same(ours, theirs, [(x, tx)])
    if "weight" in kwargs:
        assert "weight" in getattr(nn, name)(**kwargs).state_dict()  # a buffer, as in torch


def test_loss_module_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="CrossEntropyLoss: reduction must be one of"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        nn.CrossEntropyLoss(label_smoothing=float("nan"))
    with pytest.raises(ValueError, match="pos_weight must be finite"):
        nn.BCEWithLogitsLoss(pos_weight=[1.0, float("nan")])


# ---- init and clipping -------------------------------------------------------------------------


def test_manual_seed_makes_model_initialisation_reproducible() -> None:
    tinygrad_nn.manual_seed(123)
    a = nn.MLP([4, 8, 2])
    tinygrad_nn.manual_seed(123)
    b = nn.MLP([4, 8, 2])
    c = nn.MLP([4, 8, 2])
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(v, b.state_dict()[k])
    assert not np.array_equal(a[0].weight.data, c[0].weight.data)
    tinygrad_nn.manual_seed(7)
    w1 = nn.init.xavier_normal_(_blank(3, 4)).data.copy()
    tinygrad_nn.manual_seed(7)
    np.testing.assert_array_equal(nn.init.xavier_normal_(_blank(3, 4)).data, w1)


def test_init_torch_names_and_arguments() -> None:
    t = _blank(3, 4)
    assert nn.init.constant_(t, 0.3) is t and np.all(t.data == 0.3)
    assert np.all(nn.init.ones_(t).data == 1.0)
    np.testing.assert_array_equal(nn.init.eye_(t).data, np.eye(3, 4))
    u = nn.init.uniform_(_blank(100, 100), a=-2.0, b=-1.0, generator=np.random.default_rng(0))
    assert -2.0 <= u.data.min() and u.data.max() <= -1.0
    g = np.random.default_rng(5)
    np.testing.assert_array_equal(
        nn.init.kaiming_normal_(_blank(3, 4), generator=g).data,
        nn.init.kaiming_normal_(_blank(3, 4), rng=5).data,
    )
    with pytest.raises(ValueError, match="normal_: std must be >= 0"):
        nn.init.normal_(_blank(2, 2), std=-1.0)
    with pytest.raises(ValueError, match="uniform_: a must be finite"):
        nn.init.uniform_(_blank(2, 2), a=float("nan"))


def test_calculate_gain_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    for name in ["linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]:
        assert nn.init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.2)
    )


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type: float, max_norm: float) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(4)]
    ours = [Tensor(np.zeros_like(g), requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, tp, g in zip(ours, theirs, grads, strict=True):
        p.grad = Tensor(g.copy())
        tp.grad = torch.tensor(g.copy())
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-12)
    for p, tp in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-12)  # type: ignore[union-attr]


def test_clip_grad_value_and_errors() -> None:
    p = Tensor(np.zeros(4), requires_grad=True)
    p.grad = Tensor(np.array([-3.0, -0.5, 0.5, 3.0]))
    nn.utils.clip_grad_value_(p, 1.0)
    np.testing.assert_array_equal(p.grad.data, [-1.0, -0.5, 0.5, 1.0])
    p.grad = Tensor(np.array([np.inf, 1.0, 0.0, 0.0]))
    with pytest.raises(RuntimeError, match="total norm of order 2.0 .* is inf"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="max_norm must be >= 0, got nan"):
        nn.utils.clip_grad_norm_(p, float("nan"))
    with pytest.raises(ValueError, match="clip_value must be >= 0"):
        nn.utils.clip_grad_value_(p, -1.0)


BAD_MODULE_ARGUMENTS = [
    (lambda: nn.Linear(3.5, 2), TypeError, r"Linear: in_features must be an int, got 3.5"),
    (lambda: nn.Linear(True, 2), TypeError, r"Linear: in_features must be an int, got True"),
    (lambda: nn.Linear(3, 0), ValueError, r"Linear: out_features must be >= 1, got 0"),
    (lambda: nn.MLP([2, 2.5, 1]), TypeError, r"MLP: every size must be an int, got 2.5"),
    (lambda: nn.LeakyReLU(float("nan")), ValueError, "negative_slope must be a finite number"),
    (lambda: nn.Flatten("a"), TypeError, "Flatten: start_dim must be an int"),  # type: ignore[arg-type]
    (lambda: nn.Unflatten(1, (2, -3)), ValueError, "unflattened_size entry must be >= -1"),
    (lambda: nn.CrossEntropyLoss(ignore_index=1.5), TypeError, "ignore_index must be an int"),  # type: ignore[arg-type]
    (
        lambda: nn.init.constant_(_blank(2), float("nan")),
        ValueError,
        "constant_: val must be finite",
    ),
    (
        lambda: nn.init.kaiming_uniform_(_blank(2, 2), a=float("nan")),
        ValueError,
        "kaiming_uniform_: a must be finite",
    ),
    (
        lambda: nn.init.xavier_normal_(_blank(2, 2), gain=float("inf")),
        ValueError,
        "xavier_normal_: gain must be finite",
    ),
    (lambda: nn.Dropout(float("nan")), ValueError, "Dropout: probability p must be in"),
]


@pytest.mark.parametrize(("make", "error", "message"), BAD_MODULE_ARGUMENTS)
def test_bad_module_arguments_raise_naming_them(make, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        make()
