"""The demo: deterministic, synthetic department extracts of the fictional 示范市 (or 示范省).

Demo-only code, kept out of the production packages: `etl` lands what departments send, `demo` plays
the departments.
"""
from demo.run import SCALES, DemoFile, generate, tqdm_progress

__all__ = ["SCALES", "DemoFile", "generate", "tqdm_progress"]
