"""The load report: weights a checkpoint had but the model did not use, weights newly initialised, shape
mismatches, in the layout of transformers 5's "LOAD REPORT" table (logged on the `leanformers.modeling` logger)."""

import logging
import re
import shutil
import sys
from dataclasses import fields

from ..configuration import SIZE_FIELDS
from ..conventions import MISMATCH_FIX
from ..manifest import architectures

logger = logging.getLogger("leanformers.modeling")


def log_load_report(model, path, info, ignore_mismatched_sizes):
    """Log weights the checkpoint had but the model did not use, and weights newly initialised, in the layout of
    transformers 5's load report (one warning), then refuse shape mismatches unless they were allowed."""
    notes, rows = "\n\nNotes:", []
    if info["unexpected_keys"]:
        notes += f"\n- {_style('UNEXPECTED:', 33)}\t" + _style(
            "can be ignored when loading from different task/architecture; not ok if you expect identical arch.", 3)
        rows += [[key, _style("UNEXPECTED", 33), "", ""] for key in _group_layers(info["unexpected_keys"])]
    if info["missing_keys"]:
        notes += f"\n- {_style('MISSING:', 31)}\t" + _style(
            "those params were newly initialized because missing from the checkpoint. Consider training on your "
            "downstream task.", 3)
        rows += [[key, _style("MISSING", 31), ""] for key in _group_layers(info["missing_keys"])]
    if info["mismatched_keys"]:
        notes += f"\n- {_style('MISMATCH:', 33)}\t" + _style(
            "ckpt weights were loaded, but they did not match the original empty weight shapes.", 3)
        shapes = {key: (ckpt, ours) for key, ckpt, ours in info["mismatched_keys"]}
        for key, (ckpt, ours) in _group_layers(shapes).items():
            rows.append([key, _style("MISMATCH", 33), f"Reinit due to size mismatch - ckpt: {ckpt} vs model:{ours}"])
    if rows:
        wide = shutil.get_terminal_size().columns > 200
        headers = ["Key", "Status", "Details"] if wide else ["Key", "Status", "", ""]
        prelude = f"\x1b[1m{type(model).__name__} LOAD REPORT\x1b[0m from: {path}\n"  # bold even off a terminal
        logger.warning(prelude + _table(rows, headers) + notes)
    _warn_if_foreign(model, path, info)
    if info["mismatched_keys"] and not ignore_mismatched_sizes:
        shapes = {key: (tuple(ckpt), tuple(ours)) for key, ckpt, ours in info["mismatched_keys"]}
        listed = "; ".join(f"{key}: {ckpt} in the checkpoint, {ours} in the model"
                           for key, (ckpt, ours) in _group_layers(shapes).items())
        suspects = "".join(f" The config's {name} is {ours}, the checkpoint's weights have {ckpt}."
                           for name, (ours, ckpt) in _config_suspects(model.config, shapes.values()).items())
        raise RuntimeError(
            f"The checkpoint at {path} does not fit {type(model).__name__} built from its config: "
            f"these weights have other shapes: {listed}.{suspects} {MISMATCH_FIX}"
        )


def _config_suspects(config, shapes):
    """The config's size fields (and num_labels) whose value is a dimension where the model's weight differs from
    the checkpoint's: field -> (the model's dimension, the checkpoint's)."""
    names = sorted({f.name for f in fields(config)} & SIZE_FIELDS) + ["num_labels"]
    suspects = {}
    for ckpt, ours in shapes:
        for theirs, mine in zip(ckpt, ours):
            if theirs != mine:
                suspects.update({name: (mine, theirs) for name in names if getattr(config, name) == mine})
    return suspects


def _warn_if_foreign(model, path, info):
    """Most weights newly initialised while the checkpoint's went unused: the weights are another architecture's
    (config.json's model_type names one they are not). Loaded all the same, as transformers does, with a warning."""
    total = sum(1 for _ in model.named_parameters(remove_duplicate=False))
    missing, unexpected = len(info["missing_keys"]), len(info["unexpected_keys"])
    if not unexpected or 2 * missing <= total:
        return
    names = model.config.architectures or []
    source = next((f" (config.json's \"architectures\" names {names[0]}, a {arch.model_type!r} class)" for arch in
                   architectures() if arch.model_type != model.config.model_type and names[:1] and
                   names[0] in arch.heads.values()), "")
    logger.warning(
        f"{type(model).__name__} from {path}: {missing} of its {total} weights are not in the checkpoint and were "
        f"newly initialised, and {unexpected} of the checkpoint's weights were not used: the checkpoint does not "
        f"hold a {model.config.model_type!r} model{source}. The model is mostly random. If config.json names the "
        "wrong model_type, correct it; otherwise load the checkpoint with the class of its architecture."
    )


def _group_layers(keys):
    """Merge keys that differ only in layer numbers: encoder.layer.0.x, encoder.layer.1.x -> encoder.layer.{0, 1}.x.
    A dict is grouped by equal values and keeps them; a list becomes a sorted list."""
    values = keys if isinstance(keys, dict) else dict.fromkeys(keys)
    groups = {}  # (pattern, value) -> list of the number sets at each position
    for key in sorted(values):
        numbers = re.findall(r"(?<=\.)(\d+)(?=\.|$)", key)
        slots = groups.setdefault((re.sub(r"(?<=\.)(\d+)(?=\.|$)", "*", key), values[key]), [set() for _ in numbers])
        for slot, number in zip(slots, numbers):
            slot.add(int(number))
    merged = {}
    for (pattern, value), slots in groups.items():
        parts = pattern.split("*")
        name = parts[0]
        for slot, part in zip(slots, parts[1:]):
            ordered = sorted(slot)
            if len(ordered) == 1:
                name += str(ordered[0])
            elif len(ordered) > 10:
                name += "{" + f"{ordered[0]}...{ordered[-1]}" + "}"
            else:
                name += "{" + ", ".join(map(str, ordered)) + "}"
            name += part
        merged[name] = value
    return merged if isinstance(keys, dict) else list(merged)


def _style(text, code):
    # colours only on a terminal, as transformers does
    return f"\x1b[{code}m{text}\x1b[0m" if sys.stdout is not None and sys.stdout.isatty() else text


def _table(rows, headers):
    # widths ignore colour codes; zip stops at the shortest row, so a 3-cell row trims every line to 3 columns
    plain = lambda s: re.sub(r"\x1b\[[0-9;]*m", "", s)  # noqa: E731
    widths = [max(len(plain(cell)) for cell in column) for column in zip(headers, *rows)]
    line = lambda cells: " | ".join(c + " " * (w - len(plain(c))) for c, w in zip(cells, widths))  # noqa: E731
    return "\n".join([line(headers), "-+-".join("-" * w for w in widths), *map(line, rows)])
