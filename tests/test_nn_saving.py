"""Tests of state_dict, load_state_dict, save and load: exact round trips and every refusal."""

import json
import math
import os
import pathlib
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading

import pytest

from nn import MLP, Linear, Neuron

ROOT = str(pathlib.Path(__file__).resolve().parent.parent)


def model(seed=0):
    return MLP(2, [4, 3, 1], rng=random.Random(seed))


def test_state_dict_is_names_to_floats():
    m = model()
    state = m.state_dict()
    assert list(state) == [name for name, _ in m.named_parameters()]
    assert all(type(v) is float for v in state.values())


def test_save_load_round_trip_is_bit_exact(tmp_path):
    m = model(1)
    m.layers[0].neurons[0].w[0].data = 0.1 + 0.2  # a float whose repr needs all 17 digits
    m.layers[0].neurons[1].b.data = 5e-324
    path = tmp_path / "model.json"
    m.save(path)
    fresh = model(2)
    assert fresh.state_dict() != m.state_dict()
    assert fresh.load(path) is fresh
    assert fresh.state_dict() == m.state_dict()
    assert [p.data.hex() for p in fresh.parameters()] == [p.data.hex() for p in m.parameters()]
    document = json.loads(path.read_text())
    assert document["model"] == "MLP" and document["num_parameters"] == m.num_parameters()
    x = [0.3, -1.7]
    assert fresh(x).data == m(x).data


def test_load_state_dict_strict_refusals_leave_the_model_unchanged():
    m = model()
    before = m.state_dict()
    good = {k: 1.0 for k in before}
    missing = dict(good)
    del missing["layers.1.neurons.2.b"]
    with pytest.raises(ValueError, match="missing parameter.*'layers.1.neurons.2.b'"):
        m.load_state_dict(missing)
    with pytest.raises(ValueError, match="unexpected name.*'layers.9.w'"):
        m.load_state_dict({**good, "layers.9.w": 0.0})
    bad = dict(good)
    bad["layers.2.neurons.0.b"] = "0.5"
    with pytest.raises(ValueError, match="value for 'layers.2.neurons.0.b' must be a number, got str '0.5'"):
        m.load_state_dict(bad)
    bad["layers.2.neurons.0.b"] = True
    with pytest.raises(ValueError, match="must be a number, got bool True"):
        m.load_state_dict(bad)
    assert m.state_dict() == before  # every refusal above came after some good entries
    with pytest.raises(TypeError, match="expected a dict"):
        m.load_state_dict([1.0, 2.0])


def test_load_state_dict_non_strict_reports_what_it_skipped():
    n = Neuron(2)
    result = n.load_state_dict({"w.0": 0.5, "extra": 1.0}, strict=False)
    assert result.missing_keys == ["w.1", "b"] and result.unexpected_keys == ["extra"]
    assert n.w[0].data == 0.5


def test_non_finite_values_round_trip(tmp_path):
    lin = Linear(1, 1, bias=False)
    lin.weight[0][0].data = math.inf
    lin.save(tmp_path / "m.json")
    assert Linear(1, 1, bias=False).load(tmp_path / "m.json").weight[0][0].data == math.inf


def test_a_file_for_another_architecture_is_refused(tmp_path):
    model().save(tmp_path / "m.json")
    other = MLP(2, [4, 1])
    before = other.state_dict()
    with pytest.raises(ValueError, match=r"unexpected name.*'layers.1.neurons.1.w.0'.* and 9 more \(14 in all\)"):
        other.load(tmp_path / "m.json")
    assert other.state_dict() == before


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "not valid JSON"),
        ('{"format": "chainrule.nn.state_dict", "version": 1, "state_dict": {"layers.0', "not valid JSON"),
        ("\x00\x01binary", "not valid JSON"),
        ('{"w.0": 1.0}', "JSON but not a saved model"),
        ("[1, 2]", "JSON but not a saved model"),
        ('{"format": "chainrule.nn.state_dict", "state_dict": [1]}', "no 'state_dict' object"),
    ],
)
def test_broken_files_raise_a_clear_error_and_change_nothing(tmp_path, text, message):
    path = tmp_path / "broken.json"
    path.write_text(text)
    m = model()
    before = m.state_dict()
    with pytest.raises(ValueError, match=message):
        m.load(path)
    assert m.state_dict() == before


def test_a_truncated_save_is_refused(tmp_path):
    path = tmp_path / "m.json"
    model().save(path)
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match="is not a saved model: it is not valid JSON"):
        model().load(path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        model().load(tmp_path / "nope.json")


# --- the file format: RFC 8259 JSON, non-finite numbers as documented strings -----------------


def _strict_json(text):
    def refuse(token):
        raise AssertionError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def test_nan_and_infinities_are_written_as_standard_json_and_read_back(tmp_path):
    lin = Linear(3, 1, bias=False)
    for v, x in zip(lin.weight[0], (math.nan, math.inf, -math.inf)):
        v.data = x
    lin.save(tmp_path / "m.json")
    document = _strict_json((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert document["version"] == 2
    assert list(document["state_dict"].values()) == ["NaN", "Infinity", "-Infinity"]
    back = Linear(3, 1, bias=False).load(tmp_path / "m.json")
    a, b, c = (v.data for v in back.weight[0])
    assert math.isnan(a) and b == math.inf and c == -math.inf


def test_version_1_files_with_bare_tokens_still_load(tmp_path):
    path = tmp_path / "old.json"
    path.write_text('{"format": "chainrule.nn.state_dict", "version": 1, "model": "Linear", "num_parameters": 2, '
                    '"state_dict": {"weight.0.0": Infinity, "bias.0": 0.5}}')
    lin = Linear(1, 1).load(path)
    assert lin.weight[0][0].data == math.inf and lin.bias[0].data == 0.5


def _document(**changes):
    document = {"format": "chainrule.nn.state_dict", "version": 2, "model": "Linear", "num_parameters": 2,
                "state_dict": {"weight.0.0": 1.0, "bias.0": 2.0}}
    document.update(changes)
    return json.dumps(document)


@pytest.mark.parametrize("text, message", [
    (_document(version=999), "has version 999; this chainrule reads versions 1, 2"),
    (_document(version="2"), "has version '2'"),
    (_document(version=True), "has version True"),
    (_document(num_parameters=3), "damaged: 'num_parameters' is 3 but its state_dict holds 2"),
    (_document(num_parameters=None), "damaged: 'num_parameters' is None"),
    (_document(model=None), "damaged: 'model' must be the model's class name"),
    (_document(model="MLP"), "holds a MLP, not a Linear"),
    (_document(state_dict={"weight.0.0": "1.0", "bias.0": 2.0}), "value for 'weight.0.0' must be a number, got str"),
    (_document(state_dict={"weight.0.0": "nan", "bias.0": 2.0}), "must be a number, got str 'nan'"),
    (_document(state_dict={"weight.0.0": 1.0, "bias.0": None}), "value for 'bias.0' must be a number"),
    (_document().replace("1.0", "1" + "0" * 400), "not a saved model: the number 1000.*401 digits.*too large"),
    (_document().replace("1.0", "1e400"), "is not a saved model: the number '1e400' is too large for a float"),
    (_document().replace("1.0", "9" * 309), "value for 'weight.0.0' is too large for a float"),
    ("[" * 100_000 + "]" * 100_000, "nested too deep|not a saved model"),
    ('{"a": ' * 1000 + "1" + "}" * 1000, "not a saved model"),
])
def test_damaged_or_foreign_files_are_refused_naming_the_file(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    lin = Linear(1, 1)
    before = lin.state_dict()
    with pytest.raises(ValueError, match=message) as info:
        lin.load(path)
    assert "bad.json" in str(info.value) or "load_state_dict" in str(info.value)
    assert lin.state_dict() == before


def test_strict_false_loads_a_file_of_another_class_by_names(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(_document(model="MyLinear"))
    assert Linear(1, 1).load(path, strict=False).bias[0].data == 2.0


def test_bytes_that_are_not_utf8_are_refused_naming_the_file(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(_document().replace("bias.0", "bias.\xe9").encode("latin-1"))
    with pytest.raises(ValueError, match=r"'.*latin1.json' is not a saved model: it is not UTF-8 text"):
        Linear(1, 1).load(path)


def test_a_huge_list_of_unexpected_keys_makes_a_short_message(tmp_path):
    state = {f"junk.{i}": 0.0 for i in range(100_000)}
    path = tmp_path / "junk.json"
    path.write_text(json.dumps({"format": "chainrule.nn.state_dict", "version": 2, "model": "Linear",
                                "num_parameters": len(state), "state_dict": state}))
    with pytest.raises(ValueError) as info:
        Linear(1, 1).load(path)
    text = str(info.value)
    assert len(text) < 1000
    assert "unexpected name(s) 'junk.0', 'junk.1', 'junk.2', 'junk.3', 'junk.4' and 99995 more (100000 in all)" in text
    assert "missing parameter(s) 'weight.0.0', 'bias.0'" in text


def test_files_over_the_size_limit_are_refused_before_reading(tmp_path, monkeypatch):
    from nn import saving

    Linear(1, 1).save(tmp_path / "m.json")
    monkeypatch.setattr(saving, "MAX_FILE_BYTES", 64)
    with pytest.raises(ValueError, match=r"'.*m.json' is \d+ bytes, more than a saved model may be"):
        Linear(1, 1).load(tmp_path / "m.json")


# --- paths and special files ------------------------------------------------------------------


@pytest.mark.parametrize("bad", [True, False, 1, 0, 2.5, None, b"m.json", ["m.json"]])
def test_paths_must_be_str_or_pathlike(bad):
    lin = Linear(1, 1)
    with pytest.raises(TypeError, match="Linear.save: path must be a str or os.PathLike"):
        lin.save(bad)
    with pytest.raises(TypeError, match="Linear.load: path must be a str or os.PathLike"):
        lin.load(bad)
    os.fstat(0), os.fstat(1)  # stdin and stdout were not closed by save(0)/save(1)


def test_empty_path_is_refused():
    with pytest.raises(ValueError, match="must name a file"):
        Linear(1, 1).save("")


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    outcome = []

    def attempt():
        try:
            Linear(1, 1).load(fifo)
        except ValueError as err:
            outcome.append(str(err))

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "load blocked on a FIFO"
    assert outcome and "is not a regular file (a FIFO)" in outcome[0]


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(ValueError, match="is not a regular file \\(a folder\\)"):
        Linear(1, 1).load(tmp_path)


# --- atomic saves: the old file survives any failure --------------------------------------------


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_write_that_fails_part_way_leaves_the_old_file_and_no_temporary(tmp_path):
    # A real failure in the middle of writing: the file-size limit (RLIMIT_FSIZE) makes write() fail
    # with EFBIG after 4096 bytes of the new file, in a child process so the limit stays there.
    path = tmp_path / "m.json"
    Linear(2, 1).save(path)
    old = path.read_bytes()
    assert len(old) < 4096
    code = textwrap.dedent(f"""
        import resource, signal, errno
        import nn
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        model = nn.MLP(2, [64, 64, 1])
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            model.save({str(path)!r})
        except OSError as err:
            print("failed", errno.errorcode[err.errno], err)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": ROOT})
    assert out.stdout.startswith(f"failed EFBIG [Errno 27] MLP.save: could not write {str(path)!r} (File too large); "
                                 f"an old file there is unchanged"), (out.stdout, out.stderr)
    assert path.read_bytes() == old
    assert _leftovers(tmp_path) == []
    Linear(2, 1).load(path)


def test_a_save_that_raises_before_writing_leaves_the_old_file(tmp_path):
    class Odd(Linear):
        def state_dict(self):
            return {"weight.0.0": object()}

    path = tmp_path / "m.json"
    Linear(1, 1, bias=False).save(path)
    old = path.read_bytes()
    with pytest.raises((TypeError, ValueError)):
        Odd(1, 1, bias=False).save(path)
    assert path.read_bytes() == old and _leftovers(tmp_path) == []


def test_a_process_killed_while_saving_leaves_a_complete_file(tmp_path):
    path = tmp_path / "m.json"
    old = MLP(2, [200, 200, 1], rng=random.Random(0))
    old.save(path)
    code = textwrap.dedent(f"""
        import random, sys
        import nn
        model = nn.MLP(2, [200, 200, 1], rng=random.Random(1))
        print("ready", flush=True)
        while True:
            model.save({str(path)!r})
    """)
    for _attempt in range(5):  # until the kill lands in the middle of a save (a temporary file is left)
        _kill_while_saving(code)
        if _leftovers(tmp_path):
            break
    assert _leftovers(tmp_path), "the child was never killed in the middle of a save"
    fresh = MLP(2, [200, 200, 1], rng=random.Random(2)).load(path)
    assert fresh.state_dict() in (old.state_dict(), MLP(2, [200, 200, 1], rng=random.Random(1)).state_dict())


def _kill_while_saving(code):
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": ROOT})
    folder = pathlib.Path(code.split("model.save(")[1].split(")")[0].strip("'\"")).parent
    try:
        assert child.stdout.readline().strip() == "ready"
        for _ in range(600_000):  # wait until a save is under way, then kill the child in the middle
            if _leftovers(folder):
                break
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()


def test_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "m.json"
    Linear(1, 1).save(path)
    os.chmod(path, 0o600)
    Linear(1, 1).save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_saving_onto_a_folder_fails_and_leaves_no_temporary(tmp_path):
    (tmp_path / "sub").mkdir()
    with pytest.raises(ValueError, match="Linear.save: .*sub' is a folder, not a file"):
        Linear(1, 1).save(tmp_path / "sub")
    assert (tmp_path / "sub").is_dir() and _leftovers(tmp_path) == []


def test_saving_onto_a_fifo_or_device_refuses_and_leaves_it_in_place(tmp_path):
    # The rename would put a regular file where the FIFO (or /dev/null, run as root) was.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="pipe' is a FIFO, not a file"):
        Linear(1, 1).save(fifo)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and _leftovers(tmp_path) == []
    link = tmp_path / "null"
    link.symlink_to("/dev/null")
    with pytest.raises(ValueError, match="null' is a character device, not a file"):
        Linear(1, 1).save(link)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_saving_through_a_symlink_replaces_the_file_it_points_to(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "m.json"
    Linear(1, 1, bias=False).save(target)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    model = Linear(1, 1, bias=False)
    model.weight[0][0].data = 0.125
    model.save(link)
    assert link.is_symlink()
    assert Linear(1, 1, bias=False).load(target).state_dict() == {"weight.0.0": 0.125}
    assert _leftovers(tmp_path) == [] and _leftovers(tmp_path / "real") == []


def test_a_name_written_twice_in_the_file_is_refused(tmp_path):
    path = tmp_path / "m.json"
    model = Linear(1, 1, bias=False)
    model.save(path)
    text = path.read_text().replace('"weight.0.0":', '"weight.0.0": 5.0, "weight.0.0":')
    path.write_text(text.replace('"num_parameters": 1', '"num_parameters": 1'))
    before = model.state_dict()
    with pytest.raises(ValueError, match="m.json' is not a saved model: .*'weight.0.0' appears twice"):
        model.load(path)
    assert model.state_dict() == before


def test_a_version_that_is_not_an_int_is_refused(tmp_path):
    path = tmp_path / "m.json"
    Linear(1, 1).save(path)
    path.write_text(path.read_text().replace('"version": 2', '"version": 2.0'))
    with pytest.raises(ValueError, match="has version 2.0; this chainrule reads versions 1, 2"):
        Linear(1, 1).load(path)


def test_strict_must_be_true_or_false(tmp_path):
    with pytest.raises(TypeError, match="Linear.load_state_dict: strict must be True or False, got int 0"):
        Linear(1, 1).load_state_dict({}, strict=0)


def test_saving_into_a_missing_folder_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="Linear.save: there is no folder .*nope.* to save into"):
        Linear(1, 1).save(tmp_path / "nope" / "m.json")


def test_a_folder_without_write_permission_names_the_file_not_the_temporary():
    # Run as another user (root may write anywhere), so the permission is really checked; the folder is
    # outside pytest's tmp_path, which only its owner may enter.  That user may not enter the checkout
    # either (a clone in a private folder), so it runs a copy of the two packages with the base interpreter.
    top = pathlib.Path(tempfile.mkdtemp())
    os.chmod(top, 0o755)
    for package in ("engine", "nn"):
        shutil.copytree(pathlib.Path(ROOT) / package, top / "code" / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    folder = top / "ro"
    folder.mkdir()
    Linear(1, 1).save(folder / "m.json")
    old = (folder / "m.json").read_bytes()
    os.chmod(folder, 0o555)
    code = f"import nn; nn.Linear(1, 1).save({str(folder / 'm.json')!r})"
    run_as = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
    python = sys._base_executable if run_as else sys.executable
    out = subprocess.run([*run_as, python, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(top / "code")}, cwd=top)
    assert "PermissionError: [Errno 13] Linear.save: could not write" in out.stderr, out.stderr
    assert ".tmp" not in out.stderr.splitlines()[-1]
    assert (folder / "m.json").read_bytes() == old and _leftovers(folder) == []


def test_load_checks_strict_before_reading_the_file(tmp_path):
    # strict="no" was truthy: a file of another class was refused as if strict=True.
    path = tmp_path / "m.json"
    Neuron(1).save(path)
    with pytest.raises(TypeError, match="Linear.load: strict must be True or False, got str 'no'"):
        Linear(1, 1).load(path, strict="no")
