"""BART: a bidirectional encoder and a causal decoder with cross-attention, both post-LayerNorm, with a
language-model head (summarization, text2text) and a sequence classifier pooled at the last </s>.

Parameter names match transformers' checkpoints; the encoder, decoder and LM head share one embedding.
"""

# read by leanformers/manifest.py from this source, without importing it
ARCHITECTURE = {
    "config": "BartConfig",
    "heads": {"model": "BartModel", "seq2seq-lm": "BartForConditionalGeneration",
              "masked-lm": "BartForConditionalGeneration",  # BART fills <mask> spans by generating them
              "sequence-classification": "BartForSequenceClassification"},
    "tokenizers": {"RobertaTokenizer": "leanformers.tokenization.roberta:RobertaTokenizer",
                   "BartTokenizer": "leanformers.tokenization.roberta:BartTokenizer"},
}


import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..configuration import PretrainedConfig
from ..conventions import check_heads, check_length, check_one_input
from ..generation import GenerationMixin
from ..modeling.base import PreTrainedModel
from ..modeling.cache import EncoderDecoderCache, causal_mask
from ..modeling.layers import activation, additive_mask, attend
from ..modeling.losses import sequence_classification_loss
from ..outputs import (BaseModelOutput, BaseModelOutputWithPastAndCrossAttentions, Seq2SeqLMOutput, Seq2SeqModelOutput,
                       Seq2SeqSequenceClassifierOutput)


@dataclass(init=False, repr=False)
class BartConfig(PretrainedConfig):
    model_type = "bart"
    attribute_map = {"num_attention_heads": "encoder_attention_heads", "hidden_size": "d_model",
                     "num_hidden_layers": "encoder_layers"}
    vocab_size: int = 50265
    max_position_embeddings: int = 1024
    encoder_layers: int = 12
    encoder_ffn_dim: int = 4096
    encoder_attention_heads: int = 16
    decoder_layers: int = 12
    decoder_ffn_dim: int = 4096
    decoder_attention_heads: int = 16
    encoder_layerdrop: float = 0.0
    decoder_layerdrop: float = 0.0
    activation_function: str = "gelu"
    d_model: int = 1024
    dropout: float = 0.1
    attention_dropout: float = 0.0
    activation_dropout: float = 0.0
    init_std: float = 0.02
    classifier_dropout: float = 0.0
    scale_embedding: bool = False
    use_cache: bool = True
    pad_token_id: int | None = 1
    bos_token_id: int | None = 0
    eos_token_id: int | list | None = 2
    is_encoder_decoder: bool = True
    decoder_start_token_id: int | None = 2
    forced_eos_token_id: int | list | None = 2
    is_decoder: bool = False
    tie_word_embeddings: bool = True

    def __init__(self, **kwargs):
        if kwargs.get("id2label") is None:
            kwargs.setdefault("num_labels", 3)  # BART's default head is 3-way (MNLI)
        super().__init__(**kwargs)


def shift_tokens_right(input_ids, pad_token_id, decoder_start_token_id):
    """Decoder inputs for teacher forcing: the start token, then the labels one step late; -100 becomes padding."""
    if pad_token_id is None:
        raise ValueError("config.pad_token_id must be set to turn labels into decoder_input_ids (-100 -> pad id).")
    if decoder_start_token_id is None:
        raise ValueError("config.decoder_start_token_id must be set to turn labels into decoder_input_ids.")
    shifted = input_ids.new_zeros(input_ids.shape)
    shifted[:, 1:] = input_ids[:, :-1]
    shifted[:, 0] = decoder_start_token_id
    return shifted.masked_fill(shifted == -100, pad_token_id)


class BartLearnedPositionalEmbedding(nn.Embedding):
    """Positions are looked up 2 rows in: fairseq reserved the first rows, and the checkpoints kept them."""

    offset = 2

    def __init__(self, num_positions, dim):
        super().__init__(num_positions + self.offset, dim)

    def forward(self, T, past=0):
        check_length(past + T, self.num_embeddings - self.offset)
        positions = torch.arange(past, past + T, device=self.weight.device)
        return super().forward(positions + self.offset)[None]  # (1, T, C)


class BartAttention(nn.Module):
    """Multi-head attention; self-attention when `kv` is None, else cross-attention over `kv`."""

    def __init__(self, dim, n_head, dropout, layer_idx):
        super().__init__()
        check_heads("d_model", dim, "the attention heads", n_head, "fix the config.")
        self.n_head, self.dropout, self.layer_idx = n_head, dropout, layer_idx
        self.k_proj = nn.Linear(dim, dim)
        self.v_proj = nn.Linear(dim, dim)
        self.q_proj = nn.Linear(dim, dim)
        self.out_proj = nn.Linear(dim, dim)

    def _heads(self, x):
        B, T, C = x.shape
        return x.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, H, T, D)

    def forward(self, x, mask, output_attentions, kv=None, cache=None):
        q = self._heads(self.q_proj(x))
        if kv is None:  # self-attention: this step's keys join the cached ones
            k, v = self._heads(self.k_proj(x)), self._heads(self.v_proj(x))
            if cache is not None:
                k, v = cache.self_attention_cache.update(k, v, self.layer_idx)
        elif cache is not None and cache.has_cross(self.layer_idx):  # the encoder states were projected already
            k, v = cache.cross_attention_cache[self.layer_idx]
        else:
            k, v = self._heads(self.k_proj(kv)), self._heads(self.v_proj(kv))
            if cache is not None:
                cache.cross_attention_cache.update(k, v, self.layer_idx)
        y, att = attend(q, k, v, mask, self.dropout if self.training else 0.0, output_attentions)
        return self.out_proj(y), att


class BartEncoderLayer(nn.Module):
    """Self-attention then an MLP, each followed by dropout, the residual sum and a LayerNorm (post-LN)."""

    def __init__(self, config, layer_idx, n_head, ffn_dim):
        super().__init__()
        d = config.d_model
        self.self_attn = BartAttention(d, n_head, config.attention_dropout, layer_idx)
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, ffn_dim)
        self.fc2 = nn.Linear(ffn_dim, d)
        self.final_layer_norm = nn.LayerNorm(d)
        self.act = activation(config.activation_function)
        self.dropout, self.activation_dropout = config.dropout, config.activation_dropout

    def residual(self, x, y, norm):
        return norm(x + F.dropout(y, self.dropout, self.training))

    def feed_forward(self, x):
        y = F.dropout(self.act(self.fc1(x)), self.activation_dropout, self.training)
        return self.residual(x, self.fc2(y), self.final_layer_norm)

    def forward(self, x, mask, output_attentions):
        y, att = self.self_attn(x, mask, output_attentions)
        return self.feed_forward(self.residual(x, y, self.self_attn_layer_norm)), att


class BartDecoderLayer(BartEncoderLayer):
    """An encoder layer with causal self-attention and a cross-attention block between it and the MLP."""

    def __init__(self, config, layer_idx, n_head, ffn_dim):
        super().__init__(config, layer_idx, n_head, ffn_dim)
        self.encoder_attn = BartAttention(config.d_model, n_head, config.attention_dropout, layer_idx)
        self.encoder_attn_layer_norm = nn.LayerNorm(config.d_model)

    def forward(self, x, mask, encoder_states, encoder_mask, cache, output_attentions):
        y, att = self.self_attn(x, mask, output_attentions, cache=cache)
        x = self.residual(x, y, self.self_attn_layer_norm)
        y, cross = self.encoder_attn(x, encoder_mask, output_attentions, kv=encoder_states, cache=cache)
        x = self.residual(x, y, self.encoder_attn_layer_norm)
        return self.feed_forward(x), att, cross


class BartStack(nn.Module):
    """What the encoder and decoder share: scaled token embeddings, learned positions, an embedding LayerNorm."""

    def __init__(self, config, embed_tokens, layers):
        super().__init__()
        self.config = config  # read at each forward: attn_implementation (see modeling/layers.py)
        self.embed_tokens = embed_tokens
        self.embed_positions = BartLearnedPositionalEmbedding(config.max_position_embeddings, config.d_model)
        self.layers = nn.ModuleList(layers)
        self.layernorm_embedding = nn.LayerNorm(config.d_model)
        self.embed_scale = math.sqrt(config.d_model) if config.scale_embedding else 1.0
        self.dropout = config.dropout

    def embed(self, input_ids, inputs_embeds, past=0):
        check_one_input(input_ids, inputs_embeds, also=" (decoder_input_ids or decoder_inputs_embeds for the decoder)")
        if inputs_embeds is None:
            inputs_embeds = self.embed_tokens(input_ids) * self.embed_scale  # (B, T, C)
        x = inputs_embeds + self.embed_positions(inputs_embeds.size(1), past)
        return F.dropout(self.layernorm_embedding(x), self.dropout, self.training)


class BartEncoder(BartStack):
    def __init__(self, config, embed_tokens):
        layers = (BartEncoderLayer(config, i, config.encoder_attention_heads, config.encoder_ffn_dim)
                  for i in range(config.encoder_layers))
        super().__init__(config, embed_tokens, layers)

    def forward(self, input_ids=None, attention_mask=None, inputs_embeds=None, output_attentions=False,
                output_hidden_states=False, return_dict=True):
        x = self.embed(input_ids, inputs_embeds)
        mask = additive_mask(attention_mask, x.dtype, self.config._attn_implementation)
        hidden_states, attentions = (x,), ()
        for layer in self.layers:
            x, att = layer(x, mask, output_attentions)
            hidden_states += (x,)
            attentions += (att,)
        out = BaseModelOutput(last_hidden_state=x, hidden_states=hidden_states if output_hidden_states else None,
                              attentions=attentions if output_attentions else None)
        return out if return_dict else out.to_tuple()


class BartDecoder(BartStack):
    def __init__(self, config, embed_tokens):
        layers = (BartDecoderLayer(config, i, config.decoder_attention_heads, config.decoder_ffn_dim)
                  for i in range(config.decoder_layers))
        super().__init__(config, embed_tokens, layers)

    def forward(self, input_ids=None, attention_mask=None, encoder_hidden_states=None, encoder_attention_mask=None,
                cache=None, inputs_embeds=None, use_cache=False, output_attentions=False, output_hidden_states=False):
        if use_cache and cache is None:
            cache = EncoderDecoderCache()
        past = cache.get_seq_length() if cache is not None else 0
        x = self.embed(input_ids, inputs_embeds, past)
        if attention_mask is not None and bool(attention_mask.all()):
            attention_mask = None
        implementation = self.config._attn_implementation
        mask = causal_mask(attention_mask, past, x.size(1), x.dtype, x.device, implementation)
        encoder_mask = additive_mask(encoder_attention_mask, x.dtype, implementation)
        hidden_states, attentions, cross_attentions = (x,), (), ()
        for layer in self.layers:
            x, att, cross = layer(x, mask, encoder_hidden_states, encoder_mask, cache if use_cache else None,
                                  output_attentions)
            hidden_states += (x,)
            attentions += (att,)
            cross_attentions += (cross,)
        return BaseModelOutputWithPastAndCrossAttentions(
            last_hidden_state=x,
            cache=cache if use_cache else None,
            hidden_states=hidden_states if output_hidden_states else None,
            attentions=attentions if output_attentions else None,
            cross_attentions=cross_attentions if output_attentions else None,
        )


class BartPreTrainedModel(PreTrainedModel):
    config_class = BartConfig
    base_model_prefix = "model"
    _keys_to_ignore_on_load_unexpected = (*PreTrainedModel._keys_to_ignore_on_load_unexpected,
                                          r"(encoder|decoder)\.version$")

    def __init__(self, config):
        if config.is_decoder or not config.is_encoder_decoder:
            raise NotImplementedError(f"{type(self).__name__} needs is_encoder_decoder=true and is_decoder=false in "
                                      "the config (the decoder-only BART variant is not supported).")
        super().__init__(config)

    def _active_tied_keys(self):
        # the encoder and decoder always read the shared table; the LM head only when the config ties it
        prefix = "model." if self.base_model is not self else ""
        tied = {f"{prefix}encoder.embed_tokens.weight": f"{prefix}shared.weight",
                f"{prefix}decoder.embed_tokens.weight": f"{prefix}shared.weight"}
        return {**tied, **super()._active_tied_keys()}

    def _unsaved_keys(self):
        # transformers writes the encoder's and decoder's copies of the shared table when the config unties the head
        return self._active_tied_keys() if self.config.tie_word_embeddings else {}

    @torch.no_grad()
    def _init_weights(self, module, name, tensor):
        if isinstance(module, (nn.Linear, nn.Embedding)) and name == "weight":
            tensor.normal_(mean=0.0, std=self.config.init_std)  # BART names its std init_std
            if isinstance(module, nn.Embedding) and module.padding_idx is not None:
                tensor[module.padding_idx].zero_()
        else:
            super()._init_weights(module, name, tensor)

    def get_input_embeddings(self):
        return self.base_model.shared

    def get_encoder(self):
        return self.base_model.encoder


class BartModel(BartPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.shared = nn.Embedding(config.vocab_size, config.d_model, padding_idx=config.pad_token_id)
        self.encoder = BartEncoder(config, nn.Embedding(config.vocab_size, config.d_model, config.pad_token_id))
        self.decoder = BartDecoder(config, nn.Embedding(config.vocab_size, config.d_model, config.pad_token_id))
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, decoder_input_ids=None, decoder_attention_mask=None,
                encoder_outputs=None, cache=None, inputs_embeds=None, decoder_inputs_embeds=None, use_cache=None,
                output_attentions=None, output_hidden_states=None, return_dict=None, past_key_values=None):
        output_attentions, output_hidden_states, return_dict = self.config.forward_flags(
            output_attentions, output_hidden_states, return_dict)
        use_cache = self.config.use_cache if use_cache is None else use_cache
        cache = cache if cache is not None else past_key_values
        if decoder_input_ids is None and decoder_inputs_embeds is None:
            if input_ids is None:
                raise ValueError("Pass decoder_input_ids (or decoder_inputs_embeds), or input_ids to derive them from "
                                 "by shifting right (BART's denoising setup).")
            decoder_input_ids = shift_tokens_right(input_ids, self.config.pad_token_id,
                                                   self.config.decoder_start_token_id)
        if encoder_outputs is None:
            encoder_outputs = self.encoder(input_ids, attention_mask, inputs_embeds, output_attentions,
                                           output_hidden_states)
        elif not isinstance(encoder_outputs, BaseModelOutput):  # a tuple (last_hidden_state, hidden_states, attentions)
            encoder_outputs = BaseModelOutput(*encoder_outputs[:3])
        decoder = self.decoder(decoder_input_ids, decoder_attention_mask, encoder_outputs.last_hidden_state,
                               attention_mask, cache, decoder_inputs_embeds, use_cache, output_attentions,
                               output_hidden_states)
        out = Seq2SeqModelOutput(
            last_hidden_state=decoder.last_hidden_state,
            cache=decoder.cache,
            decoder_hidden_states=decoder.hidden_states,
            decoder_attentions=decoder.attentions,
            cross_attentions=decoder.cross_attentions,
            encoder_last_hidden_state=encoder_outputs.last_hidden_state,
            encoder_hidden_states=encoder_outputs.hidden_states,
            encoder_attentions=encoder_outputs.attentions,
        )
        return out if return_dict else out.to_tuple()


def _seq2seq_fields(out):
    """The fields of a Seq2SeqModelOutput that a head's output carries over."""
    return {name: getattr(out, name) for name in Seq2SeqModelOutput.__dataclass_fields__ if name != "last_hidden_state"}


class BartForConditionalGeneration(GenerationMixin, BartPreTrainedModel):
    _tied_weights_keys = {"lm_head.weight": "model.shared.weight"}
    _vocab_sized_tensors = ("final_logits_bias",)

    def __init__(self, config):
        super().__init__(config)
        self.model = BartModel(config)
        # a fixed bias over the vocabulary: part of the checkpoint, never trained (a parameter so it loads)
        self.final_logits_bias = nn.Parameter(torch.zeros(1, config.vocab_size), requires_grad=False)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, decoder_input_ids=None, decoder_attention_mask=None,
                encoder_outputs=None, cache=None, inputs_embeds=None, decoder_inputs_embeds=None, labels=None,
                use_cache=None, output_attentions=None, output_hidden_states=None, return_dict=None,
                logits_to_keep=0, past_key_values=None):
        return_dict = self.config.return_dict if return_dict is None else return_dict
        if labels is not None:
            use_cache = False  # training: no cache, as transformers
            if decoder_input_ids is None and decoder_inputs_embeds is None:
                decoder_input_ids = shift_tokens_right(labels, self.config.pad_token_id,
                                                       self.config.decoder_start_token_id)
        out = self.model(input_ids, attention_mask, decoder_input_ids, decoder_attention_mask, encoder_outputs,
                         cache, inputs_embeds, decoder_inputs_embeds, use_cache, output_attentions,
                         output_hidden_states, True, past_key_values)
        x = out.last_hidden_state
        if logits_to_keep:
            x = x[:, -logits_to_keep:]
        logits = self.lm_head(x) + self.final_logits_bias  # (B, T, vocab_size)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.view(-1, self.config.vocab_size), labels.view(-1))
        result = Seq2SeqLMOutput(loss=loss, logits=logits, **_seq2seq_fields(out))
        return result if return_dict else result.to_tuple()

    def prepare_decoder_input_ids_from_labels(self, labels):
        return shift_tokens_right(labels, self.config.pad_token_id, self.config.decoder_start_token_id)


class BartClassificationHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.d_model, config.d_model)
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.out_proj = nn.Linear(config.d_model, config.num_labels)

    def forward(self, x):
        return self.out_proj(self.dropout(torch.tanh(self.dense(self.dropout(x)))))


class BartForSequenceClassification(BartPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.model = BartModel(config)
        self.classification_head = BartClassificationHead(config)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, decoder_input_ids=None, decoder_attention_mask=None,
                encoder_outputs=None, inputs_embeds=None, decoder_inputs_embeds=None, labels=None, use_cache=None,
                output_attentions=None, output_hidden_states=None, return_dict=None):
        return_dict = self.config.return_dict if return_dict is None else return_dict
        if input_ids is None:
            raise NotImplementedError("BartForSequenceClassification pools at the </s> tokens of input_ids; "
                                      "inputs_embeds alone are not supported.")
        if labels is not None:
            use_cache = False
        out = self.model(input_ids, attention_mask, decoder_input_ids, decoder_attention_mask, encoder_outputs,
                         None, inputs_embeds, decoder_inputs_embeds, use_cache, output_attentions,
                         output_hidden_states, True)
        x = out.last_hidden_state  # (B, T, C)
        eos = input_ids.eq(self.config.eos_token_id)
        counts = eos.sum(1)
        if bool((counts == 0).any()) or bool((counts != counts[0]).any()):
            raise ValueError(f"Every row of input_ids must contain the same number (>= 1) of eos tokens "
                             f"(id {self.config.eos_token_id}); got counts {counts.tolist()}. Tokenize with the "
                             "BART tokenizer, which ends each text with </s>.")
        pooled = x[eos].view(x.size(0), -1, x.size(-1))[:, -1]  # the last </s> of each row
        logits = self.classification_head(pooled)
        loss = sequence_classification_loss(self.config, logits, labels) if labels is not None else None
        result = Seq2SeqSequenceClassifierOutput(loss=loss, logits=logits, **_seq2seq_fields(out))
        return result if return_dict else result.to_tuple()
