"""Shared code of the course "Why neural networks generalize, told through information theory".

One module per idea, each importable on its own (`from course_utils.info import entropy`).
Importing the package or any module changes no global state: no seeding, no plotting style,
no thread settings. Lessons ask for those explicitly (`repro.seed_everything`, `plots.use_house_style`).
"""

__version__ = "0.1.0"
__all__ = ["checks", "cli", "data", "exercises", "info", "models", "plots", "pruning", "repro", "training", "widgets"]
