"""Pieces every TF architecture shares, as modeling/layers.py is for torch: initialised Dense and LayerNorm layers,
embeddings, activations, attention masks and attention."""

from .. import conventions
from .backend import keras, tf


def initializer(config):
    return keras.initializers.TruncatedNormal(stddev=config.initializer_range)


def dense(units, config, name):
    return keras.layers.Dense(units, kernel_initializer=initializer(config), name=name)


def layer_norm(eps, name):
    return keras.layers.LayerNormalization(epsilon=eps, name=name)


class Block(keras.layers.Layer):
    """A layer made of named sub-layers. Each sub-layer builds itself on its first call, so there is nothing to
    build here (Keras would otherwise trace the whole call symbolically first)."""

    def build(self, input_shape=None):
        pass


class Embedding(keras.layers.Layer):
    """A lookup table whose variable name follows transformers 4.x: "weight" for word embeddings, "embeddings" for
    positions and token types."""

    def __init__(self, num, dim, config, weight_name="embeddings", **kwargs):
        super().__init__(**kwargs)
        self.table = self.add_weight(name=weight_name, shape=(num, dim), initializer=initializer(config))

    def call(self, ids):
        return tf.gather(self.table, ids)


activation = conventions.activation_lookup({
    "gelu": lambda x: tf.nn.gelu(x, approximate=False),
    "gelu_new": lambda x: tf.nn.gelu(x, approximate=True),
    "gelu_pytorch_tanh": lambda x: tf.nn.gelu(x, approximate=True),
    "relu": tf.nn.relu,
    "silu": tf.nn.silu,
    "swish": tf.nn.silu,
    "tanh": tf.math.tanh,
})


def check_length(seq_len, limit):
    """The torch side's check when the length is known; while tracing it is a tensor, and tf.gather fails instead."""
    if isinstance(seq_len, int):
        conventions.check_length(seq_len, limit)


def additive_mask(attention_mask, dtype=tf.float32):
    """(B, T) of 1 = token, 0 = padding -> (B, 1, 1, T) added to the attention scores, as in the torch twin."""
    if attention_mask is None:
        return None
    keep = tf.cast(attention_mask, dtype)[:, None, None, :]
    return (1.0 - keep) * dtype.min


def attend(q, k, v, mask, dropout, training):
    """q, k, v: (B, H, T, D) -> (B, T, H*D) and the attention probabilities (B, H, T, T)."""
    att = tf.matmul(q, k, transpose_b=True) * (1.0 / float(q.shape[-1]) ** 0.5)
    if mask is not None:
        att = att + mask
    att = dropout(tf.nn.softmax(att, axis=-1), training=training)
    y = tf.transpose(tf.matmul(att, v), (0, 2, 1, 3))  # (B, T, H, D)
    B, T = tf.shape(y)[0], tf.shape(y)[1]
    return tf.reshape(y, (B, T, q.shape[1] * q.shape[-1])), att


def split_heads(x, n_head):
    """(B, T, C) -> (B, H, T, C // H)"""
    B, T = tf.shape(x)[0], tf.shape(x)[1]
    return tf.transpose(tf.reshape(x, (B, T, n_head, x.shape[-1] // n_head)), (0, 2, 1, 3))
