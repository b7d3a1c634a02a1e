"""The pipelines ask the model, not a list of architecture names, what it takes: the inputs its forward accepts,
the longest input its positions admit (RoBERTa's start after the padding index) and which layers stay float
when quantized. A module that wraps a model, and so is no PreTrainedModel, is answered as well."""

import pytest
import torch

import leanformers
from leanformers.modeling.base import forward_input_names, unquantized_modules
from leanformers.pipelines.base import ModelPipeline
from leanformers.pipelines.text_classification import _model_max_length
from support.generative_models import MAX_POS, PAD, VOCAB, bpe_checkpoint

transformers = pytest.importorskip("transformers")


class IdsOnly(torch.nn.Module):
    """A wrapper around a model whose forward takes the ids and the mask only."""

    def __init__(self, model):
        super().__init__()
        self.inner, self.config = model, model.config

    def forward(self, input_ids, attention_mask):
        return self.inner(input_ids=input_ids, attention_mask=attention_mask)


@pytest.fixture(scope="module")
def roberta_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("roberta-qa")
    config = transformers.RobertaConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                        intermediate_size=37, max_position_embeddings=MAX_POS, pad_token_id=PAD)
    bpe_checkpoint(folder, "RobertaForQuestionAnswering", config, "RobertaTokenizerFast")
    return folder


def test_roberta_question_answering_passes_only_what_changes_nothing(roberta_folder):
    """RoBERTa's forward takes token_type_ids (all zeros from its tokenizer, one segment embedding): passing
    them gives the answers that leaving them out, as transformers 4's pipeline did, gives."""
    pipe = leanformers.pipeline("question-answering", model=str(roberta_folder))
    assert "token_type_ids" in pipe._input_names
    call = dict(question="where is the capital of france?", context=" ".join(
        ["Paris is the capital of France and Berlin is the capital of Germany."] * 3), top_k=3, max_seq_len=40,
        doc_stride=10)  # windows within the tiny model's 62 positions
    answers = pipe(**call)
    pipe._input_names = pipe._input_names - {"token_type_ids"}
    assert pipe(**call) == answers


def test_position_offset_comes_from_the_config(roberta_folder):
    config = leanformers.AutoConfig.from_pretrained(roberta_folder)
    assert _model_max_length(config, None) == MAX_POS - (PAD + 1)


def test_a_wrapper_is_asked_like_a_model(roberta_folder):
    model = leanformers.AutoModelForQuestionAnswering.from_pretrained(roberta_folder)
    wrapper = IdsOnly(model)
    assert forward_input_names(wrapper) == {"input_ids", "attention_mask"}
    assert forward_input_names(model) == model.forward_input_names
    assert unquantized_modules(model) == model.unquantized_modules() and unquantized_modules(wrapper) == [wrapper]
    pipe = ModelPipeline(wrapper, None, "question-answering", device="cpu")
    batch = pipe._to_device({"input_ids": torch.ones(1, 3, dtype=torch.long), "token_type_ids": torch.zeros(1, 3)})
    assert list(batch) == ["input_ids"]
