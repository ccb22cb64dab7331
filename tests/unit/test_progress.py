"""Progress reported as log lines when there is no terminal (Snakemake, DVC, CI)."""

import logging

from zhpipe import progress as prog


def test_log_lines_with_rate_and_time_left(monkeypatch, caplog):
    clock = iter([0.0, 0.0, 10.0, 20.0, 31.0, 40.0, 62.0])
    monkeypatch.setattr(prog.time, "monotonic", lambda: next(clock))
    caplog.set_level(logging.INFO, logger="zhpipe.progress")
    bar = prog.Progress(100, "seg epoch 1/3", "batch", interval_s=30, tty=False)
    for _ in range(5):
        bar.update(10)  # at 0, 10, 20, 31, 40 s: one line, at 31 s
    bar.update(10)  # at 62 s: the second line
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["seg epoch 1/3: 40/100 batches (40%), 1.3 batches/s, 46s left",
                     "seg epoch 1/3: 60/100 batches (60%), 1.0 batches/s, 41s left"]


def test_bytes_and_unknown_totals():
    bar = prog.Progress(None, "dump.xml.bz2", "B", tty=False, initial=3 << 20)
    bar.update(2 << 20)
    assert bar.line(bar.t0 + 2.0) == "dump.xml.bz2: 5.0 MiB, 1.0 MiB/s, 2s so far"
    bar = prog.Progress(8 << 20, "a.zip", "B", tty=False, initial=2 << 20)
    bar.update(2 << 20)
    assert bar.line(bar.t0 + 1.0) == "a.zip: 4.0 MiB of 8.0 MiB (50%), 2.0 MiB/s, 2s left"


def test_the_iterator_reports_and_yields_everything(monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="zhpipe.progress")
    monkeypatch.setattr(prog.sys, "stderr", type("NoTTY", (), {"isatty": lambda self: False})())
    clock = iter(range(0, 100, 10))  # 10 s between reads: a line at every item
    monkeypatch.setattr(prog.time, "monotonic", lambda: float(next(clock)))
    assert list(prog.progress(range(5), "x", "item", interval_s=5)) == [0, 1, 2, 3, 4]
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 5 and lines[-1].startswith("x: 5/5 items (100%)"), lines
