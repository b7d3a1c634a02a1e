"""TFPreTrainedModel: the base of the Keras (3, TensorFlow backend) twins of the PyTorch models, as
modeling/base.py is for torch: inputs, loading (tf_model.h5 or, with `from_pt=True`, PyTorch weights), saving and
the Keras training hooks (compile/fit).

Every TF model mirrors its PyTorch twin layer for layer, and each Keras layer is
named after the torch module it stands for ("bert", "encoder", "layer_._0", ...).
A weight's path through those names is its name in tf_model.h5 and, by the fixed
rules of h5_weights.pt_name, its PyTorch key: one mapping serves `from_pt=True`,
tf_model.h5 and `save_pretrained`.
"""

import logging
import os
import re
from collections.abc import Mapping

import numpy as np

from .. import conventions
from ..configuration import CONFIG_NAME, read_config_file
from ..hub import pop_hub_kwargs, resolve_file
from ..modeling.checkpoint import load_checkpoint
from ..modeling.h5_weights import TF_WEIGHTS_NAME, pt_name, read_tf_weights, write_tf_weights
from ..utils.files import atomic_files, make_save_directory
from .backend import keras, tf

# the name TF loading has logged under since it lived in leanformers/tf_modeling.py; callers filter on it
logger = logging.getLogger("leanformers.tf_modeling")
_IGNORED_KEYS = re.compile(conventions.IGNORED_CHECKPOINT_KEYS)


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
        conventions.check_one_input(given["input_ids"], given["inputs_embeds"])
        inputs = {key: tf.convert_to_tensor(value) for key, value in given.items() if value is not None}
        labels = inputs.pop("labels", None)
        output_attentions, output_hidden_states, return_dict = self.config.forward_flags(
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
            for old, new in conventions.LEGACY_RENAMES:
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
                             f"from its config ({detail}). {conventions.MISMATCH_FIX}")
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
            config = cls.config_class.from_dict(read_config_file(resolve_file(path, CONFIG_NAME, **hub_kwargs)))
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
        make_save_directory(save_directory)
        if not self.built:
            self.build_weights()
        self.config.architectures = [type(self).__name__.removeprefix("TF")]  # as transformers 4.x: the PyTorch name
        layers = [(name, [(tf_name, v.numpy()) for tf_name, v in weights]) for name, weights in self.tf_weights()]
        text = self.config.to_json_string()
        with atomic_files(save_directory) as stage:  # both files replace the old ones at once, once both are complete
            write_tf_weights(stage(TF_WEIGHTS_NAME), self.name, layers, keras.__version__)
            with open(stage(CONFIG_NAME), "w", encoding="utf-8") as f:
                f.write(text)

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
