"""How much leanformers logs, set as in transformers (`transformers.logging.set_verbosity_error()` and so on).

Every module logs to a logger under "leanformers" (`logging.getLogger(__name__)`), and these functions set the
level of that one parent logger:

>>> import leanformers
>>> leanformers.logging.set_verbosity_error()   # only errors from now on
>>> leanformers.logging.get_verbosity() == leanformers.logging.ERROR
True
>>> leanformers.logging.set_verbosity_warning()  # back to the default

Until one of them is called, leanformers leaves logging to the application: records go up to the root logger,
and Python shows warnings and errors on stderr. The first call gives "leanformers" a stderr handler of its own
(lines start with "[leanformers] ") and stops passing its records up, as transformers does with its logger, so
that set_verbosity_info() shows info lines without any logging.basicConfig().
"""

# inside the package this is still the standard library's module: imports are absolute
import logging
import sys
import threading
from logging import CRITICAL, DEBUG, ERROR, FATAL, INFO, NOTSET, WARN, WARNING

__all__ = ["CRITICAL", "DEBUG", "ERROR", "FATAL", "INFO", "NOTSET", "WARN", "WARNING", "get_verbosity",
           "set_verbosity", "set_verbosity_debug", "set_verbosity_error", "set_verbosity_info",
           "set_verbosity_warning"]

LIBRARY_LOGGER = "leanformers"
_handler = None
_lock = threading.Lock()


def _library_logger():
    """The "leanformers" logger, given its stderr handler the first time a verbosity function asks for it."""
    global _handler
    logger = logging.getLogger(LIBRARY_LOGGER)
    with _lock:
        if _handler is None:
            _handler = logging.StreamHandler(sys.stderr)
            _handler.setFormatter(logging.Formatter(f"[{LIBRARY_LOGGER}] %(message)s"))
            logger.addHandler(_handler)
            logger.propagate = False  # the root logger's handlers would print each line a second time
            if logger.level == NOTSET:
                logger.setLevel(logger.getEffectiveLevel())  # what it showed before: the root's level
    return logger


def get_verbosity():
    """The level leanformers logs at, an int such as `leanformers.logging.WARNING` (30, the default)."""
    return _library_logger().getEffectiveLevel()


def set_verbosity(verbosity):
    """Log only records at `verbosity` or above: DEBUG, INFO, WARNING, ERROR or CRITICAL of this module, or the
    int (10 to 50) or name ("INFO") of a level."""
    try:
        _library_logger().setLevel(verbosity.upper() if isinstance(verbosity, str) else verbosity)
    except (TypeError, ValueError):
        raise ValueError(f"set_verbosity(verbosity={verbosity!r}): not a level; pass one of leanformers.logging."
                         f"DEBUG, INFO, WARNING, ERROR or CRITICAL (or its int, 10 to 50).") from None


def set_verbosity_debug():
    """Log everything, debug records included."""
    set_verbosity(DEBUG)


def set_verbosity_info():
    """Log info records and above."""
    set_verbosity(INFO)


def set_verbosity_warning():
    """Log warnings and errors only (the default)."""
    set_verbosity(WARNING)


def set_verbosity_error():
    """Log errors only."""
    set_verbosity(ERROR)
