"""tf_model.h5 in the layout transformers 4.x wrote (Keras 2's `save_weights` HDF5 format), and the mapping
between its weight names and PyTorch state-dict keys.

numpy and h5py only, neither torch nor TensorFlow: PyTorch models read these files with `from_tf=True`
(modeling/base.py) and the TensorFlow twins read and write them (tf/modeling.py). It lives here, below both
sides, so that the PyTorch side never imports from the TensorFlow package, which stands above it.

The layout: the root attribute "layer_names" lists the model's top-level layers; each has a
group whose attribute "weight_names" lists full weight names, and each name is also the path
of its dataset inside the group:

    bert/                                    <- group of the top-level layer "bert"
      tf_bert_model/bert/embeddings/word_embeddings/weight:0        (vocab, C)
      tf_bert_model/bert/encoder/layer_._0/attention/self/query/kernel:0   (C_in, C_out)

The first path component is the model's Keras name, which differs between saves and is
ignored on reading. The rest maps to a PyTorch key by fixed rules (see `pt_name`).
"""

import os
import re

import numpy as np

from ..hub import resolve_file

TF_WEIGHTS_NAME = "tf_model.h5"
# TF leaf name (by the kind of Keras layer holding it) -> PyTorch parameter name
_LEAF_TO_PT = {"kernel": "weight", "gamma": "weight", "beta": "bias", "embeddings": "weight", "weight": "weight",
               "bias": "bias"}


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("Reading or writing tf_model.h5 needs h5py, which is not installed. Install the TensorFlow "
                          "extra: pip install 'leanformers[tf]' (or just: pip install h5py).") from None
    return h5py


def pt_name(tf_name):
    """(PyTorch key, whether the array is transposed) for a TF weight name without the model-name component.

    bert/encoder/layer_._0/attention/self/query/kernel:0 -> bert.encoder.layer.0.attention.self.query.weight, True
    A Dense kernel is (in, out) where torch's Linear weight is (out, in); `x___y` components were TF's way to
    rename a PyTorch module (`mlm___cls` -> `cls`).
    """
    parts = re.sub(r"[^/]*___", "", tf_name.removesuffix(":0")).replace("_._", "/").split("/")
    leaf = parts[-1]
    if leaf not in _LEAF_TO_PT:
        raise ValueError(f"TF weight {tf_name!r} has an unknown kind {leaf!r}; expected one of {sorted(_LEAF_TO_PT)}.")
    return ".".join([*parts[:-1], _LEAF_TO_PT[leaf]]), leaf == "kernel"


def _string_list(attrs, name):
    """A list-of-strings attribute; Keras split long ones into name0, name1, ... and older files stored bytes."""
    if name in attrs:
        values = list(attrs[name])
    else:
        values, i = [], 0
        while f"{name}{i}" in attrs:
            values += list(attrs[f"{name}{i}"])
            i += 1
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def read_tf_weights(filename):
    """{PyTorch key: float32 array in PyTorch's layout} from a tf_model.h5 file."""
    h5py = _h5py()
    try:
        f = h5py.File(filename, "r")
    except OSError as err:
        raise OSError(f"{filename} is not a readable HDF5 file ({err}); it is truncated or damaged, or not a "
                      "tf_model.h5. Save it again with save_pretrained.") from None
    weights = {}
    with f:
        if "layer_names" not in f.attrs:
            raise ValueError(f"{filename} has no 'layer_names' attribute, so it is not a Keras weights file in the "
                             "layout transformers 4.x wrote (tf_model.h5). Save the model with save_pretrained.")
        for layer in _string_list(f.attrs, "layer_names"):
            group = f[layer]
            for full_name in _string_list(group.attrs, "weight_names"):
                key, transpose = pt_name(full_name.split("/", 1)[1] if "/" in full_name else full_name)
                array = np.asarray(group[full_name], dtype=np.float32)
                weights[key] = np.ascontiguousarray(array.T) if transpose else array
    return weights


def write_tf_weights(filename, model_name, layers, keras_version):
    """Write tf_model.h5's content to `filename` (the temporary name of an atomic save, utils/files.py).
    `layers`: [(top-level layer name, [(TF name without the model name, array in TF layout), ...]), ...], in the
    model's layer order."""
    h5py = _h5py()
    strings = h5py.string_dtype("ascii")
    with h5py.File(filename, "w") as f:
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = keras_version
        f.attrs["layer_names"] = np.array([name for name, _ in layers], dtype=strings)
        for layer_name, weights in sorted(layers, key=lambda item: item[0]):
            group = f.create_group(layer_name)
            names = [f"{model_name}/{name}:0" for name, _ in weights]
            # Keras wrote an empty float array for a layer without weights (dropout)
            group.attrs["weight_names"] = np.array(names, dtype=strings) if names else np.zeros(0)
            for name, (_, array) in zip(names, weights):
                group.create_dataset(name, data=np.asarray(array, dtype=np.float32))


def load_tf_checkpoint(path, hub_kwargs):
    """PyTorch-keyed weights of the tf_model.h5 in a folder or hub repository (for `from_tf=True`)."""
    filename = resolve_file(path, TF_WEIGHTS_NAME, required=False, **hub_kwargs)
    if filename is None:
        raise FileNotFoundError(
            f"from_tf=True but {os.fspath(path)!r} has no {TF_WEIGHTS_NAME}. Drop from_tf to load PyTorch weights "
            "(model.safetensors), or save the TensorFlow model there with save_pretrained.")
    return read_tf_weights(filename)
