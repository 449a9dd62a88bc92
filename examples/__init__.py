"""Runnable examples, one per backprop tutorial the project grew from, plus the main job.

Each module defines `main(argv) -> int` (with `--fast` and `--out-dir`) and `graph_loss()`,
the scalar loss of one forward pass on a small batch. Run one with `tinygrad-nn run NAME`.
"""

EXAMPLES: dict[str, str] = {
    "shapes_walkthrough": "10-8-5-3 sigmoid net, m=100: shapes of W, b, Z, A, dW, db; deltas",
    "toy_1d": "1-D sign data, a [1,3,2,1] sigmoid net, gradient checking and mini-batch SGD",
    "nielsen_equivalence": "mini-batch SGD equals a per-sample NumPy network.py weight for weight",
    "hidden_representations": "GIF of a 2-unit hidden representation and the boundary in training",
    "bce_three_layer": "sigmoid + binary cross-entropy with X of shape (n_x, m), cost per epoch",
    "relu_softmax": "5-10-10-4 ReLU/softmax net, one-hot labels: one update step checked by hand",
    "digits_mlp": "the main job: an MLP on scikit-learn's 8x8 digits to >= 97% test accuracy",
}
