"""LightningModules shared by every domain."""

from nasforge.lit.child_module import ChildModule

__all__ = ["ChildModule"]
