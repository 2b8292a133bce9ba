"""engine.graph without Graphviz's dot: the text listing and the DOT source draw_dot builds."""

import math
import random
import re

import pytest

import engine
from demos.draw_graph import batch_loss, lecture_neuron
from engine import OPS, Value, draw_dot, format_graph, topological_order
from engine.graph import node_names
from nn import MLP


def chain(length):
    """x -> x*1.01 -> ... : a graph of `length` computed nodes on one labelled leaf."""
    x = Value(1.0, label="x")
    y = x
    for _ in range(length):
        y = y * 1.01
    return y


# --- format_graph ------------------------------------------------------------------------


def test_the_issue_example_prints_exactly():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    c.backward()
    assert format_graph(c).splitlines() == [
        "a = 2.0            grad -3.0",
        "b = -3.0           grad  2.0",
        "c = a * b  = -6.0  grad  1.0",
    ]


LINE = re.compile(r"^(?P<name>.+?) = (?P<rhs>.*?)(?:\s+=\s+(?P<value>\S+))?\s+grad\s+(?P<grad>\S+)$")


def parse(text):
    """format_graph's lines back into {name: (right-hand side, value, grad)}."""
    rows = {}
    for line in text.splitlines():
        m = LINE.match(line)
        assert m, f"unexpected line {line!r}"
        value = m["value"] if m["value"] is not None else m["rhs"]
        rows[m["name"]] = (m["rhs"], float(value), float(m["grad"]))
    return rows


def test_lecture_neuron_lines_carry_each_nodes_value_and_grad():
    o = lecture_neuron()
    rows = parse(format_graph(o))
    order = topological_order(o)
    assert len(rows) == len(order) == 10
    for node in order:
        _, value, grad = rows[node.label]
        assert value == pytest.approx(node.data, rel=1e-5, abs=1e-9)
        assert grad == pytest.approx(node.grad, rel=1e-5, abs=1e-9)
    # The lecture's numbers, analytically: do/dn = 1 - tanh(n)^2 = 0.5.
    assert rows["o"][1:] == (pytest.approx(math.sqrt(0.5), rel=1e-5), 1.0)
    assert rows["n"][2] == pytest.approx(0.5, rel=1e-5)
    assert rows["x1"][2] == pytest.approx(-1.5, rel=1e-5)
    assert rows["w1"][2] == pytest.approx(1.0, rel=1e-5)
    assert rows["o"][0] == "tanh(n)"
    assert rows["n"][0] == "x1*w1 + x2*w2 + b"
    assert format_graph(o).splitlines()[-1].startswith("o = tanh(n)")


def test_leaves_are_listed_just_before_their_first_use():
    o = lecture_neuron()
    names = [line.split(" = ")[0] for line in format_graph(o).splitlines()]
    assert names == ["x1", "w1", "x1*w1", "x2", "w2", "x2*w2", "x1*w1 + x2*w2", "b", "n", "o"]


def test_plain_numbers_are_written_inline_and_negative_ones_in_parentheses():
    x = Value(3.0, label="x")
    y = (x * 2 - 0.5) * -4
    rows = parse(format_graph(y))
    assert rows["t1"][0] == "x * 2.0"
    assert rows["t2"][0] == "t1 - 0.5"
    assert rows["t3"][0] == "t2 * (-4.0)"
    assert rows["t3"][1] == -22.0
    assert len(rows) == 4  # x, t1, t2, t3: no lines of their own for 2, 0.5 and -4


def test_an_unlabelled_leaf_used_twice_gets_a_name_and_a_line():
    v = Value(3.0)
    y = v * v
    y.backward()
    rows = parse(format_graph(y))
    assert rows["t1"] == ("3.0", 3.0, 6.0)  # d(v*v)/dv = 2v
    assert rows["t2"][0] == "t1 * t1"


def test_generated_names_skip_labels_and_repeated_labels_are_numbered():
    a1 = Value(1.0, label="a")
    a2 = Value(2.0, label="a")
    t1 = Value(5.0, label="t1")
    y = (a1 + a2) * t1
    names = node_names(y)
    assert [names[n] for n in (a1, a2, t1)] == ["a", "a#2", "t1"]
    assert names[y] == "t3" and names[y._prev[0]] == "t2"
    assert parse(format_graph(y))["t3"][0] == "t2 * t1"


def test_two_builds_of_the_same_program_print_the_same():
    assert format_graph(lecture_neuron()) == format_graph(lecture_neuron())
    assert format_graph(chain(30), full=True) == format_graph(chain(30), full=True)


def test_long_graphs_lose_their_middle_with_a_count_unless_full():
    y = chain(100)  # 101 lines
    lines = format_graph(y, max_lines=11).splitlines()
    assert len(lines) == 11
    assert lines[0].startswith("x = 1.0")
    assert lines[5] == "... 91 lines not shown: format_graph(root, full=True) shows them all ..."
    assert lines[-1].startswith("t100 = t99 * 1.01")
    assert len(format_graph(y, full=True).splitlines()) == 101
    assert len(format_graph(y).splitlines()) == 40  # the default max_lines


def test_show_grad_false_leaves_grads_out():
    text = format_graph(lecture_neuron(), show_grad=False)
    assert "grad" not in text
    assert text.splitlines()[-1] == "o = tanh(n)                    =  0.707107"


def _inputs_for(op):
    """Labelled inputs inside the op's domain: 4 for the many-input ops."""
    n = 4 if op.arity is None else op.arity
    return [Value(0.5 + i, label=f"in{i}") for i in range(n)]


@pytest.mark.parametrize("name", sorted(name for name, op in OPS.items() if op.smooth))
def test_every_op_is_written_with_its_symbol_and_its_inputs(name):
    op = OPS[name]
    inputs = _inputs_for(op)
    y = engine.apply(name, *inputs)
    rhs = parse(format_graph(y))["t1"][0]
    labels = [v.label for v in inputs]
    if op.is_infix:
        assert rhs == f"in0 {op.symbol} in1"
    elif name == "dot":
        assert rhs == "dot([in0, in1], [in2, in3])"
    elif len(inputs) == 1 and not op.symbol.isidentifier():
        assert rhs == f"{op.symbol}in0"
    else:
        assert rhs == f"{op.symbol}({', '.join(labels)})"
    # The picture's op node says the same symbol.
    assert f'n{len(inputs)}_op [label="{op.symbol}"' in draw_dot(y).source or (
        f"n{len(inputs)}_op [label={op.symbol} " in draw_dot(y).source
    )


def test_long_argument_lists_are_shortened_unless_full():
    xs = [Value(float(i), label=f"x{i}") for i in range(20)]
    y = engine.sum(xs)
    assert parse(format_graph(y))["t1"][0] == "sum(x0, x1, x2, x3, ... 15 more, x19)"
    assert format_graph(y, full=True).splitlines()[-1].startswith("t1 = sum(" + ", ".join(f"x{i}" for i in range(20)))


def test_params_name_parameters_in_every_form():
    w = Value(0.5)
    x = Value(2.0, label="x")
    y = w * x

    class Model:
        def named_parameters(self):
            return [("layer.w", w)]

    for params in (Model(), {"layer.w": w}, [("layer.w", w)]):
        assert parse(format_graph(y, params=params))["t1"][0] == "layer.w * x"
    w.label = "weight"
    assert parse(format_graph(y, params=[w]))["t1"][0] == "weight * x"


def test_bad_arguments_say_what_was_expected():
    with pytest.raises(TypeError, match=r"format_graph: expected a Value .*got float 3.0"):
        format_graph(3.0)
    with pytest.raises(ValueError, match=r"max_lines must be an int >= 3, got 2"):
        format_graph(Value(1.0), max_lines=2)
    with pytest.raises(TypeError, match=r"params must give \(name, Value\) pairs, got str 'w' at position 0"):
        format_graph(Value(1.0), params=["w"])
    with pytest.raises(TypeError, match=r"params must be a Module, a dict .* got int 5"):
        draw_dot(Value(1.0), params=5)


# --- draw_dot's DOT source -------------------------------------------------------------------


def node_lines(source):
    """{node id: its attribute text} from a DOT source."""
    return dict(re.findall(r"^\s*(n\d+(?:_op)?) \[(.*)\]$", source, flags=re.M))


def test_ids_follow_topological_order_and_records_show_label_data_grad():
    o = lecture_neuron()
    source = draw_dot(o).source
    nodes = node_lines(source)
    order = topological_order(o)
    for i, node in enumerate(order):
        assert f'label="{{ {node.label} | data {node.data:.4f} | grad {node.grad:.4f} }}"' in nodes[f"n{i}"]
        assert (f"n{i}_op" in nodes) == (not node.is_leaf)
    edges = re.findall(r"^\s*(\S+) -> (\S+)$", source, flags=re.M)
    assert len(edges) == sum(len(n._prev) for n in order) + sum(1 for n in order if n._prev)
    assert (f"n{len(order) - 1}_op", f"n{len(order) - 1}") in edges


def test_kinds_get_their_legend_colours():
    w = Value(0.5, label="w")
    x = Value(2.0, label="x")
    y = (w * x + 1.0).tanh()
    nodes = node_lines(draw_dot(y, params={"w": w}).source)
    order = topological_order(y)
    kinds = {
        w: "#d5ecd4",  # parameter
        x: "#dbe9f6",  # input
        y._prev[0]._prev[1]: "#eeeeee",  # the constant 1.0
        y._prev[0]: "#ffffff",  # computed
        y: "#fde9a9",  # root
    }
    for node, colour in kinds.items():
        assert f'fillcolor="{colour}"' in nodes[f"n{order.index(node)}"]


def test_show_grad_false_and_rankdir_tb():
    o = lecture_neuron()
    source = draw_dot(o, show_grad=False).source
    assert "grad" not in source and "data 0.7071" in source
    tb = draw_dot(o, rankdir="TB").source
    # Without braces a record's fields run across, as they do in LR with them.
    assert 'label="o | data 0.7071 | grad 1.0000"' in tb and "rankdir=TB" in tb
    with pytest.raises(ValueError, match=r"rankdir must be 'LR', 'RL', 'TB' or 'BT', got 'up'"):
        draw_dot(o, rankdir="up")


def test_highlight_and_done_mark_the_steppers_nodes():
    o = lecture_neuron()
    order = topological_order(o)
    n = order.index(o._prev[0])
    nodes = node_lines(draw_dot(o, highlight=[o._prev[0]], done=o).source)
    assert 'color="#d62728"' in nodes[f"n{n}"] and "penwidth=3" in nodes[f"n{n}"]
    assert 'color="#d62728"' in nodes[f"n{n}_op"]
    last = len(order) - 1
    assert 'color="#2ca02c"' in nodes[f"n{last}"] and 'color="#2ca02c"' in nodes[f"n{last}_op"]
    assert not re.search(r"(?<!fill)color=", nodes["n0"])
    with pytest.raises(TypeError, match=r"highlight must hold Values, got str 'n'"):
        draw_dot(o, highlight=["n"])


def test_color_by_grad_follows_the_gradient_each_edge_carries():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    z = Value(-5.0, label="z")
    c = a * b + z.relu()  # relu'(-5) = 0: nothing flows back to z
    c.backward()
    source = draw_dot(c, color_by_grad=True).source
    edges = dict(re.findall(r"^\s*(\S+ -> \S+) \[(.*)\]$", source, flags=re.M))
    order = topological_order(c)
    a_edge = edges[f"n{order.index(a)} -> n{order.index(c._prev[0])}_op"]
    b_edge = edges[f"n{order.index(b)} -> n{order.index(c._prev[0])}_op"]
    z_edge = edges[f"n{order.index(z)} -> n{order.index(c._prev[1])}_op"]
    # a gets d(a*b)/da * grad = b * 1 = -3, the largest: red.  b gets a = 2.  z gets 0: grey.
    assert 'tooltip="a gets -3.0 from t1"' in a_edge and 'color="#d62728"' in a_edge and "penwidth=4.00" in a_edge
    assert 'tooltip="b gets 2.0 from t1"' in b_edge and "penwidth=3.00" in b_edge
    assert 'color="#b0b0b0"' in z_edge and "penwidth=1.00" in z_edge


def test_node_limit_says_how_many_and_how_to_raise_it():
    y = chain(2000)  # 2001 Values, and a constant per multiplication: 4001
    count = len(topological_order(y))
    with pytest.raises(ValueError) as err:
        draw_dot(y)
    message = str(err.value)
    assert f"this graph has {count} nodes, more than max_nodes=2000" in message
    assert f"Pass max_nodes={count}" in message and "format_graph" in message
    assert draw_dot(y, max_nodes=count).source.count("shape=record") == count
    with pytest.raises(ValueError, match="max_nodes must be a positive int, got 0"):
        draw_dot(y, max_nodes=0)


# --- clusters ----------------------------------------------------------------------------------


def clusters_of(source):
    """{node id: [cluster labels from the outside in]} from a DOT source's nested subgraphs."""
    stack, where = [], {}
    for line in source.splitlines():
        line = line.strip()
        if line.startswith("subgraph cluster_"):
            stack.append(None)
        elif stack and stack[-1] is None:  # the cluster's attribute line
            stack[-1] = re.search(r'\blabel="?([^"\s]+)', line)[1]
        elif line == "}" and stack:
            stack.pop()
        else:
            m = re.match(r"(n\d+(?:_op)?) \[", line)
            if m:
                where[m[1]] = list(stack)
    return where


def test_mlp_clusters_hold_each_neurons_parameters_and_operations():
    model = MLP(2, [4, 4, 1], activation="tanh", rng=random.Random(0))
    y = model([0.5, -1.0])
    loss = (y - 1.0) ** 2
    loss.backward()
    source = draw_dot(loss, params=model, cluster=True).source
    where = clusters_of(source)
    order = topological_order(loss)
    index = {node: i for i, node in enumerate(order)}
    assert source.count("subgraph cluster_") == 3 + 9  # 3 layers, 4 + 4 + 1 neurons
    for name, p in model.named_parameters():
        layer, neuron = re.match(r"(layers\.\d+)\.(neurons\.\d+)\.", name).groups()
        assert where[f"n{index[p]}"] == [layer, neuron], name
        # The parameter's box shows the rest of its name: 'w.1' inside layers.0 / neurons.3.
        assert f"{{ {name.split('.', 4)[-1]} | data" in dict(node_lines(source))[f"n{index[p]}"]
    for layer_i, layer in enumerate(model.layers):
        for neuron_i, neuron in enumerate(layer.neurons):
            dot_node = next(n for n in order if n._op == "dot" and n._prev[0] is neuron.w[0])
            add_node = next(n for n in order if dot_node in n._prev)
            members = [dot_node, add_node]
            if neuron.nonlin:
                members.append(next(n for n in order if add_node in n._prev))
            for node in members:
                expected = [f"layers.{layer_i}", f"neurons.{neuron_i}"]
                assert where[f"n{index[node]}"] == where[f"n{index[node]}_op"] == expected
    # The loss is not part of the model.
    assert where[f"n{index[loss]}"] == where[f"n{index[loss._prev[0]]}"] == []


def test_micrograd_style_neurons_cluster_their_chain_of_additions():
    # micrograd's Neuron: sum((wi*xi for ...), b), then relu; names as nn would give them.
    params, outs = {}, []
    xs = [Value(1.0, label="x0"), Value(-2.0, label="x1")]
    for j in range(2):
        ws = [Value(0.1 * (i + j + 1)) for i in range(2)]
        b = Value(0.3)
        params.update({f"layers.0.neurons.{j}.w.{i}": w for i, w in enumerate(ws)})
        params[f"layers.0.neurons.{j}.b"] = b
        outs.append(sum((wi * xi for wi, xi in zip(ws, xs)), b).relu())
    y = outs[0] * outs[1]
    where = clusters_of(draw_dot(y, params=params, cluster=True).source)
    order = topological_order(y)
    for j, out in enumerate(outs):
        inside = [n for n in topological_order(out) if n not in xs]
        assert len(inside) == 8  # 2 weights, b, 2 products, 2 sums, relu
        for node in inside:
            assert where[f"n{order.index(node)}"] == ["layers.0", f"neurons.{j}"]
    assert where[f"n{len(order) - 1}"] == where[f"n{order.index(xs[0])}"] == []  # y and x0 stay outside


def test_cluster_needs_params():
    with pytest.raises(ValueError, match="cluster=True groups nodes by parameter names; pass params=model"):
        draw_dot(Value(1.0), cluster=True)


def test_collapse_draws_each_use_of_a_neuron_as_one_box():
    model = MLP(2, [4, 4, 1], activation="tanh", rng=random.Random(0))
    xs, loss = batch_loss(model, n=3)
    source = draw_dot(loss, params=model, collapse=True).source
    nodes = node_lines(source)
    order = topological_order(loss)
    index = {node: i for i, node in enumerate(order)}
    boxes = {n for n, attrs in nodes.items() if "shape=Mrecord" in attrs}
    assert len(boxes) == 3 * 9  # 9 neurons, once per example
    assert "#d5ecd4" not in source  # no parameter drawn
    edges = re.findall(r"^\s*(\S+) -> (\S+)", source, flags=re.M)
    for example in xs:
        x_ids = {f"n{index[x]}" for x in example}
        first_layer = {head for tail, head in edges if tail in x_ids}
        assert len(first_layer) == 4 and first_layer <= boxes
        for box in first_layer:
            assert {tail for tail, head in edges if head == box} == x_ids
        second_layer = {head for tail, head in edges if tail in first_layer}
        assert len(second_layer) == 4 and second_layer <= boxes
        for box in second_layer:
            assert {tail for tail, head in edges if head == box} == first_layer
    # A box shows its neuron's output: the tanh of its layer-0 sum, for the first example.
    first = next(n for n in order if n._op == "tanh")
    label = f'label="{{ neurons.0 (tanh) | data {first.data:.4f} | grad {first.grad:.4f} }}"'
    assert label in nodes[f"n{index[first]}"]
    assert len(nodes) == len(boxes) + 6 + 3 * 6 + 2  # + inputs, 3 x (1.0, y-1 and its op, 2, **2 and its op), sum


def test_collapse_keeps_parameters_used_outside_the_model():
    model = MLP(2, [2, 1], rng=random.Random(0))
    _, loss = batch_loss(model, n=2)
    penalty = loss + 0.01 * engine.sum([p * p for p in model.parameters()])
    source = draw_dot(penalty, params=model, collapse=True).source
    assert source.count('fillcolor="#d5ecd4"') == model.num_parameters() == 9
    assert source.count("shape=Mrecord") == 2 * 3


def test_node_limit_suggests_collapse_which_fits_a_batch():
    model = MLP(2, [8, 8, 1], rng=random.Random(0))
    _, loss = batch_loss(model, n=10)
    total = len(topological_order(loss))
    with pytest.raises(ValueError, match=rf"has {total} nodes, more than max_nodes=300.*params=model, collapse=True"):
        draw_dot(loss, params=model, max_nodes=300)
    source = draw_dot(loss, params=model, collapse=True, cluster=True, max_nodes=300).source
    assert source.count("shape=Mrecord") == 10 * 17
    assert source.count("style=dashed") == 3  # one frame per layer
