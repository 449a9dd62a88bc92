"""Graph drawing: see the graph that produced a tensor, replay its backward, check each op.

Reads the graph only; never changes it, never re-runs forward, never keeps arrays alive
that the program dropped (unless asked to, inside `record()`). Building a
`graphviz.Digraph` needs no Graphviz program; rendering uses the system `dot`, else the
`graphviz-pure` wheel.
"""

from tinygrad_nn.viz.check import GraphCheck, NodeCheck, check_graph, check_op
from tinygrad_nn.viz.drawing import draw
from tinygrad_nn.viz.recording import Recording, record
from tinygrad_nn.viz.rendering import (
    Drawing,
    RendererNotFoundError,
    find_renderer,
    pipe,
    render,
)
from tinygrad_nn.viz.replay import (
    BackwardFrame,
    backward_frames,
    draw_frame,
    render_frames,
    replay_html,
    save_replay_gif,
    save_replay_html,
    save_replay_svgs,
)

__all__ = [
    "BackwardFrame",
    "Drawing",
    "GraphCheck",
    "NodeCheck",
    "Recording",
    "RendererNotFoundError",
    "backward_frames",
    "check_graph",
    "check_op",
    "draw",
    "draw_frame",
    "find_renderer",
    "pipe",
    "record",
    "render",
    "render_frames",
    "replay_html",
    "save_replay_gif",
    "save_replay_html",
    "save_replay_svgs",
]
