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


def test_flower_and_lightning_print_each_line_once_through_the_root_handlers(monkeypatch):
    import flwr.common.logger  # noqa: F401  (attaches Flower's coloured console handler)

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [logging.StreamHandler()])  # as Hydra configures it
    for name in ("flwr", "lightning"):
        monkeypatch.setattr(logging.getLogger(name), "handlers", list(logging.getLogger(name).handlers))
    assert any(type(h).__name__ == "ConsoleHandler" for h in logging.getLogger("flwr").handlers)
    route_library_logs_to_root()
    for name in ("flwr", "lightning"):
        library = logging.getLogger(name)
        assert library.propagate
        assert not [h for h in library.handlers if type(h) is not logging.FileHandler], name
