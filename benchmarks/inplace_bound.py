"""What preallocated buffers could give at most: the hand-written NumPy MLP step against the
same step with every array allocated once and every elementwise op written in place (``out=``).

    python benchmarks/inplace_bound.py

Same math, so the same results (checked); interleaved rounds, medians. If the in-place step is
not faster, a compiled plan that reuses buffers cannot be faster for that reason either: this is
the measurement behind tinygrad_nn.compile not rewriting ops to take ``out=`` (docs/performance.md).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from benchmarks.workloads import MLPProblem, NumpyMLP, make_mlp_problem  # noqa: E402


class NumpyMLPOut(NumpyMLP):
    """NumpyMLP with every buffer preallocated and every elementwise op in place."""

    def __init__(self, p: MLPProblem) -> None:
        super().__init__(p)
        m = p.X.shape[0]
        self.Z = [np.empty((m, W.shape[0]), W.dtype) for W in self.Ws]
        self.dW = [np.empty_like(W) for W in self.Ws]
        self.db = [np.empty_like(b) for b in self.bs]
        self.dA = [np.empty((m, W.shape[1]), W.dtype) for W in self.Ws]
        self.mask = [np.empty((m, W.shape[0]), bool) for W in self.Ws]
        self.tmpW = [np.empty_like(W) for W in self.Ws]
        self.tmpb = [np.empty_like(b) for b in self.bs]
        self.S = np.empty((m, 1), self.X.dtype)
    def step(self) -> tuple[Any, Any]:
        Ws, bs, L = self.Ws, self.bs, len(self.Ws)
        A = [self.X]  # A[l]: activations entering layer l, (m, n[l])
        for k in range(L - 1):
            Z = np.matmul(A[-1], Ws[k].T, out=self.Z[k])
            np.add(Z, bs[k], out=Z)
            np.maximum(Z, 0, out=Z)
            A.append(Z)
        Z = np.matmul(A[-1], Ws[-1].T, out=self.Z[-1])
        np.add(Z, bs[-1], out=Z)
        m = Z.shape[0]
        np.max(Z, axis=1, keepdims=True, out=self.S)
        np.subtract(Z, self.S, out=Z)  # Z_shift
        at_class = Z[self.rows, self.y].mean()
        np.exp(Z, out=Z)
        np.sum(Z, axis=1, keepdims=True, out=self.S)
        loss = np.log(self.S[:, 0]).mean() - at_class
        np.divide(Z, self.S, out=Z)  # softmax
        Z[self.rows, self.y] -= 1
        Z /= m
        dZ, dW1 = Z, None
        for k in range(L - 1, -1, -1):
            dW = np.matmul(dZ.T, A[k], out=self.dW[k])
            db = np.sum(dZ, axis=0, out=self.db[k])
            if k > 0:
                dA = np.matmul(dZ, Ws[k], out=self.dA[k])
                np.greater(A[k], 0, out=self.mask[k - 1])
                np.multiply(dA, self.mask[k - 1], out=dA)
                dZ = dA
            np.subtract(Ws[k], np.multiply(dW, self.lr, out=self.tmpW[k]), out=Ws[k])
            np.subtract(bs[k], np.multiply(db, self.lr, out=self.tmpb[k]), out=bs[k])
            dW1 = dW
        return loss, dW1


def main() -> None:
    for name, sizes, batch in [
        ("mlp_small", [784, 256, 128, 10], 128),
        ("mlp_large", [784, 1024, 1024, 10], 512),
    ]:
        p = make_mlp_problem(sizes, batch, "relu", "cross_entropy")
        a, b = NumpyMLP(p), NumpyMLPOut(p)
        (loss_a, grad_a), (loss_b, grad_b) = a.step(), b.step()
        assert np.array_equal(grad_a, grad_b) and np.allclose(loss_a, loss_b), name
        n = 3 if name == "mlp_large" else 20
        times: dict[str, list[float]] = {"baseline": [], "in place": []}
        for r in range(15):
            order = [("baseline", a.step), ("in place", b.step)]
            for label, step in order if r % 2 else order[::-1]:
                t0 = time.perf_counter()
                for _ in range(n):
                    step()
                times[label].append((time.perf_counter() - t0) / n)
        base, inplace = (statistics.median(times[k]) for k in ("baseline", "in place"))
        print(
            f"{name}: hand-written {base * 1e3:.3f} ms, all buffers preallocated and in place "
            f"{inplace * 1e3:.3f} ms, ratio {inplace / base:.3f}"
        )


if __name__ == "__main__":
    main()
