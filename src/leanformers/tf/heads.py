"""What the TF task heads share: their losses, in the shapes transformers 4.x's TF models return, and the
token-classification head, which is the same layers on every architecture."""

from ..outputs import TFSequenceClassifierOutput, TFTokenClassifierOutput
from .backend import tf


def sequence_classification_loss(config, labels, logits):
    """One loss per sequence, (B,): mean squared error for num_labels=1, cross-entropy otherwise (binary
    cross-entropy averaged over labels for problem_type="multi_label_classification")."""
    if logits.shape[-1] == 1:
        return tf.square(tf.reshape(logits, (-1,)) - tf.reshape(tf.cast(labels, logits.dtype), (-1,)))
    if config.problem_type == "multi_label_classification" or labels.dtype.is_floating:
        return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.cast(labels, logits.dtype), logits), -1)
    return tf.nn.sparse_softmax_cross_entropy_with_logits(tf.cast(labels, tf.int32), logits)


def token_classification_loss(labels, logits):
    """Mean cross-entropy over the tokens whose label is not -100, shape (1,)."""
    labels = tf.cast(tf.reshape(labels, (-1,)), tf.int32)
    logits = tf.reshape(logits, (-1, logits.shape[-1]))
    keep = tf.cast(labels != -100, logits.dtype)
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(tf.maximum(labels, 0), logits)
    return tf.reshape(tf.reduce_sum(losses * keep) / tf.reduce_sum(keep), (1,))


class TFSequenceClassificationLoss:
    """The loss of a sequence classifier; each architecture's head computes the logits its own way."""

    def hf_compute_loss(self, labels, logits):
        return sequence_classification_loss(self.config, labels, logits)

    def sequence_classifier_output(self, base, labels, logits):
        """The head's output: the logits (B, num_labels), their loss when labels are given, and the base model's
        hidden states and attentions."""
        return TFSequenceClassifierOutput(loss=None if labels is None else self.hf_compute_loss(labels, logits),
                                          logits=logits, hidden_states=base.hidden_states, attentions=base.attentions)


class TFTokenClassificationHead:
    """Dropout, then one linear classifier per token; the model's __init__ creates self.dropout and self.classifier."""

    has_head = True

    def hf_compute_loss(self, labels, logits):
        return token_classification_loss(labels, logits)

    def head(self, base, labels, training):
        logits = self.classifier(self.dropout(base.last_hidden_state, training=training))  # (B, T, num_labels)
        return TFTokenClassifierOutput(loss=None if labels is None else self.hf_compute_loss(labels, logits),
                                       logits=logits, hidden_states=base.hidden_states, attentions=base.attentions)
