"""What the PyTorch and the TensorFlow models share, importing neither framework: the names a config and a
checkpoint may use, and the errors both sides raise in the same words. Each side keeps its own layers; what is
here makes a config or a checkpoint that one side accepts acceptable to the other, with the same message when not.
"""


# checkpoints written before LayerNorm weights were called weight/bias (TensorFlow names)
LEGACY_RENAMES = (("LayerNorm.gamma", "LayerNorm.weight"), ("LayerNorm.beta", "LayerNorm.bias"))
# checkpoint keys that are neither loaded nor reported (old checkpoints stored position ids)
IGNORED_CHECKPOINT_KEYS = r"(^|\.)position_ids$"

# the activation names a config may give (hidden_act, activation, activation_function)
ACTIVATION_NAMES = frozenset({"gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish", "tanh"})


def activation_lookup(functions):
    """The `activation(name)` of one side, from its {name: function} table. The table must have exactly
    ACTIVATION_NAMES as keys, so a config that loads in PyTorch loads in TensorFlow and the other way round."""
    if set(functions) != ACTIVATION_NAMES:
        raise ImportError(f"the activation table has {sorted(functions)}, but conventions.ACTIVATION_NAMES is "
                          f"{sorted(ACTIVATION_NAMES)}; both sides must accept the same names.")

    def activation(name):
        if name not in functions:
            raise ValueError(f"Activation {name!r} from the config is not supported; use one of "
                             f"{sorted(ACTIVATION_NAMES)}.")
        return functions[name]

    return activation


def check_length(seq_len, limit, name="input_ids"):
    if seq_len > limit:
        raise ValueError(
            f"{name} has sequence length {seq_len}, but the model has position embeddings for {limit} tokens "
            f"(max_position_embeddings). Truncate the input, e.g. tokenizer(..., truncation=True, max_length={limit})."
        )


def check_heads(width_name, width, heads_name, heads, fix="fix one of them in the config."):
    """Attention splits the width evenly over the heads."""
    if width % heads != 0:
        raise ValueError(f"{width_name} ({width}) must be a multiple of {heads_name} ({heads}); {fix}")


def check_one_input(input_ids, inputs_embeds, also=""):
    """`also`: the same rule for another pair of inputs, said in the message (e.g. a decoder's)."""
    if (input_ids is None) == (inputs_embeds is None):
        raise ValueError(f"Pass exactly one of input_ids or inputs_embeds{also}.")


# the fix a load error gives when checkpoint weights have other shapes than the model its config builds; the config
# is config.json with the arguments given to from_pretrained on top (num_labels=10 on a 2-label checkpoint, say)
MISMATCH_FIX = ("Make the config match the weights (config.json, or the config arguments given to from_pretrained, "
                "such as num_labels), or pass ignore_mismatched_sizes=True to re-initialise those weights.")
