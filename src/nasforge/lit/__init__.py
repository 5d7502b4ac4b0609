"""LightningModules shared by every domain, and the interface their DataModules share."""

from nasforge.lit.child_module import ChildModule
from nasforge.lit.data_contract import DataModuleContract
from nasforge.lit.differentiable_module import DifferentiableSupernetModule
from nasforge.lit.supernet_module import SupernetModule

__all__ = ["ChildModule", "DataModuleContract", "DifferentiableSupernetModule", "SupernetModule"]
