"""Lightning's product tips stay off the console; its other messages do not."""

from __future__ import annotations

import logging

from nasforge.utils.pylogger import route_library_logs_to_root


def test_lightning_tips_are_dropped_and_its_facts_kept(caplog):
    route_library_logs_to_root()
    lightning_log = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    with caplog.at_level(logging.INFO, logger="lightning.pytorch.utilities.rank_zero"):
        lightning_log.info("💡 Tip: For seamless cloud uploads and versioning, try installing litmodels")
        lightning_log.info("GPU available: False, used: False")
    assert [r.getMessage() for r in caplog.records] == ["GPU available: False, used: False"]


def test_flower_and_lightning_print_each_line_once_through_the_root_handlers(monkeypatch, tmp_path):
    from flwr.common.logger import console_handler  # Flower's coloured handler, attached at import

    monkeypatch.setattr(logging.getLogger(), "handlers", [logging.StreamHandler()])  # as Hydra sets it
    kept = logging.FileHandler(tmp_path / "flwr.log")
    monkeypatch.setattr(logging.getLogger("flwr"), "handlers", [console_handler, kept])
    monkeypatch.setattr(logging.getLogger("lightning"), "handlers", [logging.StreamHandler()])
    route_library_logs_to_root()
    assert logging.getLogger("flwr").handlers == [kept]
    assert logging.getLogger("lightning").handlers == []
    assert logging.getLogger("flwr").propagate and logging.getLogger("lightning").propagate
    kept.close()
