"""Lightning's product tips stay off the console; its other messages do not."""

from __future__ import annotations

import logging

from nasforge.utils.pylogger import route_lightning_logs_to_root


def test_lightning_tips_are_dropped_and_its_facts_kept(caplog):
    route_lightning_logs_to_root()
    lightning_log = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    with caplog.at_level(logging.INFO, logger="lightning.pytorch.utilities.rank_zero"):
        lightning_log.info("💡 Tip: For seamless cloud uploads and versioning, try installing litmodels")
        lightning_log.info("GPU available: False, used: False")
    assert [r.getMessage() for r in caplog.records] == ["GPU available: False, used: False"]
