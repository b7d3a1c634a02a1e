"""pipeline("text-classification", model=xlmr_folder) gives what transformers' pipeline gives.

The folder is a tiny random XLMRobertaForSequenceClassification with an XLM-R tokenizer (a few dozen
SentencePiece pieces), both saved by transformers. Helpers: test_pipeline_electra.py.
"""

import pytest
import torch
import transformers

from leanformers import pipeline
from support.sst2_checkpoint import one_torch_thread  # noqa: F401 (autouse: one torch thread for this module)
from support.sst2_checkpoint import QUICKTOUR_TEXT, sentences
from support.tiny_models import VOCAB, randomise_trainable, unigram_vocab
from test_pipeline_electra import assert_same_results

LABELS = {"0": "negative", "1": "neutral", "2": "positive"}


@pytest.fixture(scope="module")
def pipes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xlm-roberta")
    config = transformers.XLMRobertaConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2,
                                           num_attention_heads=4, intermediate_size=37, max_position_embeddings=514,
                                           id2label=LABELS, label2id={v: int(k) for k, v in LABELS.items()})
    tokenizer = transformers.XLMRobertaTokenizer(vocab=unigram_vocab(["<s>", "<pad>", "</s>", "<unk>"], ["<mask>"]))
    torch.manual_seed(0)
    model = randomise_trainable(transformers.XLMRobertaForSequenceClassification(config), seed=0)
    with torch.no_grad():
        for module in model.modules():  # LayerNorm gains near 1, so that the <s> state follows the text
            if isinstance(module, torch.nn.LayerNorm):
                module.weight.add_(1.0)
        # centre the logits on other texts and magnify what differs, so that labels vary and scores spread
        model.classifier.out_proj.weight.mul_(100)
        other_texts = tokenizer(sentences(20, seed=9), padding=True, return_tensors="pt")
        model.classifier.out_proj.bias.sub_(model.eval()(**other_texts).logits.mean(0))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return (pipeline("text-classification", model=str(folder)),
            transformers.pipeline("text-classification", model=str(folder)))


TEXTS = sentences(12, seed=3) + [QUICKTOUR_TEXT, "", "ok"]
CALLS = {
    "one text": (QUICKTOUR_TEXT, {}),
    "batch": (TEXTS, {}),
    "batch_size=4": (TEXTS, {"batch_size": 4}),
    "top_k=None": (TEXTS[:4], {"top_k": None}),
    "pair": ({"text": "I liked it.", "text_pair": "The plot was thin."}, {}),
    "truncation": (TEXTS, {"truncation": True, "max_length": 8}),
}


@pytest.mark.parametrize("inputs,options", CALLS.values(), ids=CALLS.keys())
def test_text_classification_matches_transformers(pipes, inputs, options):
    ours, theirs = pipes
    assert type(ours.model).__name__ == type(theirs.model).__name__ == "XLMRobertaForSequenceClassification"
    assert_same_results(ours(inputs, **options), theirs(inputs, **options))


def test_scores_spread_and_labels_vary(pipes):
    """The comparisons above mean something only if the tiny model does not give every text the same answer."""
    best = [scores[0] for scores in pipes[1](TEXTS, top_k=None)]
    assert max(s["score"] for s in best) - min(s["score"] for s in best) > 0.2
    assert len({s["label"] for s in best}) >= 2
