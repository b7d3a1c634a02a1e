"""pipeline("text-classification") and pipeline("fill-mask") on DeBERTa-v3-style folders give what transformers'
pipelines give.

The folders hold a tiny random DebertaV2ForSequenceClassification / DebertaV2ForMaskedLM (v3 layout: relative
attention, log buckets, no absolute positions, no token types) and a DebertaV2Tokenizer whose SentencePiece model
is trained here as DeBERTa-v3's (tests/tokenization/test_deberta_v2_tokenizer.py), all saved by transformers.
"""

import sys
from pathlib import Path

import pytest
import torch
import transformers

from leanformers import pipeline
from support.sst2_checkpoint import one_torch_thread  # noqa: F401 (autouse: one torch thread for this module)
from support.sst2_checkpoint import sentences
from support.tiny_models import randomise_trainable
from test_pipeline_electra import assert_same_results

TOL = 1e-5
LABELS = {"0": "negative", "1": "neutral", "2": "positive"}
V3 = dict(relative_attention=True, pos_att_type=["p2c", "c2p"], position_buckets=8, max_relative_positions=20,
          share_att_key=True, norm_rel_ebd="layer_norm", position_biased_input=False, type_vocab_size=0)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    pytest.importorskip("sentencepiece")
    sys.path.insert(0, str(Path(__file__).parent.parent / "tokenization"))
    try:
        from test_deberta_v2_tokenizer import DEBERTA_SPM
        from test_t5_tokenizer import train
    finally:
        sys.path.pop(0)
    spm_folder = train(tmp_path_factory.mktemp("spm"), "spm.model", **DEBERTA_SPM)
    tokenizer = transformers.DebertaV2Tokenizer(vocab_file=str(spm_folder / "spm.model"))
    made = {}
    for head in ("ForSequenceClassification", "ForMaskedLM"):
        folder = tmp_path_factory.mktemp(head)
        config = transformers.DebertaV2Config(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2,
                                              num_attention_heads=4, intermediate_size=37,
                                              max_position_embeddings=64, id2label=LABELS,
                                              label2id={v: int(k) for k, v in LABELS.items()}, **V3)
        torch.manual_seed(0)
        model = randomise_trainable(getattr(transformers, "DebertaV2" + head)(config), seed=0)
        with torch.no_grad():
            for module in model.modules():  # LayerNorm gains near 1, so that the states follow the text
                if isinstance(module, torch.nn.LayerNorm):
                    module.weight.add_(1.0)
            if head == "ForSequenceClassification":  # spread the logits so that labels and scores vary
                model.classifier.weight.mul_(100)
                other = tokenizer(sentences(20, seed=9), padding=True, return_tensors="pt")
                model.classifier.bias.sub_(model.eval()(**other).logits.mean(0))
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        made[head] = folder
    return made


TEXTS = sentences(12, seed=3) + ["", "ok"]


@pytest.mark.parametrize("options", [{}, {"batch_size": 4}, {"top_k": None}, {"truncation": True, "max_length": 8}],
                         ids=["plain", "batch_size=4", "top_k=None", "truncation"])
def test_text_classification_matches_transformers(folders, options):
    ours = pipeline("text-classification", model=str(folders["ForSequenceClassification"]))
    theirs = transformers.pipeline("text-classification", model=str(folders["ForSequenceClassification"]))
    assert_same_results(ours(TEXTS, **options), theirs(TEXTS, **options))
    pair = {"text": "I liked it.", "text_pair": "The plot was thin."}
    assert_same_results(ours(pair, **options), theirs(pair, **options))


def test_fill_mask_matches_transformers(folders):
    ours = pipeline("fill-mask", model=str(folders["ForMaskedLM"]))
    theirs = transformers.pipeline("fill-mask", model=str(folders["ForMaskedLM"]))
    texts = [f"The quick brown {theirs.tokenizer.mask_token} jumps.", f"{theirs.tokenizer.mask_token} world"]
    for text in texts:
        a, b = ours(text, top_k=5), theirs(text, top_k=5)
        assert [(r["token"], r["token_str"], r["sequence"]) for r in a] == \
            [(r["token"], r["token_str"], r["sequence"]) for r in b]
        assert max(abs(x["score"] - y["score"]) for x, y in zip(a, b)) <= TOL
