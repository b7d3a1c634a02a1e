"""The logits processors of generate(): plain functions of (ids (N, T), scores (N, V)) -> scores, built by
`logits_processors` in the order transformers applies them."""

import torch
import torch.nn.functional as F


def repetition_penalty(penalty, ignore_before):
    """Scores of tokens already in the sequence are divided by `penalty` (multiplied when negative). Left-padding
    positions (`ignore_before[i]` of them in row i) do not count."""

    def process(ids, scores):
        V = scores.size(-1)
        if ignore_before is not None:
            ids = ids.masked_fill(torch.arange(ids.size(1), device=ids.device)[None] < ignore_before[:, None], V)
        ids = ids.clamp(max=V)  # padding goes to a spare column that is dropped
        scores = F.pad(scores, (0, 1))
        seen = scores.gather(1, ids)
        seen = torch.where(seen < 0, seen * penalty, seen / penalty)
        return scores.scatter(1, ids, seen)[:, :V]

    return process


def no_repeat_ngram(n):
    """Ban every token that would complete an n-gram already present in the row."""

    def process(ids, scores):
        T = ids.size(1)
        if T < n:
            return scores
        prefix = ids[:, T + 1 - n:]  # the last n-1 tokens
        windows = ids.unfold(1, n, 1)  # (N, T-n+1, n)
        matches = (windows[..., :-1] == prefix[:, None]).all(-1)
        V = scores.size(-1)
        banned = scores.new_zeros((scores.size(0), V + 1), dtype=torch.bool)
        banned.scatter_(1, torch.where(matches, windows[..., -1].clamp(max=V), V), True)
        return scores.masked_fill(banned[:, :V], -float("inf"))

    return process


def suppress_eos_before(length, eos):
    """No end of sequence while a row is shorter than `length` tokens."""

    def process(ids, scores):
        if ids.size(1) < length:
            scores = scores.clone()
            scores[:, eos] = -float("inf")
        return scores

    return process


def force_token_at(length, token):
    """When the row has `length` tokens, the next one must be `token` (or one of them)."""

    def process(ids, scores):
        if ids.size(1) == length:
            scores = torch.full_like(scores, -float("inf"))
            scores[:, token] = 0
        return scores

    return process


def temperature(value):
    return lambda ids, scores: scores / value


def top_k(k, keep):
    k = max(k, keep)

    def process(ids, scores):
        kth = torch.topk(scores, min(k, scores.size(-1)))[0][..., -1, None]
        return scores.masked_fill(scores < kth, -float("inf"))

    return process


def top_p(p, keep):
    """Keep the smallest set of most likely tokens whose probability reaches `p` (at least `keep` of them)."""

    def process(ids, scores):
        sorted_scores, order = torch.sort(scores, descending=False)
        drop = sorted_scores.softmax(-1).cumsum(-1) <= 1 - p
        drop[..., -keep:] = False
        return scores.masked_fill(drop.scatter(1, order, drop), -float("inf"))

    return process


def logits_processors(gc, prompt_length, eos, max_length, pad_lengths):
    """The processors `gc` asks for, in the order transformers applies them (sampling warpers last)."""
    out = []
    if gc.repetition_penalty is not None and gc.repetition_penalty != 1.0:
        out.append(repetition_penalty(gc.repetition_penalty, pad_lengths))
    if gc.no_repeat_ngram_size:
        out.append(no_repeat_ngram(gc.no_repeat_ngram_size))
    if eos and gc.min_length:  # without an eos there is nothing to suppress
        out.append(suppress_eos_before(gc.min_length, eos))
    if eos and gc.min_new_tokens:
        out.append(suppress_eos_before(prompt_length + gc.min_new_tokens, eos))
    if gc.forced_bos_token_id is not None:
        out.append(force_token_at(1, gc.forced_bos_token_id))
    if gc.forced_eos_token_id is not None:
        out.append(force_token_at(max_length - 1, gc.forced_eos_token_id))
    if gc.do_sample:
        # beam sampling keeps enough candidates that a beam can always continue past an eos
        keep = (len(eos) + 1 if eos else 2) if gc.num_beams > 1 else 1
        if gc.temperature != 1.0:
            out.append(temperature(gc.temperature))
        if gc.top_k:
            out.append(top_k(gc.top_k, keep))
        if gc.top_p < 1.0:
            out.append(top_p(gc.top_p, keep))
    return out
