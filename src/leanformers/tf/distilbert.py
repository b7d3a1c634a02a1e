"""TensorFlow twin of models/distilbert.py, with transformers 4.x's TF DistilBERT layer names
("distilbert/transformer/layer_._0/attention/q_lin/kernel", "pre_classifier/kernel", ...).
The stack of blocks is BERT's encoder loop (bert.TFBertEncoder here) with DistilBERT's block."""

from ..conventions import check_heads
from ..models.distilbert import DistilBertConfig
from ..outputs import TFBaseModelOutput
from .backend import keras, tf
from .bert import TFBertEncoder
from .heads import TFSequenceClassificationLoss, TFTokenClassificationHead
from .layers import Block, Embedding, activation, additive_mask, attend, check_length, dense, layer_norm, split_heads
from .modeling import TFPreTrainedModel


class TFEmbeddings(Block):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.word_embeddings = Embedding(config.vocab_size, config.dim, config, "weight", name="word_embeddings")
        self.position_embeddings = Embedding(config.max_position_embeddings, config.dim, config,
                                             name="position_embeddings")
        self.LayerNorm = layer_norm(1e-12, "LayerNorm")
        self.dropout = keras.layers.Dropout(config.dropout)

    def call(self, inputs, training=False):
        x = inputs.get("inputs_embeds")
        if x is None:
            x = self.word_embeddings(inputs["input_ids"])  # (B, T, C)
        position_ids = inputs.get("position_ids")
        if position_ids is None:
            T = x.shape[1] or tf.shape(x)[1]  # the static length when known (checked against the limit)
            check_length(T, self.position_embeddings.table.shape[0])
            position_ids = tf.range(T)[None, :]  # (1, T)
        return self.dropout(self.LayerNorm(x + self.position_embeddings(position_ids)), training=training)


class TFMultiHeadSelfAttention(Block):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        check_heads("dim", config.dim, "n_heads", config.n_heads, fix="fix the config.")
        self.n_heads = config.n_heads
        self.q_lin = dense(config.dim, config, "q_lin")
        self.k_lin = dense(config.dim, config, "k_lin")
        self.v_lin = dense(config.dim, config, "v_lin")
        self.out_lin = dense(config.dim, config, "out_lin")
        self.dropout = keras.layers.Dropout(config.attention_dropout)

    def call(self, x, attn_mask=None, training=False):
        q, k, v = (split_heads(proj(x), self.n_heads) for proj in (self.q_lin, self.k_lin, self.v_lin))  # (B, H, T, D)
        y, att = attend(q, k, v, attn_mask, self.dropout, training)
        return self.out_lin(y), att


class TFFFN(Block):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.lin1 = dense(config.hidden_dim, config, "lin1")
        self.lin2 = dense(config.dim, config, "lin2")
        self.act = activation(config.activation)
        self.dropout = keras.layers.Dropout(config.dropout)

    def call(self, x, training=False):
        return self.dropout(self.lin2(self.act(self.lin1(x))), training=training)


class TFTransformerBlock(Block):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.attention = TFMultiHeadSelfAttention(config, name="attention")
        self.sa_layer_norm = layer_norm(1e-12, "sa_layer_norm")
        self.ffn = TFFFN(config, name="ffn")
        self.output_layer_norm = layer_norm(1e-12, "output_layer_norm")

    def call(self, x, attn_mask=None, training=False):
        y, att = self.attention(x, attn_mask=attn_mask, training=training)
        x = self.sa_layer_norm(y + x)
        return self.output_layer_norm(self.ffn(x, training=training) + x), att


class TFTransformer(TFBertEncoder):
    layer_class = TFTransformerBlock


class TFDistilBertMainLayer(Block):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.embeddings = TFEmbeddings(config, name="embeddings")
        self.transformer = TFTransformer(config, name="transformer")

    def call(self, inputs, output_attentions=False, output_hidden_states=False, training=False):
        x = self.embeddings(inputs, training=training)  # (B, T, C)
        x, hidden_states, attentions = self.transformer(
            x, attn_mask=additive_mask(inputs.get("attention_mask"), x.dtype), output_attentions=output_attentions,
            output_hidden_states=output_hidden_states, training=training)
        return TFBaseModelOutput(last_hidden_state=x, hidden_states=hidden_states, attentions=attentions)


class TFDistilBertPreTrainedModel(TFPreTrainedModel):
    config_class = DistilBertConfig
    base_model_prefix = "distilbert"
    # token_type_ids are taken and ignored, as by the PyTorch twins (DistilBERT has no segment embeddings): a
    # batch from a BERT tokenizer, or one with return_token_type_ids=True, runs as it is

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.distilbert = TFDistilBertMainLayer(config, name="distilbert")


class TFDistilBertModel(TFDistilBertPreTrainedModel):
    pass


class TFDistilBertForSequenceClassification(TFSequenceClassificationLoss, TFDistilBertPreTrainedModel):
    has_head = True

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.pre_classifier = dense(config.dim, config, "pre_classifier")
        self.classifier = dense(config.num_labels, config, "classifier")
        self.dropout = keras.layers.Dropout(config.seq_classif_dropout, name="dropout")

    def head(self, base, labels, training):
        pooled = tf.nn.relu(self.pre_classifier(base.last_hidden_state[:, 0]))  # (B, C) from the [CLS] token
        logits = self.classifier(self.dropout(pooled, training=training))  # (B, num_labels)
        return self.sequence_classifier_output(base, labels, logits)


class TFDistilBertForTokenClassification(TFTokenClassificationHead, TFDistilBertPreTrainedModel):
    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.dropout = keras.layers.Dropout(config.dropout, name="dropout")
        self.classifier = dense(config.num_labels, config, "classifier")
