"""SIGTERM and SIGINT stop a run with the truth: what is saved stays saved, one line says how to
resume, and the exit status is 128 + the signal (143, 130), as schedulers, ``timeout`` and
preemption expect."""

from __future__ import annotations

import shlex
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

__all__ = ["RunInterrupted", "resume_command", "stop_on_signals"]


class RunInterrupted(BaseException):
    """A run stopped by a signal. A ``BaseException``, like ``KeyboardInterrupt``, so that no
    ``except Exception`` on the way up takes it for a failure of the step it interrupted."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise RunInterrupted(signum)


def resume_command(argv: Sequence[str], run_folder: str) -> str:
    """The command that continues the run in ``run_folder``: the same overrides, that folder."""
    kept = [arg for arg in argv if not arg.startswith("hydra.run.dir=")]
    return shlex.join(["python", "train.py", *kept, f"hydra.run.dir={run_folder}"])


def stop_on_signals(
    main: Callable[[], Any], argv: Sequence[str], run_folder: Callable[[], str | None]
) -> None:
    """Run ``main``; on SIGTERM or SIGINT print one line (what was kept, the command that resumes)
    and exit with 128 + the signal. Finished stages, search histories and the end-of-epoch training
    checkpoints are on disk already; a rerun of that command reuses and resumes them."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _raise_interrupted)
    try:
        main()
    except RunInterrupted as stop:
        folder = run_folder()
        where = f"resume with: {resume_command(argv, folder)}" if folder else "nothing was started yet"
        print(
            f"Stopped by {stop}: finished stages, search histories and epoch checkpoints are kept; {where}",
            file=sys.stderr,
        )
        raise SystemExit(stop.exit_status) from None
