"""TensorFlow twin of models/bert.py: the same layers, named as transformers 4.x's TF BERT named them.

Keras layer names give the weight names ("bert/encoder/layer_._0/attention/self/query/kernel"),
which map one to one onto models/bert.py's parameters. Keras reserves the attribute `output`,
so the sub-layers torch calls `output` live under other attributes with name="output".
RoBERTa (roberta.py here) reuses everything here except the positions and its heads.
"""

from ..conventions import check_heads
from ..models.bert import BertConfig
from ..outputs import TFBaseModelOutputWithPoolingAndCrossAttentions
from .backend import keras, tf
from .heads import TFSequenceClassificationLoss, TFTokenClassificationHead
from .layers import Block, Embedding, activation, additive_mask, attend, check_length, dense, layer_norm, split_heads
from .modeling import TFPreTrainedModel


class TFBertEmbeddings(Block):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        C = config.hidden_size
        self.word_embeddings = Embedding(config.vocab_size, C, config, "weight", name="word_embeddings")
        self.token_type_embeddings = Embedding(config.type_vocab_size, C, config, name="token_type_embeddings")
        self.position_embeddings = Embedding(config.max_position_embeddings, C, config, name="position_embeddings")
        self.LayerNorm = layer_norm(config.layer_norm_eps, "LayerNorm")
        self.dropout = keras.layers.Dropout(config.hidden_dropout_prob)
        self.max_positions = config.max_position_embeddings

    def make_position_ids(self, input_ids, B, T):
        check_length(T, self.max_positions)
        return tf.range(T)[None, :]  # (1, T)

    def call(self, inputs, training=False):
        x = inputs.get("inputs_embeds")
        if x is None:
            x = self.word_embeddings(inputs["input_ids"])  # (B, T, C)
        B, T = tf.shape(x)[0], x.shape[1] or tf.shape(x)[1]  # the static length when known (checked against limits)
        position_ids = inputs.get("position_ids")
        if position_ids is None:
            position_ids = self.make_position_ids(inputs.get("input_ids"), B, T)
        token_type_ids = inputs.get("token_type_ids")
        if token_type_ids is None:
            token_type_ids = tf.zeros((B, T), dtype=tf.int32)
        x = x + self.token_type_embeddings(token_type_ids) + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(x), training=training)


class TFBertSelfAttention(Block):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        check_heads("hidden_size", config.hidden_size, "num_attention_heads", config.num_attention_heads)
        self.n_head = config.num_attention_heads
        self.query = dense(config.hidden_size, config, "query")
        self.key = dense(config.hidden_size, config, "key")
        self.value = dense(config.hidden_size, config, "value")
        self.dropout = keras.layers.Dropout(config.attention_probs_dropout_prob)

    def call(self, x, attn_mask=None, training=False):
        q, k, v = (split_heads(proj(x), self.n_head) for proj in (self.query, self.key, self.value))  # (B, H, T, D)
        return attend(q, k, v, attn_mask, self.dropout, training)


class TFBertSelfOutput(Block):
    """Projection, dropout, then LayerNorm over the residual sum (post-LN)."""

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.dense = dense(config.hidden_size, config, "dense")
        self.LayerNorm = layer_norm(config.layer_norm_eps, "LayerNorm")
        self.dropout = keras.layers.Dropout(config.hidden_dropout_prob)

    def call(self, x, residual, training=False):
        return self.LayerNorm(self.dropout(self.dense(x), training=training) + residual)


class TFBertAttention(Block):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.self_attention = TFBertSelfAttention(config, name="self")
        self.dense_output = TFBertSelfOutput(config, name="output")

    def call(self, x, attn_mask=None, training=False):
        y, att = self.self_attention(x, attn_mask=attn_mask, training=training)
        return self.dense_output(y, x, training=training), att


class TFBertIntermediate(Block):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.dense = dense(config.intermediate_size, config, "dense")
        self.act = activation(config.hidden_act)

    def call(self, x):
        return self.act(self.dense(x))


class TFBertLayer(Block):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.attention = TFBertAttention(config, name="attention")
        self.intermediate = TFBertIntermediate(config, name="intermediate")
        self.bert_output = TFBertSelfOutput(config, name="output")  # the feed-forward output: the same block

    def call(self, x, attn_mask=None, training=False):
        x, att = self.attention(x, attn_mask=attn_mask, training=training)
        return self.bert_output(self.intermediate(x), x, training=training), att


class TFBertEncoder(Block):
    layer_class = TFBertLayer  # DistilBERT's stack swaps its block in

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.layer = [self.layer_class(config, name=f"layer_._{i}") for i in range(config.num_hidden_layers)]

    def call(self, x, attn_mask=None, output_attentions=False, output_hidden_states=False, training=False):
        hidden_states, attentions = (x,), ()
        for layer in self.layer:
            x, att = layer(x, attn_mask=attn_mask, training=training)
            hidden_states += (x,)
            attentions += (att,)
        return x, hidden_states if output_hidden_states else None, attentions if output_attentions else None


class TFBertPooler(Block):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.dense = dense(config.hidden_size, config, "dense")

    def call(self, x):
        return tf.tanh(self.dense(x[:, 0]))  # the [CLS] token stands for the sequence


class TFBertMainLayer(Block):
    embeddings_class = TFBertEmbeddings

    def __init__(self, config, add_pooling_layer=True, **kwargs):
        super().__init__(**kwargs)
        if getattr(config, "is_decoder", False) or getattr(config, "add_cross_attention", False):
            raise NotImplementedError("is_decoder / add_cross_attention are not supported; set both to false in the "
                                      "config (encoder use).")
        self.embeddings = self.embeddings_class(config, name="embeddings")
        self.encoder = TFBertEncoder(config, name="encoder")
        self.pooler = TFBertPooler(config, name="pooler") if add_pooling_layer else None

    def call(self, inputs, output_attentions=False, output_hidden_states=False, training=False):
        x = self.embeddings(inputs, training=training)  # (B, T, C)
        mask = additive_mask(inputs.get("attention_mask"), x.dtype)
        x, hidden_states, attentions = self.encoder(x, attn_mask=mask, output_attentions=output_attentions,
                                                    output_hidden_states=output_hidden_states, training=training)
        return TFBaseModelOutputWithPoolingAndCrossAttentions(
            last_hidden_state=x, pooler_output=self.pooler(x) if self.pooler is not None else None,
            hidden_states=hidden_states, attentions=attentions)


class TFBertPreTrainedModel(TFPreTrainedModel):
    config_class = BertConfig
    base_model_prefix = "bert"
    main_layer_class = TFBertMainLayer
    add_pooling_layer = True

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        setattr(self, self.base_model_prefix, self.main_layer_class(
            config, add_pooling_layer=self.add_pooling_layer, name=self.base_model_prefix))


class TFBertModel(TFBertPreTrainedModel):
    pass


def _dropout_rate(config):
    return config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob


class TFBertForSequenceClassification(TFSequenceClassificationLoss, TFBertPreTrainedModel):
    has_head = True

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.dropout = keras.layers.Dropout(_dropout_rate(config), name="dropout")
        self.classifier = dense(config.num_labels, config, "classifier")

    def head(self, base, labels, training):
        logits = self.classifier(self.dropout(base.pooler_output, training=training))  # (B, num_labels)
        return self.sequence_classifier_output(base, labels, logits)


class TFBertForTokenClassification(TFTokenClassificationHead, TFBertPreTrainedModel):
    add_pooling_layer = False

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.dropout = keras.layers.Dropout(_dropout_rate(config), name="dropout")
        self.classifier = dense(config.num_labels, config, "classifier")
