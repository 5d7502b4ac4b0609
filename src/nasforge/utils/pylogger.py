"""A logger that prints once in a multi-process run (rank 0 only), as in lightning-hydra-template."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from lightning_utilities.core.rank_zero import rank_prefixed_message, rank_zero_only

__all__ = ["RankedLogger", "route_library_logs_to_root"]


class RankedLogger(logging.LoggerAdapter):
    """``logging`` adapter that drops messages on ranks other than 0 unless ``rank_zero_only=False``."""

    def __init__(self, name: str = __name__, rank_zero_only: bool = True, extra: Mapping | None = None):
        super().__init__(logger=logging.getLogger(name), extra=extra)
        self.rank_zero_only = rank_zero_only

    def log(self, level: int, msg: str, *args, **kwargs) -> None:
        if not self.isEnabledFor(level):
            return
        rank = getattr(rank_zero_only, "rank", None)
        msg, kwargs = self.process(msg, kwargs)
        if rank is None or not self.rank_zero_only:
            if rank is not None:
                msg = rank_prefixed_message(msg, rank)
            self.logger.log(level, msg, *args, **kwargs)
        elif rank == 0:
            self.logger.log(level, msg, *args, **kwargs)


#: libraries that attach their own console handler at import and still propagate to the root logger
_LIBRARIES_WITH_CONSOLES = ("lightning", "flwr")


def route_library_logs_to_root() -> None:
    """Drop the console handlers Lightning and Flower add to their loggers, so Hydra's handlers print
    each line once (and into the run's log file), and Lightning's advertising tips, so the console
    holds what the run did.

    Both attach a ``StreamHandler`` at import and still propagate to the root logger, which Hydra has
    configured: every Lightning message appeared twice, and every Flower one a second time with raw
    colour codes. Call it once the libraries are imported (a run does, after building its stages).
    """
    rank_zero_logger = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    if not any(isinstance(f, _DropTips) for f in rank_zero_logger.filters):
        rank_zero_logger.addFilter(_DropTips())
    if not logging.getLogger().handlers:
        return
    for name in _LIBRARIES_WITH_CONSOLES:
        if name not in logging.Logger.manager.loggerDict:
            continue  # not imported by this run
        library_logger = logging.getLogger(name)
        for handler in list(library_logger.handlers):
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                library_logger.removeHandler(handler)


class _DropTips(logging.Filter):
    """Lightning's "Tip:" lines suggest products, not anything about the run."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Tip: " not in str(record.msg)[:12]
