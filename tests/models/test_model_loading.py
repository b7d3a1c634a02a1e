"""from_pretrained / save_pretrained against transformers: key mapping, the load report, tying, dtypes, shards,
pickled checkpoints, memory mapping, initialisation of new weights and atomic saves."""

import logging
import os
import sys

import pytest
import torch
import transformers
from safetensors.torch import load_file, save_file

import leanformers
from support.tiny_models import (PREFIX, assert_same_report, build_transformers_model, captured, max_abs_diff,
                         model_test_settings, padded_batch)


@pytest.fixture(autouse=True)
def transformers_warnings_on():
    with model_test_settings(logging.WARNING):  # the load report is a warning
        yield


def load_both(cls_name, folder, **kwargs):
    """Load with transformers and leanformers; return both models and the load-report warnings of each."""
    with captured("transformers.modeling_utils") as theirs_log:
        theirs = getattr(transformers, cls_name).from_pretrained(folder, **kwargs)
    with captured("leanformers.modeling") as ours_log:
        ours = getattr(leanformers, cls_name).from_pretrained(folder, **kwargs)
    theirs_log = [m for m in theirs_log if "LOAD REPORT" in m]
    return theirs, ours, theirs_log, ours_log


CROSS_LOADS = [
    ("bert", "ForMaskedLM", "ForSequenceClassification"),  # head swap: unused MLM head, new pooler + classifier
    ("bert", "ForSequenceClassification", "Model"),  # head checkpoint into the bare model: prefix removed
    ("bert", "Model", "ForMaskedLM"),  # bare checkpoint into a head model: prefix added, MLM head new
    ("bert", "Model", "ForTokenClassification"),
    ("distilbert", "ForMaskedLM", "ForSequenceClassification"),
    ("distilbert", "Model", "ForQuestionAnswering"),
    ("roberta", "ForSequenceClassification", "ForMaskedLM"),
    ("roberta", "Model", "ForSequenceClassification"),
]


@pytest.mark.parametrize("arch,saved,loaded", CROSS_LOADS)
def test_cross_loading_report_and_weights_match_transformers(tmp_path, arch, saved, loaded):
    build_transformers_model(arch, saved, "h32-l2").save_pretrained(tmp_path)
    theirs, ours, theirs_log, ours_log = load_both(PREFIX[arch] + loaded, tmp_path, output_loading_info=True)
    (theirs, theirs_info), (ours, ours_info) = theirs, ours
    assert_same_report(theirs_log, ours_log)
    for key in ("missing_keys", "unexpected_keys"):
        assert set(ours_info[key]) == set(theirs_info[key]), key
    # every weight that came from the checkpoint is the same; new ones follow the same init rules
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        if name in ours_info["missing_keys"]:
            if name.endswith("bias"):
                assert not param.any()
            elif "LayerNorm" in name or "layer_norm" in name:
                assert torch.equal(param, torch.ones_like(param))
            else:
                assert 0.005 < param.std().item() < 0.05  # normal(0, initializer_range=0.02)
        else:
            assert torch.equal(param, theirs_params[name]), name


def test_legacy_gamma_beta_names_and_position_ids_load_silently(tmp_path):
    build_transformers_model("bert", "Model", "h32-l2").save_pretrained(tmp_path / "new")
    state = load_file(tmp_path / "new" / "model.safetensors")
    old = {k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"): v
           for k, v in state.items()}
    old["embeddings.position_ids"] = torch.arange(40)[None]  # a persistent buffer in old transformers versions
    (tmp_path / "old").mkdir()
    save_file(old, tmp_path / "old" / "model.safetensors", metadata={"format": "pt"})
    (tmp_path / "old" / "config.json").write_text((tmp_path / "new" / "config.json").read_text())
    theirs, ours, theirs_log, ours_log = load_both("BertModel", tmp_path / "old")
    assert theirs_log == ours_log == []
    assert torch.equal(ours.embeddings.LayerNorm.weight, state["embeddings.LayerNorm.weight"])
    batch = padded_batch("bert")
    assert max_abs_diff(ours(**batch).last_hidden_state, theirs(**batch).last_hidden_state) <= 1e-5


@pytest.mark.parametrize("arch", ["bert", "distilbert", "roberta"])
def test_tied_output_embeddings(tmp_path, arch):
    build_transformers_model(arch, "ForMaskedLM", "h32-l2").save_pretrained(tmp_path / "hf")
    model = getattr(leanformers, PREFIX[arch] + "ForMaskedLM").from_pretrained(tmp_path / "hf")
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight
    model.save_pretrained(tmp_path / "lean")
    # the tied copy is not written, exactly as transformers writes it
    assert load_file(tmp_path / "lean" / "model.safetensors").keys() == load_file(
        tmp_path / "hf" / "model.safetensors").keys()
    # an old checkpoint that does store the tied copy loads without "unused weight" complaints
    state = load_file(tmp_path / "hf" / "model.safetensors")
    decoder = {"bert": "cls.predictions.decoder.weight", "distilbert": "vocab_projector.weight",
               "roberta": "lm_head.decoder.weight"}[arch]
    state[decoder] = model.get_input_embeddings().weight.detach().clone()
    save_file(state, tmp_path / "hf" / "model.safetensors", metadata={"format": "pt"})
    with captured("leanformers.modeling") as log:
        getattr(leanformers, PREFIX[arch] + "ForMaskedLM").from_pretrained(tmp_path / "hf")
    assert log == []


def test_untied_embeddings_round_trip(tmp_path):
    untied = build_transformers_model("bert", "ForMaskedLM", "h32-l2", tie_word_embeddings=False)
    untied.save_pretrained(tmp_path / "hf")
    theirs, ours, theirs_log, ours_log = load_both("BertForMaskedLM", tmp_path / "hf")
    assert theirs_log == ours_log == []
    assert ours.get_output_embeddings().weight is not ours.get_input_embeddings().weight
    batch = padded_batch("bert")
    assert max_abs_diff(ours(**batch).logits, theirs(**batch).logits) <= 1e-5
    ours.save_pretrained(tmp_path / "lean")
    assert load_file(tmp_path / "lean" / "model.safetensors").keys() == load_file(
        tmp_path / "hf" / "model.safetensors").keys()


def test_ignore_mismatched_sizes_reinitialises_with_the_same_report(tmp_path):
    build_transformers_model("bert", "ForSequenceClassification", "h32-l2").save_pretrained(tmp_path)
    theirs, ours, theirs_log, ours_log = load_both("BertForSequenceClassification", tmp_path, num_labels=10,
                                                   ignore_mismatched_sizes=True)
    assert_same_report(theirs_log, ours_log)
    assert ours.classifier.weight.shape == theirs.classifier.weight.shape == (10, 32)
    assert ours.config.id2label == theirs.config.id2label


@pytest.mark.parametrize("kwargs,expected", [
    ({"dtype": torch.float16}, torch.float16),
    ({"dtype": "bfloat16"}, torch.bfloat16),
    ({"torch_dtype": torch.float64}, torch.float64),
    ({}, torch.float32),
])
def test_dtype_argument(tmp_path, kwargs, expected):
    build_transformers_model("bert", "Model", "h32-l2").save_pretrained(tmp_path)
    theirs, ours, _, _ = load_both("BertModel", tmp_path, **kwargs)
    assert ours.dtype == theirs.dtype == expected
    assert all(p.dtype == expected for p in ours.parameters())
    assert torch.equal(ours.pooler.dense.weight, theirs.pooler.dense.weight)


def test_dtype_auto_follows_the_checkpoint(tmp_path):
    build_transformers_model("bert", "Model", "h32-l2").to(torch.float16).save_pretrained(tmp_path / "fp16")
    for kwargs in ({}, {"dtype": "auto"}):
        theirs, ours, _, _ = load_both("BertModel", tmp_path / "fp16", **kwargs)
        assert ours.dtype == theirs.dtype == torch.float16
    ours.save_pretrained(tmp_path / "lean")
    assert '"dtype": "float16"' in (tmp_path / "lean" / "config.json").read_text()


def test_sharded_checkpoints_both_directions(tmp_path):
    build_transformers_model("bert", "ForMaskedLM", "h32-l2").save_pretrained(tmp_path / "hf", max_shard_size="20KB")
    assert (tmp_path / "hf" / "model.safetensors.index.json").exists()
    theirs, ours, _, ours_log = load_both("BertForMaskedLM", tmp_path / "hf")
    assert ours_log == []
    ours.save_pretrained(tmp_path / "lean", max_shard_size="20KB")
    names = sorted(os.listdir(tmp_path / "lean"))
    assert "model.safetensors.index.json" in names and "model.safetensors" not in names
    assert names[1].startswith("model-00001-of-") and names[1].endswith(".safetensors")
    reloaded, info = transformers.BertForMaskedLM.from_pretrained(tmp_path / "lean", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    batch = padded_batch("bert")
    assert max_abs_diff(reloaded(**batch).logits, theirs(**batch).logits) <= 1e-5
    # saving unsharded into the same folder removes the old shards and index
    ours.save_pretrained(tmp_path / "lean")
    assert sorted(os.listdir(tmp_path / "lean")) == ["config.json", "model.safetensors"]


def test_pytorch_model_bin_is_read_with_weights_only(tmp_path):
    model = build_transformers_model("distilbert", "ForSequenceClassification", "h32-l2")
    model.config.save_pretrained(tmp_path)
    torch.save(model.state_dict(), tmp_path / "pytorch_model.bin")
    theirs, ours, _, ours_log = load_both("DistilBertForSequenceClassification", tmp_path)
    assert ours_log == []
    batch = padded_batch("distilbert")
    assert max_abs_diff(ours(**batch).logits, theirs(**batch).logits) <= 1e-5


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_safetensors_weights_are_memory_mapped_not_copied(tmp_path):
    build_transformers_model("bert", "Model", "h48-l3").save_pretrained(tmp_path)
    model = leanformers.BertModel.from_pretrained(tmp_path)
    weights = str(tmp_path / "model.safetensors")
    regions = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            if line.rstrip().endswith(weights):
                start, end = (int(x, 16) for x in line.split()[0].split("-"))
                regions.append((start, end))
    assert regions, "model.safetensors is not mapped"
    for name, param in model.named_parameters():
        assert any(start <= param.data_ptr() < end for start, end in regions), name


def test_new_weights_are_initialised_like_transformers():
    """Fresh weights: normal(0, initializer_range) for Linear and Embedding weights (padding row zero), zero biases,
    LayerNorm weights one. Seeded, with the statistics compared only on tensors large enough to estimate them."""
    config = dict(vocab_size=400, hidden_size=64, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                  initializer_range=0.05)
    torch.manual_seed(0)
    ours = leanformers.BertForMaskedLM(leanformers.BertConfig(**config))
    torch.manual_seed(0)
    theirs = transformers.BertForMaskedLM(transformers.BertConfig(**config))
    for (name, p), (their_name, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == their_name
        if not q.any() or torch.equal(q, torch.ones_like(q)):
            assert torch.equal(p, q), name  # zeros and ones exactly
        elif q.numel() >= 4096:
            assert abs(p.mean().item()) < 0.005 and abs(p.std().item() - 0.05) < 0.005, name
            assert abs(q.mean().item()) < 0.005 and abs(q.std().item() - 0.05) < 0.005, name
    assert not ours.bert.embeddings.word_embeddings.weight[0].any()


def test_config_overrides_at_load(tmp_path):
    build_transformers_model("roberta", "ForSequenceClassification", "h32-l2").save_pretrained(tmp_path)
    kwargs = dict(id2label={0: "neg", 1: "pos"}, label2id={"neg": 0, "pos": 1},
                  problem_type="single_label_classification",
                  output_attentions=True, output_hidden_states=True)
    theirs, ours, _, _ = load_both("RobertaForSequenceClassification", tmp_path, **kwargs)
    for key in ("id2label", "label2id", "problem_type", "output_attentions", "output_hidden_states"):
        assert getattr(ours.config, key) == getattr(theirs.config, key), key
    out = ours(**padded_batch("roberta"))
    assert list(out.keys()) == ["logits", "hidden_states", "attentions"]


def test_a_failed_save_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    build_transformers_model("bert", "Model", "h32-l2").save_pretrained(tmp_path / "hf")
    model = leanformers.BertModel.from_pretrained(tmp_path / "hf")
    model.save_pretrained(tmp_path / "out")
    before = {name: (tmp_path / "out" / name).read_bytes() for name in os.listdir(tmp_path / "out")}
    config = leanformers.BertConfig.from_pretrained(tmp_path / "hf", hidden_act="relu")
    changed = leanformers.BertModel(config)

    import safetensors.torch

    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(safetensors.torch, "save_file", disk_full)
    with pytest.raises(OSError, match="No space left"):
        changed.save_pretrained(tmp_path / "out")
    after = {name: (tmp_path / "out" / name).read_bytes() for name in os.listdir(tmp_path / "out")}
    assert after == before  # same files, same bytes, no temporary files left behind


def test_sinusoidal_position_table_matches_transformers():
    kwargs = dict(vocab_size=50, dim=32, n_layers=1, n_heads=4, hidden_dim=37, max_position_embeddings=40,
                  sinusoidal_pos_embds=True)
    ours = leanformers.DistilBertModel(leanformers.DistilBertConfig(**kwargs))
    theirs = transformers.DistilBertModel(transformers.DistilBertConfig(**kwargs))
    assert max_abs_diff(ours.embeddings.position_embeddings.weight, theirs.embeddings.position_embeddings.weight) <= 1e-6


def test_config_argument_as_object_or_folder(tmp_path):
    build_transformers_model("bert", "ForTokenClassification", "h32-l2", num_labels=5).save_pretrained(tmp_path / "m")
    config = leanformers.BertConfig.from_pretrained(tmp_path / "m", num_labels=7)
    config.save_pretrained(tmp_path / "c")
    for given in (config, tmp_path / "c", str(tmp_path / "c")):
        model = leanformers.BertForTokenClassification.from_pretrained(tmp_path / "m", config=given,
                                                                       ignore_mismatched_sizes=True)
        assert model.classifier.out_features == 7
