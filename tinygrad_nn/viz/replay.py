"""Backward replay: one picture per step of the reverse topological sweep.

Built on the engine's own `tinygrad_nn.autograd.backward_steps` (the same sweep as
`loss.backward()`), so what is shown is what ran: the node processed, the gradient sent to
each input, and the gradients accumulated so far (a reused tensor collects one contribution
per use, and the picture counts them).
"""

from __future__ import annotations

import html
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn.viz._graph import Vertex, fmt_num, fmt_shape, is_op, vertex
from tinygrad_nn.viz.drawing import Decorations, Drawing, Graph, build, read_graph, rule_lines
from tinygrad_nn.viz.rendering import pipe

if TYPE_CHECKING:
    from tinygrad_nn.autograd import Tensor
    from tinygrad_nn.ops import Op

PROCESSED = {"fillcolor": "#ffb347", "penwidth": "3", "color": "#c25e00"}
FLOW = {"color": "#e67e00", "fontcolor": "#c25e00", "penwidth": "2.5"}
GIF_WIDTH = 1400  # frames wider than this are scaled down


@dataclass
class BackwardFrame:
    """The state after step `index` (0-based) of the sweep from `root`."""

    index: int
    count: int  # number of steps in the sweep
    root: Tensor
    tensor: Tensor | None  # the tensor whose op was processed, if the program holds it
    op: Op
    grad_output: np.ndarray  # dL/d(op's output): everything it had accumulated
    input_grads: tuple[np.ndarray | None, ...]  # sent to op.inputs, at their shapes
    accumulated: dict[int, np.ndarray] = field(repr=False)  # id(vertex) -> grad so far
    contributions: dict[int, int] = field(repr=False)  # id(vertex) -> contributions so far

    def grad(self, t: Tensor | Vertex) -> np.ndarray | None:
        """Gradient accumulated into `t` (a tensor or an op; this backward only) after this step."""
        return self.accumulated.get(id(_vertex(t)))

    def uses(self, t: Tensor | Vertex) -> int:
        """How many contributions `t`'s gradient has received so far."""
        return self.contributions.get(id(_vertex(t)), 0)

    def describe(self, graph: Graph | None = None) -> str:
        """'step 3/9: backward of A[2] = relu: dZ[2] = dA[2] * [Z[2] > 0]' (the caption)."""
        g = graph or read_graph(self.root)
        names = g.names
        shown = g.folded.get(id(self.op))
        if shown is not None:  # a transpose drawn on the edge of its parameter
            what = f"{names.of(self.op)} (transpose)"
        elif id(self.op) in names.name:
            what = f"{names.of(self.op)} = {self.op.name}"
        else:
            what = self.op.name
        head = f"step {self.index + 1}/{self.count}: backward of {what}"
        if names.math:
            rules = rule_lines(self.op, g)
            return f"{head}: " + "; ".join(rules) if rules else head
        sent = [
            f"{names.grad_of(p)} {fmt_shape(gr.shape)} to {names.of(p)}"
            for p, gr in zip(self.op.inputs, self.input_grads, strict=True)
            if gr is not None
        ]
        to = ", ".join(sent) if sent else "nothing (no input needs grad)"
        return f"{head} {fmt_shape(self.op.shape)} sends {to}"


def _vertex(t: Any) -> Vertex:
    return t if is_op(t) or t._op is None else vertex(t)


def backward_frames(
    loss: Tensor, grad: Any = None, retain_graph: bool = False
) -> list[BackwardFrame]:
    """Run `loss.backward(grad, retain_graph)` through the engine and return one frame per step.

    This is a real backward: leaves' `.grad` accumulate exactly as with `loss.backward()`.
    The frames keep the gradients of every step (that is what they are for) and the graph's
    ops, not the dropped intermediate tensors.
    """
    from tinygrad_nn.autograd import backward_steps

    steps = backward_steps(loss, grad=grad, retain_graph=retain_graph)
    seed = (
        np.ones_like(loss.data)
        if grad is None
        else np.asarray(grad.data if hasattr(grad, "data") else grad, dtype=loss.data.dtype)
    )
    top = vertex(loss)
    accumulated: dict[int, np.ndarray] = {id(top): seed.copy()}
    contributions: dict[int, int] = {id(top): 1}
    frames: list[BackwardFrame] = []
    for k, step in enumerate(steps):
        for p, g in zip(step.op.inputs, step.input_grads, strict=True):
            if g is None:
                continue
            prev = accumulated.get(id(p))
            accumulated[id(p)] = g.copy() if prev is None else prev + g
            contributions[id(p)] = contributions.get(id(p), 0) + 1
        frames.append(
            BackwardFrame(
                index=k,
                count=len(steps),
                root=loss,
                tensor=step.tensor,
                op=step.op,
                grad_output=step.grad_output,
                input_grads=step.input_grads,
                accumulated=dict(accumulated),
                contributions=dict(contributions),
            )
        )
    return frames


def draw_frame(
    frame: BackwardFrame,
    final: BackwardFrame | None = None,
    graph: Graph | None = None,
    **draw_kw: Any,
) -> Drawing:
    """The graph at this step: processed node in orange, gradient-carrying edges highlighted,
    each node's accumulated gradient so far; `final` (the last frame) lets not-yet-reached
    nodes show a placeholder line so the layout stays put from frame to frame."""
    g = graph or read_graph(frame.root, draw_kw.get("notation"))
    names = g.names
    deco = Decorations(grads=frame.accumulated, title=frame.describe(g))
    op = frame.op
    flows: list[tuple[tuple[int, int, int], np.ndarray, Vertex]] = []  # edge, grad, receiver
    leaf = g.folded.get(id(op))
    if leaf is not None:  # a transpose drawn on the edges from its parameter: light those up
        (gr,) = frame.input_grads
        for c in g.consumers.get(id(leaf), []):
            for i, p in enumerate(c.inputs):
                if p is op and gr is not None:
                    flows.append(((id(op), id(c), i), gr, leaf))
    else:
        deco.node_attrs[id(op)] = dict(PROCESSED, id="current")
        deco.node_lines[id(op)] = [
            (f"processing: {names.grad_of(op)} norm {_norm(frame.grad_output)}", "#c25e00")
        ]
        for i, (p, gr) in enumerate(zip(op.inputs, frame.input_grads, strict=True)):
            if gr is not None:
                flows.append(((id(p), id(op), i), gr, p))
    for k, (key, gr, receiver) in enumerate(flows):
        label = f"{names.grad_of(receiver)} {fmt_shape(gr.shape)} norm {_norm(gr)}"
        deco.edge_attrs[key] = dict(FLOW, label=label)
        if leaf is not None and k == 0:
            deco.edge_attrs[key]["id"] = "current"  # where the page scrolls to
    for tid, n in frame.contributions.items():
        if n >= 2:
            deco.node_lines.setdefault(tid, []).append((f"grad summed from {n} uses", "w"))
    if final is not None:
        for tid in final.accumulated:
            if tid not in frame.accumulated:
                deco.node_lines.setdefault(tid, []).append(("grad: not reached yet", "#999999"))
    deco.legend.append(
        ("being processed", dict(shape="box", style="filled", **dict(PROCESSED.items())))
    )
    draw_kw.setdefault("show_grad", True)
    return build(frame.root, deco=deco, **draw_kw)


def _norm(g: np.ndarray) -> str:
    return fmt_num(float(np.linalg.norm(np.asarray(g, dtype=np.float64).ravel())))


def _frames_of(source: Tensor | list[BackwardFrame]) -> list[BackwardFrame]:
    if isinstance(source, list):
        if not source:
            raise ValueError("replay: no frames (the loss has no graph to replay)")
        return source
    return backward_frames(source)


def render_frames(
    source: Tensor | list[BackwardFrame], format: str = "svg", **draw_kw: Any
) -> list[bytes]:
    """Each frame rendered (`svg` or `png` bytes)."""
    frames = _frames_of(source)
    g = read_graph(frames[0].root, draw_kw.get("notation"))
    return [pipe(draw_frame(f, frames[-1], graph=g, **draw_kw), format) for f in frames]


_PROLOG = re.compile(rb"^.*?(?=<svg)", re.S)


def save_replay_svgs(
    source: Tensor | list[BackwardFrame], folder: str | os.PathLike[str], **draw_kw: Any
) -> list[Path]:
    """Write frame_000.svg, frame_001.svg, ... into `folder`; return their paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, svg in enumerate(render_frames(source, "svg", **draw_kw)):
        path = out / f"frame_{k:03d}.svg"
        path.write_bytes(svg)
        paths.append(path)
    return paths


def replay_html(
    source: Tensor | list[BackwardFrame], title: str = "backward replay", **draw_kw: Any
) -> str:
    """One self-contained HTML page (inline SVG, inline script, no network) stepping through
    the frames with buttons, a slider and the arrow keys."""
    frames = _frames_of(source)
    svgs = render_frames(frames, "svg", **draw_kw)
    g = read_graph(frames[0].root, draw_kw.get("notation"))
    captions = [f.describe(g) for f in frames]
    slides = "\n".join(
        f'<div class="frame" data-caption="{html.escape(c)}"'
        f"{'' if k == 0 else ' hidden'}>{_PROLOG.sub(b'', s).decode('utf-8')}</div>"
        for k, (c, s) in enumerate(zip(captions, svgs, strict=True))
    )
    return _PAGE.format(
        title=html.escape(title),
        n_max=len(frames) - 1,
        slides=slides,
        captions=json.dumps(captions),
    )


def save_replay_html(
    source: Tensor | list[BackwardFrame],
    path: str | os.PathLike[str],
    svg_dir: str | os.PathLike[str] | None = None,
    **draw_kw: Any,
) -> Path:
    """Write the replay page to `path` (and, with `svg_dir`, the frames as separate SVGs)."""
    frames = _frames_of(source)
    if svg_dir is not None:
        save_replay_svgs(frames, svg_dir, **draw_kw)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(replay_html(frames, **draw_kw), encoding="utf-8")
    return out


def save_replay_gif(
    source: Tensor | list[BackwardFrame],
    path: str | os.PathLike[str],
    duration_ms: int = 1200,
    **draw_kw: Any,
) -> Path:
    """An animated GIF of the frames (needs Pillow: `pip install pillow`)."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "save_replay_gif needs Pillow: pip install pillow (or 'tinygrad_nn[plot]')"
        ) from None
    images = [
        Image.open(io.BytesIO(png)).convert("RGB")
        for png in render_frames(source, "png", **draw_kw)
    ]
    images = [
        i if i.width <= GIF_WIDTH else i.resize((GIF_WIDTH, round(i.height * GIF_WIDTH / i.width)))
        for i in images
    ]
    width, height = max(i.width for i in images), max(i.height for i in images)
    padded = []
    for img in images:
        canvas = Image.new("RGB", (width, height), "white")
        canvas.paste(img, (0, 0))
        padded.append(canvas)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    padded[0].save(out, save_all=True, append_images=padded[1:], duration=duration_ms, loop=0)
    return out


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
html, body {{ margin: 0; height: 100%; font-family: Helvetica, Arial, sans-serif; }}
#bar {{ position: fixed; top: 0; left: 0; right: 0; height: 84px; box-sizing: border-box;
        padding: 8px 12px; background: #fff; border-bottom: 1px solid #ddd; z-index: 1; }}
#bar h1 {{ font-size: 16px; margin: 0 1em 0 0; display: inline; }}
#bar button {{ font-size: 14px; min-width: 2.5em; }}
#slider {{ width: 30%; vertical-align: middle; }}
#caption {{ margin-top: 6px; color: #222; font-size: 15px; white-space: nowrap;
            overflow: hidden; text-overflow: ellipsis; }}
#view {{ position: fixed; top: 84px; left: 0; right: 0; bottom: 0; overflow: auto;
         cursor: grab; }}
.frame svg {{ display: block; margin: 0 auto; }}
</style></head><body>
<div id="bar">
<h1>{title}</h1>
<button id="first" title="first step (Home)">&laquo;</button>
<button id="prev" title="previous step (left arrow)">&lsaquo; prev</button>
<button id="play" title="play / pause (space)">play</button>
<button id="next" title="next step (right arrow)">next &rsaquo;</button>
<button id="last" title="last step (End)">&raquo;</button>
<input id="slider" type="range" min="0" max="{n_max}" value="0">
<span id="counter"></span>
<button id="zoomout" title="zoom out (-)">&minus;</button>
<button id="zoom1" title="actual size (0)">100%</button>
<button id="zoomin" title="zoom in (+)">+</button>
<button id="fit" title="whole graph (f)">fit</button>
<div id="caption"></div>
</div>
<div id="view">
{slides}
</div>
<script>
(function () {{
  var frames = document.querySelectorAll('.frame');
  var captions = {captions};
  var slider = document.getElementById('slider');
  var view = document.getElementById('view');
  var k = 0, timer = null, zoom = null;  // null: as large as fits the width, at most 100%
  function natural(svg) {{  // Graphviz writes its size in pt: 1pt = 4/3 px
    return [parseFloat(svg.getAttribute('width')) * 4 / 3,
            parseFloat(svg.getAttribute('height')) * 4 / 3];
  }}
  function size(f) {{
    var svg = f.querySelector('svg'), wh = natural(svg);
    var z = zoom === null ? Math.min(1, (view.clientWidth - 16) / wh[0]) : zoom;
    svg.style.width = (wh[0] * z) + 'px';
    svg.style.height = (wh[1] * z) + 'px';
  }}
  function focus(f) {{  // keep the current op (and its neighbours) in the middle of the view
    var node = f.querySelector('#current');
    if (!node) return;
    var r = node.getBoundingClientRect(), v = view.getBoundingClientRect();
    view.scrollTop += (r.top + r.height / 2) - (v.top + view.clientHeight / 2);
    view.scrollLeft += (r.left + r.width / 2) - (v.left + view.clientWidth / 2);
  }}
  function show(i) {{
    k = Math.max(0, Math.min(frames.length - 1, i));
    frames.forEach(function (f, j) {{ f.hidden = j !== k; }});
    size(frames[k]);
    focus(frames[k]);
    slider.value = k;
    document.getElementById('counter').textContent = (k + 1) + ' / ' + frames.length;
    var caption = document.getElementById('caption');
    caption.textContent = captions[k];
    caption.title = captions[k];
    if (history.replaceState) history.replaceState(null, '', '#' + (k + 1));
  }}
  function setZoom(z) {{ zoom = z; show(k); }}
  function play() {{
    var button = document.getElementById('play');
    if (timer) {{ clearInterval(timer); timer = null; button.textContent = 'play'; return; }}
    button.textContent = 'pause';
    if (k === frames.length - 1) show(0);
    timer = setInterval(function () {{
      if (k === frames.length - 1) {{
        clearInterval(timer); timer = null; button.textContent = 'play';
      }} else show(k + 1);
    }}, 1200);
  }}
  function current() {{ return zoom === null ? Math.min(1, (view.clientWidth - 16) /
      natural(frames[k].querySelector('svg'))[0]) : zoom; }}
  function fit() {{
    var wh = natural(frames[k].querySelector('svg'));
    setZoom(Math.min((view.clientWidth - 16) / wh[0], (view.clientHeight - 16) / wh[1]));
  }}
  document.getElementById('first').onclick = function () {{ show(0); }};
  document.getElementById('prev').onclick = function () {{ show(k - 1); }};
  document.getElementById('next').onclick = function () {{ show(k + 1); }};
  document.getElementById('last').onclick = function () {{ show(frames.length - 1); }};
  document.getElementById('play').onclick = play;
  document.getElementById('zoomin').onclick = function () {{ setZoom(current() * 1.25); }};
  document.getElementById('zoomout').onclick = function () {{ setZoom(current() / 1.25); }};
  document.getElementById('zoom1').onclick = function () {{ setZoom(1); }};
  document.getElementById('fit').onclick = fit;
  slider.oninput = function () {{ show(parseInt(slider.value, 10)); }};
  var drag = null;  // pan by dragging the picture
  view.onmousedown = function (e) {{
    drag = [e.clientX, e.clientY, view.scrollLeft, view.scrollTop];
  }};
  window.onmouseup = function () {{ drag = null; }};
  view.onmousemove = function (e) {{
    if (!drag) return;
    view.scrollLeft = drag[2] - (e.clientX - drag[0]);
    view.scrollTop = drag[3] - (e.clientY - drag[1]);
  }};
  document.addEventListener('keydown', function (e) {{
    if (e.key === 'ArrowRight') show(k + 1);
    else if (e.key === 'ArrowLeft') show(k - 1);
    else if (e.key === 'Home') show(0);
    else if (e.key === 'End') show(frames.length - 1);
    else if (e.key === '+' || e.key === '=') setZoom(current() * 1.25);
    else if (e.key === '-') setZoom(current() / 1.25);
    else if (e.key === '0') setZoom(1);
    else if (e.key === 'f') fit();
    else if (e.key === ' ') {{ e.preventDefault(); play(); }}
  }});
  window.onresize = function () {{ show(k); }};
  var start = parseInt(location.hash.slice(1), 10);  // replay.html#3 opens at step 3
  show(isNaN(start) ? 0 : start - 1);
}})();
</script>
</body></html>
"""
