"""Work in a forked process, its result sent back through a pipe: the mining stage's independent
parts (the features lexicon, the pruning curve) run beside the main mining on a second core. The
child starts with the parent's memory as it is (copy-on-write), so nothing large is pickled on
the way in; only the result comes back pickled."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable
from typing import Any


class Forked:
    """``fn()`` in a forked child; :meth:`get` waits for its result (an exception raised in the
    child is raised again here). With ``run_here`` (one worker), ``fn`` runs at :meth:`get`."""

    def __init__(self, fn: Callable[[], Any], run_here: bool = False):
        self.fn = fn
        self.process = None
        if run_here:
            return
        ctx = mp.get_context("fork")
        self.receive, send = ctx.Pipe(duplex=False)

        def child():
            try:
                send.send((True, fn()))
            except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
                try:
                    send.send((False, exc))
                except Exception:  # an exception that cannot be pickled: its text
                    send.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
            finally:
                send.close()

        self.process = ctx.Process(target=child, daemon=True)
        self.process.start()
        send.close()

    def get(self) -> Any:
        if self.process is None:
            return self.fn()
        try:
            ok, value = self.receive.recv()
        except EOFError:
            self.process.join()
            raise RuntimeError(f"a forked worker died (exit code {self.process.exitcode}); "
                               "out of memory? rerun with one thread ($ZHPIPE_THREADS=1)") from None
        self.process.join()
        if not ok:
            raise value
        return value
