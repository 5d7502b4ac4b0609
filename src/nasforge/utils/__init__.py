"""Helpers for entry points: logging, config checks, instantiation."""

from nasforge.utils.pylogger import RankedLogger

__all__ = ["RankedLogger"]
