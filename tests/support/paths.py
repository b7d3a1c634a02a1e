"""Where the tests find the source tree, their fixtures and the shared data folder."""

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
SRC = TESTS.parent / "src"
FIXTURES = TESTS / "support" / "fixtures"
# real vocab files, tokenizers and GLUE SST-2, next to the project root (never copied into the repo)
SHARED_DATA = TESTS.parent.parent / "shared" / "data"
