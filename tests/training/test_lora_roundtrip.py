"""leanformers.lora on its own: what add_lora trains, save/load and merge round trips, and its errors."""

import json

import pytest
import torch
from safetensors import safe_open

from leanformers.lora import LoraLinear, add_lora, load_lora, lora_state_dict, merge_lora, save_lora
from leanformers.models.bert import BertConfig, BertForSequenceClassification
from support.sst2_checkpoint import one_torch_thread  # noqa: F401 (autouse fixture)
from support.tiny_models import randomise_trainable

TARGETS = ["query", "key", "value", "dense"]



def base_model(seed=0, hidden=32):
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=99, hidden_size=hidden, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=37, max_position_embeddings=40, num_labels=3)
    return BertForSequenceClassification(config).eval()


def batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(1, 99, (3, 9), generator=g)
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, 6:] = 0
    attention_mask[2, 3:] = 0
    return {"input_ids": input_ids, "attention_mask": attention_mask}


def trained_adapter(seed=0, **kwargs):
    """A LoRA model whose adapter and head are random (as after training), so a lost tensor would show."""
    return randomise_trainable(add_lora(base_model(), r=4, alpha=8, target_modules=TARGETS, **kwargs), seed + 1)


def logits(model):
    with torch.no_grad():
        return model(**batch()).logits


def test_only_the_adapter_and_the_head_train():
    model = add_lora(base_model(), r=4, alpha=8, target_modules=TARGETS)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {n for n in trainable if ".lora_A." in n or ".lora_B." in n or n.startswith("classifier.")}
    wrapped = [n for n, m in model.named_modules() if isinstance(m, LoraLinear)]
    # 4 attention + 2 feed-forward Linears per layer, and the pooler's dense
    assert len(wrapped) == 2 * 6 + 1
    assert {"classifier.weight", "classifier.bias"} <= trainable
    # B starts at zero: the adapted model computes what the base model computes
    torch.testing.assert_close(logits(model), logits(base_model()), rtol=0, atol=0)


def test_save_load_round_trip_with_peft_key_names(tmp_path):
    model = trained_adapter()
    save_lora(model, tmp_path)
    config = json.loads((tmp_path / "adapter_config.json").read_text())
    assert (config["peft_type"], config["task_type"], config["r"], config["lora_alpha"]) == ("LORA", "SEQ_CLS", 4, 8)
    with safe_open(tmp_path / "adapter_model.safetensors", "pt") as f:
        keys = set(f.keys())
    assert "base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight" in keys
    assert "base_model.model.bert.pooler.dense.lora_B.weight" in keys
    assert "base_model.model.classifier.weight" in keys and "base_model.model.classifier.bias" in keys
    assert keys == set(lora_state_dict(model))
    loaded = load_lora(base_model(), tmp_path)
    torch.testing.assert_close(logits(loaded), logits(model), rtol=0, atol=0)
    assert not any(p.requires_grad for p in loaded.parameters())  # loaded for inference unless is_trainable


def test_merge_gives_the_same_logits_and_a_plain_model(tmp_path):
    model = trained_adapter()
    expected = logits(model)
    merged = merge_lora(model)
    assert not any(isinstance(m, LoraLinear) for m in merged.modules())
    assert set(merged.state_dict()) == set(base_model().state_dict())
    torch.testing.assert_close(logits(merged), expected, rtol=0, atol=1e-5)
    merged.save_pretrained(tmp_path)  # a merged model is an ordinary checkpoint
    torch.testing.assert_close(logits(BertForSequenceClassification.from_pretrained(tmp_path)), expected,
                               rtol=0, atol=1e-5)


def test_float16_file_is_half_the_size_and_close(tmp_path):
    model = trained_adapter()
    save_lora(model, tmp_path / "32")
    save_lora(model, tmp_path / "16", dtype=torch.float16)
    size = lambda d: (tmp_path / d / "adapter_model.safetensors").stat().st_size  # noqa: E731
    assert size("16") < 0.65 * size("32")  # tensors halve; the JSON header stays
    torch.testing.assert_close(logits(load_lora(base_model(), tmp_path / "16")), logits(model), rtol=0, atol=2e-3)


def test_rslora_scaling_round_trips(tmp_path):
    model = trained_adapter(use_rslora=True)
    assert model.bert.pooler.dense.scaling == 8 / 2  # alpha / sqrt(r)
    save_lora(model, tmp_path)
    torch.testing.assert_close(logits(load_lora(base_model(), tmp_path)), logits(model), rtol=0, atol=0)


def test_errors():
    with pytest.raises(ValueError, match=r"matches no module of BertForSequenceClassification; its Linear layers "
                                         r"are named \['classifier', 'dense', 'key', 'query', 'value'\]"):
        add_lora(base_model(), target_modules=["q_proj"])
    with pytest.raises(ValueError, match=r"not Linear layers: bert.embeddings.word_embeddings \(Embedding\)"):
        add_lora(base_model(), target_modules=["word_embeddings"])
    with pytest.raises(ValueError, match="rank r=0 must be a positive integer"):
        add_lora(base_model(), r=0)
    model = add_lora(base_model())
    with pytest.raises(ValueError, match="already has LoRA layers"):
        add_lora(model)
    with pytest.raises(ValueError, match="has no LoRA layers; call add_lora"):
        merge_lora(base_model())
    with pytest.raises(ValueError, match="has no LoRA layers"):
        save_lora(base_model(), "unused")


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="adapter_config.json not found"):
        load_lora(base_model(), tmp_path)
    save_lora(trained_adapter(), tmp_path)
    with pytest.raises(ValueError, match=r"query.lora_A.weight has shape \(4, 32\), the model expects \(4, 48\)"):
        load_lora(base_model(hidden=48), tmp_path)
    config = json.loads((tmp_path / "adapter_config.json").read_text())
    (tmp_path / "adapter_config.json").write_text(json.dumps({**config, "use_dora": True}))
    with pytest.raises(ValueError, match="uses use_dora=True, which leanformers' LoRA does not support"):
        load_lora(base_model(), tmp_path)
    (tmp_path / "adapter_config.json").write_text(json.dumps({**config, "target_modules": ["query"]}))
    with pytest.raises(ValueError, match="unexpected .*key.lora_A.weight"):
        load_lora(base_model(), tmp_path)
