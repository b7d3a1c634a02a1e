"""Small helpers shared by the whole library."""

from .progress import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

__all__ = ["are_progress_bars_disabled", "disable_progress_bars", "enable_progress_bars"]
