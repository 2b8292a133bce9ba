"""engine.draw_dot and engine.render with the installed Graphviz: the SVG is read back with an XML parser."""

import os
import random
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import engine
from demos.draw_graph import batch_loss, boxes_of, lecture_neuron, small_mlp
from engine import Value, draw_dot, render, topological_order
from engine.text import format_number
from nn import MLP

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"


def svg_groups(svg_text):
    """{'node': {title: [texts]}, 'edge': {...}, 'cluster': {...}} from Graphviz's SVG."""
    groups = {"node": {}, "edge": {}, "cluster": {}}
    for g in ET.fromstring(svg_text).iter(SVG + "g"):
        kind = g.get("class")
        if kind in groups:
            title = g.find(SVG + "title").text
            groups[kind][title] = [t.text for t in g.iter(SVG + "text")]
    return groups


def test_lecture_neuron_svg_has_every_node_edge_label_data_and_grad(tmp_path):
    o = lecture_neuron()
    path = render(o, tmp_path / "neuron.svg")
    assert path == tmp_path / "neuron.svg"
    groups = svg_groups(path.read_text())
    order = topological_order(o)
    computed = [n for n in order if n._prev]
    assert len(groups["node"]) == len(order) + len(computed) == 15
    assert len(groups["edge"]) == sum(len(n._prev) for n in order) + len(computed) == 14
    for i, node in enumerate(order):
        data, grad = format_number(node.data, 4), format_number(node.grad, 4)
        assert groups["node"][f"n{i}"] == [node.label, f"data {data}", f"grad {grad}"]
    assert groups["node"][f"n{len(order) - 1}"] == ["o", "data 0.7071", "grad 1.0"]
    assert groups["node"][f"n{order.index(o._prev[0]._prev[0]._prev[0]._prev[0])}"][2] == "grad -1.5"  # x1
    assert sorted(texts[0] for title, texts in groups["node"].items() if title.endswith("_op")) == [
        "*", "*", "+", "+", "tanh",
    ]


def test_png_and_pdf_have_their_signatures(tmp_path):
    o = lecture_neuron()
    assert render(o, tmp_path / "neuron.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert render(o, str(tmp_path / "sub" / "neuron.PDF")).read_bytes().startswith(b"%PDF-")
    with pytest.raises(ValueError, match=r"cannot tell the format from '.*neuron\.jpg'; end the file name with .svg"):
        render(o, tmp_path / "neuron.jpg")
    with pytest.raises(TypeError, match="the format comes from the file suffix"):
        render(o, tmp_path / "neuron.svg", format="png")


PROGRAM = """
import random, sys
from engine import draw_dot
from demos.draw_graph import boxes_of, lecture_neuron
from nn import MLP
junk = [object() for _ in range(int(sys.argv[1]))]  # moves every id()
o = lecture_neuron()
model = MLP(2, [3, 1], rng=random.Random(0))
y = model([1.0, -1.0])
y.backward()
print(draw_dot(o).source)
print(draw_dot(y, params=model, group_by=boxes_of(model), color_by_grad=True).source)
"""


def test_dot_source_is_identical_across_builds_and_processes():
    assert draw_dot(lecture_neuron()).source == draw_dot(lecture_neuron()).source
    outputs = [
        subprocess.run(
            [sys.executable, "-c", PROGRAM, str(n)],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n, seed in ((0, 1), (5000, 2))
    ]
    assert outputs[0] == outputs[1]
    assert "n0 [label=" in outputs[0] and "subgraph cluster_" in outputs[0]


HOSTILE = ["{a|b}", "<x>", '"q"', "back\\slash", "end\\", "<b>bold</b>", "\\n", '\\"', "ünï θ", "|"]


def test_hostile_labels_render_as_written():
    values = [Value(float(i), label=label) for i, label in enumerate(HOSTILE)]
    y = engine.sum(values)
    y.label = "} | {"
    source = draw_dot(y).source
    result = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, check=True)
    assert result.stderr == b""  # no syntax warnings from dot
    nodes = svg_groups(result.stdout)["node"]
    order = topological_order(y)
    for value in values + [y]:
        assert nodes[f"n{order.index(value)}"][0] == value.label
    assert len(nodes) == len(values) + 2


def test_hostile_op_symbol_renders_as_written():
    engine.register_op("cmp", lambda a, b: a - b, lambda out, a, b: (1.0, -1.0), '<"|>', arity=2)
    try:
        y = engine.apply("cmp", Value(1.0, label="a"), Value(2.0, label="b"))
        nodes = svg_groups(draw_dot(y).pipe(format="svg").decode())["node"]
        assert nodes["n2_op"] == ['<"|>']
    finally:
        del engine.OPS["cmp"]


def test_highlighted_node_is_drawn_red_and_thick():
    o = lecture_neuron()
    order = topological_order(o)
    svg = draw_dot(o, highlight=[o], done=order[:-1]).pipe(format="svg").decode()
    shapes = {
        g.find(SVG + "title").text: next(el for el in g.iter() if el.tag in (SVG + "polygon", SVG + "ellipse"))
        for g in ET.fromstring(svg).iter(SVG + "g")
        if g.get("class") == "node"
    }
    last = len(order) - 1
    assert shapes[f"n{last}"].get("stroke") == "#d62728" and shapes[f"n{last}"].get("stroke-width") == "3"
    assert shapes[f"n{last}_op"].get("stroke") == "#d62728"
    assert shapes["n0"].get("stroke") == "#2ca02c"


def test_mlp_with_clusters_renders_every_node_and_each_neuron_box(tmp_path):
    model = MLP(2, [4, 4, 1], rng=random.Random(1))
    y = model([0.5, -1.0])
    y.backward()
    path = render(y, tmp_path / "mlp.svg", params=model, group_by=boxes_of(model), color_by_grad=True)
    groups = svg_groups(path.read_text())
    order = topological_order(y)
    computed = [n for n in order if n._prev]
    constants = [n for n in order if not n._prev and not n.label]  # the two inputs, once per first-layer neuron
    assert len(constants) == 2 * 4
    assert len(groups["node"]) == len(order) - len(constants) + len(computed)
    assert len(groups["edge"]) == sum(len(n._prev) for n in order) - len(constants) + len(computed)
    assert sorted(texts[0] for texts in groups["cluster"].values()) == sorted(
        ["layers.0", "layers.1", "layers.2"] + [f"neurons.{i}" for i in range(4)] * 2 + ["neurons.0"]
    )
    index = {node: i for i, node in enumerate(order)}
    for name, p in model.named_parameters():
        short = name.split(".", 4)[-1]  # 'w.1' or 'b'
        data, grad = format_number(p.data, 4), format_number(p.grad, 4)
        assert groups["node"][f"n{index[p]}"] == [short, f"data {data}", f"grad {grad}"]


MISSING_DOT = """
from engine import GraphvizNotFoundError, Value, draw_dot, render
import graphviz
y = (Value(2.0, label='x') * 3).tanh()
print('source ok', 'shape=record' in draw_dot(y).source)
for attempt in (lambda: render(y, 'never.svg'), lambda: draw_dot(y).pipe(), lambda: draw_dot(y)._repr_mimebundle_()):
    try:
        attempt()
    except GraphvizNotFoundError as err:
        print(isinstance(err, RuntimeError), isinstance(err, graphviz.ExecutableNotFound), err)
"""


def test_missing_dot_says_how_to_install_it_while_source_still_works(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(MISSING_DOT)],
        cwd=tmp_path,
        env={"PATH": str(tmp_path), "PYTHONPATH": str(ROOT)},  # a PATH with no dot on it
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "source ok True"
    assert len(lines) == 4
    for line in lines[1:]:
        assert line.startswith("True True Graphviz's dot program was not found; install it: ")
        assert "apt-get install graphviz" in line and "brew install graphviz" in line
    assert not (tmp_path / "never.svg").exists()


def test_collapsed_batch_renders_one_box_per_neuron_use(tmp_path):
    model = MLP(2, [4, 4, 1], rng=random.Random(2))
    _, loss = batch_loss(model, n=4)
    path = render(loss, tmp_path / "batch.svg", params=model, group_by=boxes_of(model), collapse=True)
    groups = svg_groups(path.read_text())
    boxes = [texts for texts in groups["node"].values() if texts and texts[0].startswith("neurons.")]
    assert len(boxes) == 4 * 9
    expected = [f"neurons.{i} (relu)" for i in range(4)] + ["neurons.0 (linear)"]
    assert sorted({texts[0] for texts in boxes}) == sorted(expected)
    assert sorted(texts[0] for texts in groups["cluster"].values()) == ["layers.0", "layers.1", "layers.2"]
    # 8 inputs; per example the loss term: y - 1, (y - 1) ** 2 and their two ops; the sum and its op.
    assert len(groups["node"]) == 4 * 9 + 8 + 4 * 4 + 2


def test_the_demos_mlp_picture_shows_the_grads_backward_gives(tmp_path):
    # The demo draws the MLP, then a batch through the same model: the batch's backward must
    # not leak into the first picture, whose grads are those of small_mlp()'s own backward.
    subprocess.run(
        [sys.executable, "-m", "demos.draw_graph", "--out", str(tmp_path)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, check=True,
    )
    model, loss = small_mlp()  # the demo's model and loss, rebuilt from the same seed
    nodes = svg_groups((tmp_path / "mlp.svg").read_text())["node"]
    order = topological_order(loss)
    shown = {}
    for node in order:
        texts = nodes.get(f"n{order.index(node)}")
        if texts is not None:
            shown[node] = float(texts[-1].removeprefix("grad "))
    assert len(shown) == len(order) - 2 * 4 - 2  # constants are written into their ops
    for name, p in model.named_parameters():
        assert shown[p] == pytest.approx(p.grad, rel=1e-3, abs=1e-6), name
    for node, grad in shown.items():
        assert grad == pytest.approx(node.grad, rel=1e-3, abs=1e-6)
    assert shown[loss._prev[0]._prev[0]._prev[0]] == pytest.approx(-1.9978, abs=1e-3)  # y, as the issue quotes


# --- any string draws: verbatim, or visibly escaped, and never breaks dot ----------------------

NASTY = [
    "&#x1F600;", "&#233;", "&amp;", "😀", "é", "\x00", "a\x1b[31mred", "\ud800", "x\udfff", "\x7f", "tab\there",
    "line\nbreak", "{a|b}", "<b>bold</b>", "end\\", "\\N", "\\G", '"', "x" * 20_000,
]
SHOWN = [  # what the picture says for each: printable text verbatim, the rest as Python escapes
    "&#x1F600;", "&#233;", "&amp;", "😀", "é", "\\x00", "a\\x1b[31mred", "\\ud800", "x\\udfff", "\\x7f", "tab\\there",
    "line\\nbreak", "{a|b}", "<b>bold</b>", "end\\", "\\N", "\\G", '"', "x" * 59 + "…",
]


def test_any_label_is_drawn_verbatim_or_visibly_escaped_by_the_real_dot():
    values = [Value(float(i), label=label) for i, label in enumerate(NASTY)]
    y = engine.sum(values)
    y.label = "&#x1F600;\x00" + "y" * 100
    svg = draw_dot(y).pipe(format="svg", encoding="utf-8")  # dot exits non-zero on any error
    nodes = svg_groups(svg)["node"]  # the SVG parses as XML
    order = topological_order(y)
    for value, shown in zip(values, SHOWN):
        assert nodes[f"n{order.index(value)}"][0] == shown
    assert nodes[f"n{len(order) - 1}"][0] == "&#x1F600;\\x00" + "y" * 46 + "…"


def test_any_op_symbol_parameter_name_and_box_name_draws(tmp_path):
    with _registered("nasty", "&#233;\x00<\ud800>"):
        x = Value(1.0)
        y = engine.apply("nasty", x * 2)
        names = {name: x for name in ["&#x1F600;\x1b"]}
        path = render(y, tmp_path / "nasty.svg", params=names, group_by=lambda leaf: ("\x00outer", "\x00outer.&#233;"))
    groups = svg_groups(path.read_text(encoding="utf-8"))
    assert groups["node"]["n3_op"] == ["&#233;\\x00<\\ud800>"]
    assert groups["node"]["n0"][0] == "&#x1F600;\\x1b"
    assert sorted(texts[0] for texts in groups["cluster"].values()) == ["&#233;", "\\x00outer"]


class _registered:
    """register_op for one test, until the core's scoped_op lands."""

    def __init__(self, name, symbol):
        self.name, self.symbol = name, symbol

    def __enter__(self):
        return engine.register_op(self.name, lambda a: a, lambda out, a: (1.0,), self.symbol)

    def __exit__(self, *exc):
        del engine.OPS[self.name]


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"format": True}, TypeError, "draw_dot: format must be a str such as 'svg' or 'png', got bool True"),
        ({"format": "jpeg2"}, ValueError, "draw_dot: format must be one Graphviz knows"),
        ({"rankdir": 1}, ValueError, "draw_dot: rankdir must be 'LR', 'RL', 'TB' or 'BT', got 1"),
        ({"show_grad": "no"}, TypeError, "draw_dot: show_grad must be True or False, got str 'no'"),
        ({"color_by_grad": 1}, TypeError, "draw_dot: color_by_grad must be True or False, got int 1"),
        ({"fold_constants": None}, TypeError, "draw_dot: fold_constants must be True or False, got NoneType"),
        ({"digits": None}, TypeError, r"draw_dot: digits must be an int \(significant figures, e.g. 6\), got NoneType"),
        ({"digits": 0}, ValueError, "draw_dot: digits must be from 1 to 17 significant figures, got 0"),
        ({"max_nodes": 2.5}, ValueError, "draw_dot: max_nodes must be a positive int, got 2.5"),
        ({"style": {}}, TypeError, r"draw_dot: style must be an engine.draw.Style, got dict \{\}"),
        ({"highlight": 3}, TypeError, "draw_dot: highlight must be Values"),
    ],
)
def test_bad_draw_dot_arguments_are_named(options, error, message):
    with pytest.raises(error, match=message):
        draw_dot(Value(1.0, label="x").exp(), **options)


def test_bad_render_and_format_graph_arguments_are_named():
    with pytest.raises(TypeError, match="render: path must be a str or a path, got int 1"):
        render(Value(1.0), 1)
    with pytest.raises(TypeError, match=r"format_graph: digits must be an int \(significant figures.*got NoneType"):
        engine.format_graph(Value(1.0), digits=None)
    with pytest.raises(ValueError, match="format_graph: digits must be from 1 to 17 significant figures, got 40"):
        engine.format_graph(Value(1.0), digits=40)
    with pytest.raises(TypeError, match="format_graph: full must be True or False, got str 'yes'"):
        engine.format_graph(Value(1.0), full="yes")
