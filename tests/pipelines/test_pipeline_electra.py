"""pipeline("text-classification", model=electra_folder) gives what transformers' pipeline gives.

The folder is a tiny random ElectraForSequenceClassification (embedding_size narrower than hidden_size)
with its tokenizer (BERT's, on the real uncased vocabulary), both saved by transformers.
"""

import pytest
import torch
import transformers

from leanformers import pipeline
from support.sst2_checkpoint import one_torch_thread  # noqa: F401 (autouse: one torch thread for this module)
from support.sst2_checkpoint import QUICKTOUR_TEXT, UNCASED_VOCAB, require_vocab, sentences
from support.tiny_models import randomise_trainable

TOL = 1e-5
LABELS = {"0": "negative", "1": "neutral", "2": "positive"}


@pytest.fixture(scope="module")
def pipes(tmp_path_factory):
    require_vocab()
    folder = tmp_path_factory.mktemp("electra")
    config = transformers.ElectraConfig(vocab_size=30522, embedding_size=16, hidden_size=32, num_hidden_layers=2,
                                        num_attention_heads=4, intermediate_size=37, max_position_embeddings=64,
                                        id2label=LABELS, label2id={v: int(k) for k, v in LABELS.items()})
    tokenizer = transformers.ElectraTokenizer(vocab_file=str(UNCASED_VOCAB))
    torch.manual_seed(0)
    model = randomise_trainable(transformers.ElectraForSequenceClassification(config), seed=0)
    with torch.no_grad():
        for module in model.modules():  # LayerNorm gains near 1, so that the [CLS] state follows the text
            if isinstance(module, torch.nn.LayerNorm):
                module.weight.add_(1.0)
        # a tiny random encoder gives every text nearly the same [CLS] state: centre the logits on other texts and
        # magnify what differs, so that labels vary and scores spread (logits within about +-3)
        model.classifier.out_proj.weight.mul_(100)
        other_texts = tokenizer(sentences(20, seed=9), padding=True, return_tensors="pt")
        model.classifier.out_proj.bias.sub_(model.eval()(**other_texts).logits.mean(0))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return (pipeline("text-classification", model=str(folder)),
            transformers.pipeline("text-classification", model=str(folder)))


def leaves(result, path=()):
    """(position in the nesting, keys, label, score) for every {label, score} of a pipeline result."""
    if isinstance(result, list):
        return [leaf for i, item in enumerate(result) for leaf in leaves(item, path + (i,))]
    return [(path, sorted(result), result["label"], result["score"])]


def assert_same_results(ours, theirs):
    ours, theirs = leaves(ours), leaves(theirs)
    assert [leaf[:3] for leaf in ours] == [leaf[:3] for leaf in theirs]
    assert all(isinstance(leaf[3], float) for leaf in ours)
    assert max(abs(a[3] - b[3]) for a, b in zip(ours, theirs)) <= TOL


TEXTS = sentences(12, seed=3) + [QUICKTOUR_TEXT, "", "ok"]
CALLS = {
    "one text": (QUICKTOUR_TEXT, {}),
    "batch": (TEXTS, {}),
    "batch_size=4": (TEXTS, {"batch_size": 4}),
    "top_k=None": (TEXTS[:4], {"top_k": None}),
    "top_k=2 sigmoid": (TEXTS[:4], {"top_k": 2, "function_to_apply": "sigmoid"}),
    "pair": ({"text": "I liked it.", "text_pair": "The plot was thin."}, {}),
    "truncation": (TEXTS, {"truncation": True, "max_length": 8}),
}


@pytest.mark.parametrize("inputs,options", CALLS.values(), ids=CALLS.keys())
def test_text_classification_matches_transformers(pipes, inputs, options):
    ours, theirs = pipes
    assert_same_results(ours(inputs, **options), theirs(inputs, **options))


def test_scores_spread_and_every_label_appears(pipes):
    """The comparisons above mean something only if the tiny model does not give every text the same answer."""
    theirs = pipes[1](TEXTS, top_k=None)
    best = [scores[0] for scores in theirs]
    assert max(s["score"] for s in best) - min(s["score"] for s in best) > 0.2
    assert {s["label"] for s in best} == set(LABELS.values())
