"""The losses of the task heads, as transformers computes them."""

import torch.nn.functional as F

from .inputs import ID_DTYPES, check_classification_labels


def sequence_classification_loss(config, logits, labels):
    """The loss of a sequence classifier, chosen by config.problem_type and set on first use as transformers does."""
    num_labels = logits.size(-1)
    problem_type = config.problem_type
    if problem_type is None:
        if num_labels == 1:
            problem_type = "regression"
        elif labels.dtype in ID_DTYPES:
            problem_type = "single_label_classification"
        else:
            problem_type = "multi_label_classification"
    check_classification_labels(problem_type, logits, labels)  # before it is set: a refused call leaves no trace
    config.problem_type = problem_type
    if config.problem_type == "regression":
        return F.mse_loss(logits.squeeze(), labels.squeeze()) if num_labels == 1 else F.mse_loss(logits, labels)
    if config.problem_type == "single_label_classification":
        return F.cross_entropy(logits.view(-1, num_labels), labels.view(-1))
    return F.binary_cross_entropy_with_logits(logits, labels)


def token_loss(logits, labels):
    """Cross-entropy per token; label -100 marks tokens to ignore (padding, sub-words)."""
    return F.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1))


def span_loss(start_logits, end_logits, start_positions, end_positions):
    """Question answering: mean of start and end cross-entropy; positions outside the input are clamped to T and
    ignored."""
    if start_positions.dim() > 1:
        start_positions = start_positions.squeeze(-1)
    if end_positions.dim() > 1:
        end_positions = end_positions.squeeze(-1)
    ignored = start_logits.size(1)
    start_positions = start_positions.clamp(0, ignored)
    end_positions = end_positions.clamp(0, ignored)
    start = F.cross_entropy(start_logits, start_positions, ignore_index=ignored)
    end = F.cross_entropy(end_logits, end_positions, ignore_index=ignored)
    return (start + end) / 2
