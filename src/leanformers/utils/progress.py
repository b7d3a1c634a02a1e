"""The switch for leanformers' progress bars (downloads show one per file).

HF_HUB_DISABLE_PROGRESS_BARS wins over the functions, as it does in huggingface_hub:
set to a true value it hides the bars, set to a false value it keeps them.
"""

import os

_TRUE = {"1", "ON", "YES", "TRUE"}
_enabled = True


def disable_progress_bars():
    """Hide leanformers' progress bars (unless HF_HUB_DISABLE_PROGRESS_BARS says otherwise)."""
    global _enabled
    _enabled = False


def enable_progress_bars():
    """Show leanformers' progress bars again."""
    global _enabled
    _enabled = True


def are_progress_bars_disabled():
    setting = os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS")
    if setting is not None:
        return setting.strip().upper() in _TRUE
    return not _enabled
