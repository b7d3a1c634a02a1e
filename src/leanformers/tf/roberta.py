"""TensorFlow twin of models/roberta.py: TF BERT with RoBERTa's positions (counting real tokens from
padding_idx + 1) and its classification head (classifier/dense, classifier/out_proj)."""

from ..models.roberta import RobertaConfig
from .backend import keras, tf
from .bert import (TFBertEmbeddings, TFBertForTokenClassification, TFBertMainLayer, TFBertPreTrainedModel,
                   _dropout_rate)
from .heads import TFSequenceClassificationLoss
from .layers import Block, check_length, dense


class TFRobertaEmbeddings(TFBertEmbeddings):
    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.padding_idx = config.pad_token_id

    def make_position_ids(self, input_ids, B, T):
        check_length(T, self.max_positions - self.padding_idx - 1)
        if input_ids is None:  # embeddings given directly: padding cannot be seen, count every token
            return tf.range(self.padding_idx + 1, T + self.padding_idx + 1)[None, :]
        is_token = tf.cast(input_ids != self.padding_idx, input_ids.dtype)  # (B, T)
        return tf.cumsum(is_token, axis=1) * is_token + self.padding_idx


class TFRobertaMainLayer(TFBertMainLayer):
    embeddings_class = TFRobertaEmbeddings


class TFRobertaPreTrainedModel(TFBertPreTrainedModel):
    config_class = RobertaConfig
    base_model_prefix = "roberta"
    main_layer_class = TFRobertaMainLayer


class TFRobertaModel(TFRobertaPreTrainedModel):
    pass


class TFRobertaForTokenClassification(TFRobertaPreTrainedModel, TFBertForTokenClassification):
    pass


class TFRobertaClassificationHead(Block):
    """Sentence classification from the <s> token: dropout, dense + tanh, dropout, projection."""

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.dense = dense(config.hidden_size, config, "dense")
        self.dropout = keras.layers.Dropout(_dropout_rate(config))
        self.out_proj = dense(config.num_labels, config, "out_proj")

    def call(self, x, training=False):
        x = self.dropout(x[:, 0], training=training)  # (B, C)
        x = self.dropout(tf.tanh(self.dense(x)), training=training)
        return self.out_proj(x)


class TFRobertaForSequenceClassification(TFSequenceClassificationLoss, TFRobertaPreTrainedModel):
    has_head = True
    add_pooling_layer = False

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.classifier = TFRobertaClassificationHead(config, name="classifier")

    def head(self, base, labels, training):
        logits = self.classifier(base.last_hidden_state, training=training)  # (B, num_labels)
        return self.sequence_classifier_output(base, labels, logits)
