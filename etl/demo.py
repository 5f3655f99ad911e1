"""Old home of the demo generator, now the `demo` package. Remove once etl/__main__.py imports demo."""
from demo import generate  # noqa: F401
