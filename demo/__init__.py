"""The demo: deterministic, synthetic department extracts of the fictional 示范市 (or 示范省).

Demo-only code, kept out of the production packages: `etl` lands what departments send, `demo` plays the
departments. geography draws the schematic boundaries; world draws one city's streets, services and
children; departments turns the world into each source's columns; writer writes them as departments do,
with the deliberate faults of faults; sources holds each source's settings (title, periods, formats);
run puts it together.
"""
from demo.run import SCALES, DemoFile, generate, tqdm_progress

__all__ = ["SCALES", "DemoFile", "generate", "tqdm_progress"]
