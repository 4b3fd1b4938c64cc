"""Static models in a minilm model's own vector space: `distill` one, `StaticModel` to use it (numpy only)."""

from minilm.static.distill import FitReport, distill, distill_to_folder
from minilm.static.model import StaticModel, is_static_folder

__all__ = ["FitReport", "StaticModel", "distill", "distill_to_folder", "is_static_folder"]
