"""The classroom walkthrough (Stepper.to_html, Stepper._repr_html_) in a real browser.

Playwright (the `playwright` test extra) drives the system Chromium through
``executable_path``, so nothing downloads a browser.  Key presses and clicks are real input
events; sizes are read from the DOM (computed font sizes and bounding boxes).
"""

import random
import re
import shutil

import pytest

import engine
from demos import draw_graph
from engine import Stepper, Value, topological_order
from nn import MLP

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("these tests need Playwright: pip install -e '.[test,browser]' (no browser download needed)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def lecture_neuron():
    o = draw_graph.lecture_neuron()
    o.zero_grad()
    return o, {v.label: v for v in topological_order(o)}


def ids(root):
    """{name: the Graphviz id draw_dot gives the node ('n3')}: ids follow the topological order."""
    return {node.label: f"n{i}" for i, node in enumerate(topological_order(root))}


@pytest.fixture
def open_page(browser, tmp_path):
    """open_page(stepper, fragment='') -> the walkthrough open at 1280x720; requests are recorded."""
    pages = []

    def open_(stepper, fragment="", size=(1280, 720)):
        path = stepper.to_html(tmp_path / f"walk{len(pages)}.html")
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        page.requests = []
        page.errors = []
        page.on("request", lambda request: page.requests.append(request.url))
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto(path.as_uri() + fragment)
        pages.append(page)
        return page

    yield open_
    for page in pages:
        assert page.errors == []
        page.close()


SHOWN = """(root) => {
  root = root || document;
  const frames = [...root.querySelectorAll('.crw-frame')].filter(f => f.getClientRects().length > 0);
  return frames.map(f => ({
    step: Number(f.dataset.step),
    heading: f.querySelector('h2').innerText,
    text: f.querySelector('.crw-step').innerText,
    explain: f.querySelector('.crw-explain') ? f.querySelector('.crw-explain').innerText : '',
    answerShown: f.querySelector('.crw-answer').getClientRects().length > 0,
    promptShown: f.querySelector('.crw-prompt').getClientRects().length > 0,
    changed: [...f.querySelectorAll('g.crw-changed')].map(g => g.dataset.id),
    counter: (root.querySelector ? root : document).querySelector('.crw-counter').innerText,
    svgWidth: f.querySelector('svg').getBoundingClientRect().width,
  }));
}"""


def shown(page):
    frames = page.evaluate(SHOWN)
    assert len(frames) == 1, frames  # exactly one frame on screen
    return frames[0]


def test_the_seed_comes_first_then_keys_buttons_and_the_slider_move_between_steps(open_page):
    o, _ = lecture_neuron()
    page = open_page(Stepper(o))
    frame = shown(page)
    assert frame["step"] == 0 and frame["counter"] == "step 0 of 5"
    assert frame["heading"] == "Step 0 of 5: the seed"
    assert frame["text"].splitlines()[0] == "dL/do = 1.0 (the seed: L is o itself)"
    assert frame["svgWidth"] > 500  # drawn, not just present
    page.keyboard.press("ArrowRight")
    frame = shown(page)
    assert frame["step"] == 1 and frame["counter"] == "step 1 of 5"
    assert frame["text"].startswith("o = tanh(n): dL/dn += dL/do * do/dn = 1.0 * 0.5 = 0.5")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")  # nothing before the seed
    assert shown(page)["step"] == 0
    page.click(".crw-next")
    page.click(".crw-next")
    page.click(".crw-next")
    page.click(".crw-prev")
    assert shown(page)["step"] == 2
    page.keyboard.press("End")
    assert shown(page)["step"] == 5
    page.keyboard.press("Home")
    assert shown(page)["step"] == 0
    page.fill(".crw-slider", "4")
    assert shown(page)["step"] == 4
    # One self-contained file: the page asked for nothing but itself.
    assert [url for url in page.requests if not url.startswith("file:")] == []


def test_each_step_has_an_address_that_opens_there(open_page):
    o, _ = lecture_neuron()
    page = open_page(Stepper(o), "#step-3")
    frame = shown(page)
    assert frame["step"] == 3 and frame["heading"] == "Step 3 of 5: x1*w1 + x2*w2 = (x1*w1) + (x2*w2)"
    page.keyboard.press("ArrowRight")
    assert page.evaluate("location.hash") == "#step-4"
    page.evaluate("location.hash = '#step-1'")
    page.wait_for_function("document.querySelector('.crw-counter').innerText === 'step 1 of 5'")
    assert shown(page)["step"] == 1


def test_the_inputs_whose_grads_changed_are_marked_and_each_step_is_explained(open_page):
    o, v = lecture_neuron()
    s = Stepper(o)
    expected_explain = str(s.explain(v["n"]))  # before any step: 0 of 1 contributions... (not shown)
    page = open_page(s)
    node = ids(o)
    assert shown(page)["changed"] == [node["o"]]  # the seed sets o.grad
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    frame = shown(page)
    assert sorted(frame["changed"]) == sorted([node["x1*w1 + x2*w2"], node["b"]])
    fills = page.evaluate("""() => [...document.querySelectorAll('.crw-frame:not([hidden]) g.crw-changed polygon')]
                                   .map(p => getComputedStyle(p).fill)""")
    assert set(fills) == {"rgb(255, 216, 168)"}  # orange, whatever kind of node they are
    s.run_to(v["n"])
    assert frame["text"] == str(s.current())  # the Step, as print() shows it
    assert frame["explain"] == "where dL/dn comes from:\n" + str(s.explain(v["n"]))
    assert expected_explain.splitlines()[:3] == frame["explain"].splitlines()[1:4]  # the same chain rule


def test_predict_then_reveal_hides_each_new_grad_until_a_key_press(open_page):
    o, v = lecture_neuron()
    page = open_page(Stepper(o))
    page.keyboard.press("ArrowRight")
    page.keyboard.press("p")  # predict mode on
    frame = shown(page)
    assert frame["step"] == 1 and not frame["answerShown"] and frame["promptShown"]
    grads = """() => [...document.querySelectorAll('.crw-frame:not([hidden]) g.crw-changed text')]
                     .filter(t => t.textContent.startsWith('grad')).map(t => getComputedStyle(t).visibility)"""
    assert page.evaluate(grads) == ["hidden"]  # n's new grad
    page.keyboard.press("Space")
    frame = shown(page)
    assert frame["step"] == 1 and frame["answerShown"] and not frame["promptShown"]
    assert page.evaluate(grads) == ["visible"]
    page.keyboard.press("ArrowRight")  # on to step 2, hidden again
    frame = shown(page)
    assert frame["step"] == 2 and not frame["answerShown"] and page.evaluate(grads) == ["hidden", "hidden"]
    page.click(".crw-reveal")
    assert shown(page)["answerShown"]
    page.click(".crw-predict")  # predict mode off: answers show at once
    page.keyboard.press("ArrowRight")
    assert shown(page)["answerShown"]


TEXT_SIZES = """() => {
  const frame = document.querySelector('.crw-frame:not([hidden])');
  const svg = frame.querySelector('svg');
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll('g.node text')].filter(t => t.textContent.trim()).map(t => ({
    text: t.textContent,
    px: parseFloat(getComputedStyle(t).fontSize) * scale,
    height: t.getBoundingClientRect().height,
  }));
}"""


PRE_SIZE = "parseFloat(getComputedStyle(document.querySelector('.crw-frame:not([hidden]) pre')).fontSize)"


def smallest_node_text(page):
    sizes = page.evaluate(TEXT_SIZES)
    assert sizes
    return min(s["px"] for s in sizes), min(s["height"] for s in sizes)


@pytest.mark.parametrize("graph", ["neuron", "mlp"])
def test_node_text_is_at_least_16px_at_1280x720_and_the_page_is_used_to_the_bottom(open_page, graph):
    if graph == "neuron":
        root = lecture_neuron()[0]
    else:
        model = MLP(2, [2, 1])
        root = model([0.5, -1.0])
        root.label = "y"
    page = open_page(Stepper(root))
    page.keyboard.press("ArrowRight")
    px, height = smallest_node_text(page)
    assert px >= 16 and height >= 16, (px, height)
    # The stepped node and its inputs are scrolled into view.
    box = page.evaluate("""() => {
      const f = document.querySelector('.crw-frame:not([hidden])'), g = f.querySelector('.crw-graph');
      const node = f.querySelector('g.node[data-id="' + f.dataset.node + '"]').getBoundingClientRect();
      const b = g.getBoundingClientRect();
      return {inside: node.left >= b.left && node.right <= b.right, bottom: f.getBoundingClientRect().bottom};
    }""")
    assert box["inside"] and box["bottom"] > 690  # the frame fills the window down to its bottom
    assert page.evaluate(PRE_SIZE) >= 16


FILLED = """() => {
  const f = document.querySelector('.crw-frame:not([hidden])');
  const b = f.querySelector('.crw-graph').getBoundingClientRect(), s = f.querySelector('svg').getBoundingClientRect();
  const w = Math.min(s.right, b.right) - Math.max(s.left, b.left);
  const h = Math.min(s.bottom, b.bottom) - Math.max(s.top, b.top);
  return [w / b.width, h / b.height];
}"""


@pytest.mark.parametrize("size", [(1280, 720), (1400, 1000)])
@pytest.mark.parametrize("graph", ["neuron", "mlp"])
def test_the_picture_uses_the_space_of_its_box(open_page, graph, size):
    if graph == "neuron":
        root = lecture_neuron()[0]
    else:
        root = MLP(2, [2, 1])([0.5, -1.0])
    page = open_page(Stepper(root), size=size)
    for _ in range(3):
        width, height = page.evaluate(FILLED)
        assert width > 0.8 and height > 0.8, (width, height)  # not a strip with an empty half below it
        assert smallest_node_text(page)[0] >= 16
        page.keyboard.press("ArrowRight")


def test_a_direction_given_is_kept(tmp_path):
    o, _ = lecture_neuron()
    for rankdir, wide in (("LR", True), ("TB", False), (None, False)):  # None: the page chooses (top to bottom here)
        kwargs = {} if rankdir is None else {"rankdir": rankdir}
        page = Stepper(o).to_html(tmp_path / "walk.html", **kwargs).read_text(encoding="utf-8")
        width, height = (float(n) for n in re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', page).groups())
        assert (width > 3 * height) == wide, (rankdir, width, height)


def test_zoom_and_text_size_controls(open_page):
    o, _ = lecture_neuron()
    page = open_page(Stepper(o))
    px, _ = smallest_node_text(page)
    page.click(".crw-zoom-in")
    assert smallest_node_text(page)[0] == pytest.approx(px * 1.25, rel=1e-3)
    page.keyboard.press("-")
    assert smallest_node_text(page)[0] == pytest.approx(px, rel=1e-3)
    page.click(".crw-fit")  # the whole picture in the window
    fits = page.evaluate("""() => {
      const f = document.querySelector('.crw-frame:not([hidden])'), g = f.querySelector('.crw-graph');
      const s = f.querySelector('svg').getBoundingClientRect();
      return s.width <= g.clientWidth && s.height <= g.clientHeight;
    }""")
    assert fits
    before = page.evaluate(PRE_SIZE)
    page.click(".crw-larger")
    page.click(".crw-larger")
    assert page.evaluate(PRE_SIZE) == before + 4


def test_clicking_a_node_goes_to_the_step_that_finishes_its_grad(open_page):
    o, _ = lecture_neuron()
    page = open_page(Stepper(o))
    node = ids(o)
    page.click(f'.crw-frame:not([hidden]) g.node[data-id="{node["x2*w2"]}"]')
    assert shown(page)["step"] == 4
    page.click(f'.crw-frame:not([hidden]) g.node[data-id="{node["b"]}"]')  # a leaf: its last user's step
    assert shown(page)["step"] == 2


def test_any_label_stays_text(open_page):
    nasty = "</script><script>window.pwned = 1</script><b>@@TITLE@@</b> & \"q\" '{a|b}' -->"
    x = Value(2.0, label=nasty)
    y = (x * 3).tanh()
    y.label = "y<img src=x onerror='window.pwned=2'>"
    page = open_page(Stepper(y))
    assert page.evaluate("window.pwned") is None
    assert page.evaluate("document.querySelectorAll('img, b').length") == 0
    page.keyboard.press("End")
    assert nasty in shown(page)["text"]
    svg_text = page.evaluate("document.querySelector('.crw-frame:not([hidden]) svg').textContent")
    assert "y<img src=x onerror='window.pwned=2'>" in svg_text
    assert page.title() == f"Backpropagation step by step: {y.label}"


def test_two_inline_walkthroughs_on_one_page_work_on_their_own(browser):
    o, v = lecture_neuron()
    s1 = Stepper(o)
    s1.run_to(v["n"])  # the inline view opens where the stepper is: step 2
    a = Value(3.0, label="a")
    s2 = Stepper(a * a)
    grads = [node.grad for node in topological_order(o)]
    first, second = s1._repr_html_(), s2._repr_html_()
    assert s1.position == 2 and [node.grad for node in topological_order(o)] == grads  # left where it was
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.set_content(f"<!DOCTYPE html><html><body>{first}<p>between</p>{second}</body></html>")
        roots = page.query_selector_all(".crw")
        assert len(roots) == 2
        every_id = page.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)")
        assert len(every_id) == len(set(every_id))
        assert [shown_in(r) for r in roots] == [2, 0]
        roots[0].query_selector(".crw-next").click()
        assert [shown_in(r) for r in roots] == [3, 0]
        roots[1].query_selector(".crw-graph").click()  # focus the second, then its keys move only it
        page.keyboard.press("ArrowRight")
        assert [shown_in(r) for r in roots] == [3, 1]
        assert page.evaluate("location.hash") == ""  # inline walkthroughs leave the address alone
    finally:
        page.close()


def shown_in(root):
    return root.evaluate(SHOWN)[0]["step"]


def test_the_inline_walkthrough_is_refused_politely_for_a_huge_graph():
    y = engine.sum([Value(float(i)) * 2 for i in range(60)])  # 61 steps: more than a notebook should hold
    text = Stepper(y)._repr_html_()
    assert "<svg" not in text and "shows up to 60: stepper.to_html(path, max_steps=61)" in text


def test_a_very_long_label_wraps_in_the_text_instead_of_running_off_the_page(open_page):
    x = Value(2.0, label="L" * 20_000)
    y = x * 3
    y.label = "y"
    page = open_page(Stepper(y))
    page.keyboard.press("ArrowRight")
    assert "L" * 20_000 in shown(page)["text"]  # verbatim
    overflow = page.evaluate("""() => [...document.querySelectorAll('.crw-frame:not([hidden]) .crw-text > *')]
                                      .map(e => e.scrollWidth - e.clientWidth)""")
    assert max(overflow) <= 1, overflow


IN_VIEW = """() => {
  const f = document.querySelector('.crw-frame:not([hidden])');
  const b = f.querySelector('.crw-graph').getBoundingClientRect();
  const inside = id => {
    const g = f.querySelector('g.node[data-id="' + id + '"]');
    if (!g) { return null; }
    const r = g.getBoundingClientRect();
    return r.left >= b.left - 1 && r.right <= b.right + 1 && r.top >= b.top - 1 && r.bottom <= b.bottom + 1;
  };
  return [inside(f.dataset.node), f.dataset.changed.split(' ').map(inside)];
}"""


def test_the_stepped_node_stays_in_view_when_its_inputs_do_not_all_fit(open_page):
    random.seed(1)
    model = MLP(2, [4, 4, 1])
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    stepper = Stepper(loss, params=model)
    page = open_page(stepper)
    for k in range(len(stepper) + 1):
        node, changed = page.evaluate(IN_VIEW)
        assert node, k  # the node whose rule was applied is on screen, even when its inputs do not all fit
        page.keyboard.press("ArrowRight")
