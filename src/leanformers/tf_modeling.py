"""TFPreTrainedModel: Keras (3, TensorFlow backend) twins of the PyTorch models, loading and saving.

Every TF model mirrors its PyTorch twin layer for layer, and each Keras layer is
named after the torch module it stands for ("bert", "encoder", "layer_._0", ...).
A weight's path through those names is its name in tf_model.h5 and, by the fixed
rules of tf_checkpoint.pt_name, its PyTorch key: one mapping serves `from_pt=True`,
tf_model.h5 and `save_pretrained`. Also here: the pieces the TF architectures share
(layers, attention, losses, outputs) and the Keras training hooks (compile/fit).
"""

import logging
import os
import re
from collections.abc import Mapping

# the TF model files take `tf` and `keras` from here, so that a missing TensorFlow always gives this error
try:
    import tensorflow as tf
except ImportError:
    raise ImportError("The TF models of leanformers need TensorFlow, which is not installed. Install it with: "
                      "pip install 'leanformers[tf]' (or: pip install tensorflow-cpu).") from None
import keras
import numpy as np

from .configuration import CONFIG_NAME, _read_json
from .conventions import IGNORED_CHECKPOINT_KEYS, LEGACY_RENAMES
from .hub import pop_hub_kwargs, resolve_file
from .modeling.checkpoint import load_checkpoint
from .outputs import TFTokenClassifierOutput
from .tf_checkpoint import TF_WEIGHTS_NAME, pt_name, read_tf_weights, write_tf_weights

logger = logging.getLogger(__name__)

if int(keras.__version__.split(".")[0]) < 3:
    raise ImportError(f"The TF models of leanformers need Keras 3 (TensorFlow 2.16 or newer), but Keras "
                      f"{keras.__version__} is installed. Upgrade with: pip install 'leanformers[tf]'.")
if keras.backend.backend() != "tensorflow":
    raise ImportError(f"The TF models of leanformers need Keras' TensorFlow backend, but KERAS_BACKEND is "
                      f"{keras.backend.backend()!r}; unset it or set KERAS_BACKEND=tensorflow.")

# checkpoint keys that are neither loaded nor reported (old PyTorch checkpoints stored position ids)
_IGNORED_KEYS = re.compile(IGNORED_CHECKPOINT_KEYS)


# --- layers ----------------------------------------------------------------------------------------------------------

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


ACTIVATIONS = {
    "gelu": lambda x: tf.nn.gelu(x, approximate=False),
    "gelu_new": lambda x: tf.nn.gelu(x, approximate=True),
    "gelu_pytorch_tanh": lambda x: tf.nn.gelu(x, approximate=True),
    "relu": tf.nn.relu,
    "silu": tf.nn.silu,
    "swish": tf.nn.silu,
    "tanh": tf.math.tanh,
}


def activation(name):
    if name not in ACTIVATIONS:
        raise ValueError(f"Activation {name!r} from the config is not supported; use one of {sorted(ACTIVATIONS)}.")
    return ACTIVATIONS[name]


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


def check_length(seq_len, limit):
    if isinstance(seq_len, int) and seq_len > limit:  # unknown while tracing: tf.gather fails instead
        raise ValueError(
            f"input_ids has sequence length {seq_len}, but the model has position embeddings for {limit} tokens "
            f"(max_position_embeddings). Truncate the input, e.g. tokenizer(..., truncation=True, max_length={limit})."
        )


# --- losses, with transformers 4.x's TF shapes -----------------------------------------------------------------------

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
    def hf_compute_loss(self, labels, logits):
        return sequence_classification_loss(self.config, labels, logits)


class TFTokenClassificationHead:
    """Dropout, then one linear classifier per token; the model's __init__ creates self.dropout and self.classifier."""

    has_head = True

    def hf_compute_loss(self, labels, logits):
        return token_classification_loss(labels, logits)

    def head(self, base, labels, training):
        logits = self.classifier(self.dropout(base.last_hidden_state, training=training))  # (B, T, num_labels)
        return TFTokenClassifierOutput(loss=None if labels is None else self.hf_compute_loss(labels, logits),
                                       logits=logits, hidden_states=base.hidden_states, attentions=base.attentions)


# --- the model base --------------------------------------------------------------------------------------------------

def _snake_case(name):
    # Keras' default model names: TFBertModel -> tf_bert_model
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class TFPreTrainedModel(keras.Model):
    config_class = None
    base_model_prefix = ""  # attribute (and Keras name) of the main layer, e.g. "bert"
    input_names = ("input_ids", "attention_mask", "token_type_ids", "position_ids", "inputs_embeds")
    has_head = False  # a model with a task head sets this and defines head(base_output, labels, training)

    def __init__(self, config, **kwargs):
        super().__init__(name=kwargs.pop("name", _snake_case(type(self).__name__)), **kwargs)
        self.config = config
        self._internal_loss = True

    def build(self, input_shape=None):
        pass  # layers build on their first call; see build_weights

    @property
    def dummy_inputs(self):
        return {"input_ids": tf.constant([[3, 4, 5], [6, 7, 0]], dtype=tf.int32)}

    def build_weights(self):
        """Create every weight by running a tiny batch (Keras builds layers on their first call)."""
        self(self.dummy_inputs, training=False)

    def _flags(self, output_attentions, output_hidden_states, return_dict):
        config = self.config
        return (config.output_attentions if output_attentions is None else output_attentions,
                config.output_hidden_states if output_hidden_states is None else output_hidden_states,
                config.return_dict if return_dict is None else return_dict)

    def __call__(self, *args, **kwargs):
        # Keras takes a plain dict of tensors positionally but not a dict subclass such as the tokenizer's BatchEncoding
        if args and isinstance(args[0], Mapping) and type(args[0]) is not dict:
            args = (dict(args[0]), *args[1:])
        return super().__call__(*args, **kwargs)

    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, inputs_embeds=None,
             output_attentions=None, output_hidden_states=None, return_dict=None, labels=None, training=False):
        given = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids,
                 "position_ids": position_ids, "inputs_embeds": inputs_embeds, "labels": labels}
        if isinstance(input_ids, Mapping):  # model(batch): transformers' TF models take the tokenizer's output whole
            given["input_ids"] = None
            given.update((key, value) for key, value in input_ids.items() if value is not None)
        accepted = self.input_names + (("labels",) if self.has_head else ())
        for key, value in given.items():
            if value is not None and key not in accepted:
                raise ValueError(f"{type(self).__name__} got {key!r}, which it does not take; its inputs are "
                                 f"{', '.join(accepted)}.")
        if (given["input_ids"] is None) == (given["inputs_embeds"] is None):
            raise ValueError("Pass exactly one of input_ids or inputs_embeds.")
        inputs = {key: tf.convert_to_tensor(value) for key, value in given.items() if value is not None}
        labels = inputs.pop("labels", None)
        output_attentions, output_hidden_states, return_dict = self._flags(
            output_attentions, output_hidden_states, return_dict)
        base = getattr(self, self.base_model_prefix)(
            inputs, output_attentions=output_attentions, output_hidden_states=output_hidden_states, training=training)
        out = self.head(base, labels, training) if self.has_head else base
        return out if return_dict else out.to_tuple()

    # --- weights by PyTorch name -------------------------------------------------------------------------------------

    def tf_weights(self):
        """[(top-level layer name, [(TF weight name without the model name, variable), ...])] in layer order."""
        return [(layer.name, list(_layer_weights(layer, layer.name))) for layer in _sublayers(self)]

    def pt_weights(self):
        """{PyTorch key: (variable, transposed)}"""
        out = {}
        for _, weights in self.tf_weights():
            for tf_name, variable in weights:
                key, transpose = pt_name(tf_name)
                out[key] = (variable, transpose)
        return out

    def load_pt_state(self, state, ignore_mismatched_sizes=False):
        """Assign {PyTorch key: array in PyTorch layout}; returns missing, unexpected and mismatched keys."""
        expected = self.pt_weights()
        prefix = self.base_model_prefix + "."
        renamed = {}
        for key, array in state.items():
            for old, new in LEGACY_RENAMES:
                key = key.replace(old, new)
            renamed[key] = array
        if not any(key.startswith(prefix) for key in renamed):  # a bare-model PyTorch checkpoint has no prefix
            renamed = {prefix + key: array for key, array in renamed.items()}
        unexpected, mismatched, loaded = [], [], set()
        for key, array in renamed.items():
            if key not in expected:
                if not _IGNORED_KEYS.search(key):
                    unexpected.append(key)
                continue
            variable, transpose = expected[key]
            shape = tuple(reversed(variable.shape)) if transpose else tuple(variable.shape)  # in PyTorch's layout
            if tuple(array.shape) != shape:
                mismatched.append((key, tuple(array.shape), shape))
                continue
            array = np.asarray(array, dtype=np.float32)
            variable.assign(array.T if transpose else array)
            loaded.add(key)
        reinitialised = {key for key, _, _ in mismatched}
        missing = [key for key in expected if key not in loaded and key not in reinitialised]
        if mismatched and not ignore_mismatched_sizes:
            detail = "; ".join(f"{key}: checkpoint {ckpt} vs model {ours}" for key, ckpt, ours in mismatched)
            raise ValueError(f"{type(self).__name__}: weights of the checkpoint have other shapes than the model built "
                             f"from its config ({detail}). Fix config.json to match the weights, or pass "
                             "ignore_mismatched_sizes=True to keep those weights newly initialised.")
        return {"missing_keys": missing, "unexpected_keys": unexpected, "mismatched_keys": mismatched}

    # --- loading and saving ------------------------------------------------------------------------------------------

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *model_args, config=None, from_pt=False,
                        ignore_mismatched_sizes=False, output_loading_info=False, **kwargs):
        path = pretrained_model_name_or_path
        hub_kwargs = pop_hub_kwargs(kwargs)
        for key in ("dtype", "torch_dtype"):  # PyTorch loading options that mean nothing here
            kwargs.pop(key, None)
        if config is None:
            config = cls.config_class.from_dict(_read_json(resolve_file(path, CONFIG_NAME, **hub_kwargs)))
            config.name_or_path = str(path)
        for key, value in kwargs.items():  # num_labels=10, output_attentions=True, ...
            if not hasattr(config, key):
                raise TypeError(f"{cls.__name__}.from_pretrained got an unexpected keyword argument {key!r}: it is "
                                "neither a loading option nor a field of the config.")
            setattr(config, key, value)

        if from_pt:  # the model core reads PyTorch checkpoints (safetensors, or pickles with weights_only)
            try:
                state = load_checkpoint(path, hub_kwargs)
            except FileNotFoundError as err:
                has_h5 = resolve_file(path, TF_WEIGHTS_NAME, required=False, **hub_kwargs) is not None
                hint = f"; it has {TF_WEIGHTS_NAME}, so drop from_pt=True" if has_h5 else ""
                raise FileNotFoundError(f"from_pt=True: {err}{hint}") from None
            state = {key: t.float().numpy() if t.is_floating_point() else t.numpy() for key, t in state.items()}
        else:
            h5 = resolve_file(path, TF_WEIGHTS_NAME, required=False, **hub_kwargs)
            if h5 is None:
                raise FileNotFoundError(
                    f"{os.fspath(path)!r} has no {TF_WEIGHTS_NAME}. To load PyTorch weights (model.safetensors or "
                    f"pytorch_model.bin) into {cls.__name__}, pass from_pt=True.")
            state = read_tf_weights(h5)

        model = cls(config, *model_args)
        model.build_weights()
        info = model.load_pt_state(state, ignore_mismatched_sizes)
        _log_load_report(model, path, info, from_pt)
        return (model, info) if output_loading_info else model

    def save_pretrained(self, save_directory):
        """Write config.json and tf_model.h5 (transformers 4.x's layout); each file appears complete or not at all."""
        if os.path.isfile(save_directory):
            raise ValueError(f"save_directory {save_directory!r} is a file; pass the path of a folder.")
        os.makedirs(save_directory, exist_ok=True)
        if not self.built:
            self.build_weights()
        self.config.architectures = [type(self).__name__.removeprefix("TF")]  # as transformers 4.x: the PyTorch name
        layers = [(name, [(tf_name, v.numpy()) for tf_name, v in weights]) for name, weights in self.tf_weights()]
        write_tf_weights(os.path.join(save_directory, TF_WEIGHTS_NAME), self.name, layers, keras.__version__)
        self.config.save_pretrained(save_directory)

    # --- Keras training: compile() without a loss trains on the model's own loss -----------------------------------

    def compile(self, optimizer="rmsprop", loss=None, **kwargs):
        self._internal_loss = loss is None
        super().compile(optimizer=optimizer, loss=loss, **kwargs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if not self._internal_loss:  # a Keras loss given to compile() sees the logits
            return super().compute_loss(x, y, y_pred.logits, sample_weight, training)
        if y_pred.loss is not None:  # labels came inside x
            return tf.reduce_mean(y_pred.loss)
        if y is None:
            raise ValueError("No labels to train on: give them as y (a dataset of (inputs, labels) pairs) or as "
                             "x['labels'], or pass a Keras loss to compile().")
        return tf.reduce_mean(self.hf_compute_loss(y, y_pred.logits))

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        return super().compute_metrics(x, y, y_pred.logits, sample_weight)

    def predict_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return dict(self(x, training=False))


def _sublayers(layer):
    """Direct sub-layers in the order they were assigned (lists of layers in order)."""
    for key, value in vars(layer).items():
        if key.startswith("_"):
            continue
        if isinstance(value, keras.layers.Layer):
            yield value
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, keras.layers.Layer) for v in value):
            yield from value


def _layer_weights(layer, path):
    """(TF weight path, variable) for every weight under `layer`, named by the Keras names along the way."""
    children = list(_sublayers(layer))
    if not children:
        for variable in layer.weights:
            yield f"{path}/{variable.name}", variable
    for child in children:
        yield from _layer_weights(child, f"{path}/{child.name}")


def _log_load_report(model, path, info, from_pt):
    source = "PyTorch model" if from_pt else f"model checkpoint at {path}"
    name = type(model).__name__
    if info["unexpected_keys"]:
        logger.warning(f"Some weights of the {source} were not used when initializing {name}: "
                       f"{info['unexpected_keys']}\n- This is expected if you are initializing {name} from a model "
                       "trained on another task or with another architecture.")
    new = info["missing_keys"] + [key for key, _, _ in info["mismatched_keys"]]
    if new:
        logger.warning(f"Some weights of {name} were not initialized from the {source} and are newly initialized: "
                       f"{new}\nYou should probably TRAIN this model on a down-stream task to be able to use it for "
                       "predictions and inference.")
