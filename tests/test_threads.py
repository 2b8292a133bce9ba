"""The core's switches belong to their thread: real threads, interleaved on purpose with events."""

import threading

import pytest

import engine
from engine import AnomalyError, Value, detect_anomaly, no_grad
from engine.value import record_reads


def run_in_thread(target):
    """Run target in a new thread; re-raise here whatever it raised."""
    errors = []

    def wrapped():
        try:
            target()
        except BaseException as err:  # noqa: BLE001 - handed to the main thread
            errors.append(err)

    thread = threading.Thread(target=wrapped)
    thread.start()
    return thread, errors


def finish(thread, errors):
    thread.join(timeout=30)
    assert not thread.is_alive()
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_does_not_stop_recording_in_another():
    inside, done = threading.Event(), threading.Event()

    def evaluator():
        with no_grad():
            inside.set()
            assert done.wait(10)
            assert not engine.is_grad_enabled()

    thread, errors = run_in_thread(evaluator)
    assert inside.wait(10)
    x = Value(3.0)
    y = x * x  # while the other thread is inside no_grad
    assert engine.is_grad_enabled() and not y.is_leaf
    y.backward()
    assert x.grad == 6.0
    done.set()
    finish(thread, errors)


def test_interleaved_enter_and_exit_leave_every_thread_recording():
    # A enters, B enters, A exits, B exits: with one global switch, recording stayed off.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def thread_b():
        assert a_in.wait(10)
        with no_grad():
            b_in.set()
            assert a_out.wait(10)
            assert not engine.is_grad_enabled()
        assert engine.is_grad_enabled()
        assert not (Value(1.0) * 2).is_leaf

    thread, errors = run_in_thread(thread_b)
    with no_grad():
        a_in.set()
        assert b_in.wait(10)
    a_out.set()
    finish(thread, errors)
    assert engine.is_grad_enabled() and not (Value(1.0) * 2).is_leaf


def test_enable_grad_inside_no_grad_and_nesting():
    with no_grad():
        with engine.enable_grad():
            assert not (Value(1.0) * 2).is_leaf
        assert (Value(1.0) * 2).is_leaf
    assert engine.is_grad_enabled()


def test_anomaly_mode_of_one_thread_does_not_raise_in_another():
    inside, done = threading.Event(), threading.Event()

    def checker():
        with detect_anomaly():
            inside.set()
            assert done.wait(10)
            assert engine.is_anomaly_enabled()
            with pytest.raises(AnomalyError):
                Value(float("inf")) * 0

    thread, errors = run_in_thread(checker)
    assert inside.wait(10)
    assert not engine.is_anomaly_enabled()
    y = Value(float("inf")) * 0  # NaN flows on silently outside the mode, as in torch
    assert y.data != y.data
    done.set()
    finish(thread, errors)


def test_another_threads_reads_do_not_land_in_this_record():
    x = Value(2.0)
    inside, done = threading.Event(), threading.Event()

    def reader():
        assert inside.wait(10)
        for _ in range(100):
            float(x)
            assert x > 1
        done.set()

    thread, errors = run_in_thread(reader)
    with record_reads() as reads:
        inside.set()
        assert done.wait(10)
        x.data  # noqa: B018 - the read is the point
    finish(thread, errors)
    assert [r.kind for r in reads] == ["data"]


def test_training_while_another_thread_evaluates_gives_the_solo_result():
    def train(steps=30):
        w = Value(0.5)
        for _ in range(steps):
            loss = (w * 3.0 - 1.0) ** 2
            w.grad = 0.0
            loss.backward()
            w.data -= 0.01 * w.grad
        return w.data

    solo = train()
    stop = threading.Event()

    def evaluate():
        while not stop.is_set():
            with no_grad():
                Value(1.0) * 2

    thread, errors = run_in_thread(evaluate)
    try:
        together = train()
    finally:
        stop.set()
    finish(thread, errors)
    assert together == solo
