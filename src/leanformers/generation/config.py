"""GenerationConfig: the settings of generate(), from and to generation_config.json (no torch here)."""

import os

from ..configuration import FORMAT_VERSION, LEGACY_GENERATION_KEYS
from ..hub import pop_hub_kwargs, resolve_file
from ..utils.files import json_text, make_save_directory, read_json, write_atomic

GENERATION_CONFIG_NAME = "generation_config.json"

# the values generate() uses for a setting that neither the call nor generation_config.json gives
DEFAULTS = {
    "max_length": 20, "max_new_tokens": None, "min_length": 0, "min_new_tokens": None,
    "do_sample": False, "num_beams": 1, "num_return_sequences": 1, "early_stopping": False, "length_penalty": 1.0,
    "temperature": 1.0, "top_k": 50, "top_p": 1.0, "repetition_penalty": 1.0, "no_repeat_ngram_size": 0,
    "bos_token_id": None, "eos_token_id": None, "pad_token_id": None, "decoder_start_token_id": None,
    "forced_bos_token_id": None, "forced_eos_token_id": None,
    "use_cache": True,  # accepted for compatibility: generate() always decodes with the cache
}
# settings transformers' generate() has and leanformers' does not, with the value at which they change nothing: a
# generation config (or an old config.json) that sets one to anything else is refused rather than ignored
UNSUPPORTED_DEFAULTS = {
    "typical_p": 1.0, "epsilon_cutoff": 0.0, "eta_cutoff": 0.0, "num_beam_groups": 1, "diversity_penalty": 0.0,
    "encoder_repetition_penalty": 1.0, "encoder_no_repeat_ngram_size": 0, "bad_words_ids": None,
    "output_scores": False, "return_dict_in_generate": False, "remove_invalid_values": False,
    "exponential_decay_length_penalty": None, "suppress_tokens": None, "begin_suppress_tokens": None,
    "penalty_alpha": None, "force_words_ids": None, "sequence_bias": None, "stop_strings": None,
}
# model config fields that seed a generation config when the checkpoint has no generation_config.json
_FROM_MODEL_CONFIG = ("bos_token_id", "eos_token_id", "pad_token_id", "decoder_start_token_id",
                      "forced_bos_token_id", "forced_eos_token_id", "use_cache")


class GenerationConfig:
    """The settings of generate(), read from and written to generation_config.json. Only the settings that were
    given are stored (`to_dict`); `DEFAULTS` fills the rest when generate() runs. Unknown keys are kept."""

    def __init__(self, **kwargs):
        for key, value in kwargs.items():
            setattr(self, key, value)

    def __getattr__(self, name):  # only reached for settings never given
        if name in DEFAULTS:
            return DEFAULTS[name]
        raise AttributeError(f"GenerationConfig has no setting {name!r}")

    def to_dict(self):
        return dict(vars(self))

    def to_diff_dict(self):
        """What repr and generation_config.json show: the settings given, less known ones left unset (None), as
        transformers shows the settings that differ from its defaults (all None)."""
        return {key: value for key, value in vars(self).items() if not (value is None and key in DEFAULTS)}

    def update(self, **kwargs):
        for key, value in kwargs.items():
            setattr(self, key, value)

    def __repr__(self):
        return f"GenerationConfig {json_text(self.to_diff_dict())}"

    def __eq__(self, other):
        return isinstance(other, GenerationConfig) and self.to_dict() == other.to_dict()

    @classmethod
    def from_model_config(cls, config):
        """The settings of a checkpoint without generation_config.json, from its model config (token ids) or from
        its config.json as a dict (token ids and the generation settings of old files, as transformers takes them)."""
        if isinstance(config, dict):
            values = {key: config.get(key) for key in (*_FROM_MODEL_CONFIG, *LEGACY_GENERATION_KEYS)}
        else:
            values = {key: getattr(config, key, None) for key in _FROM_MODEL_CONFIG}
        return cls(**{key: value for key, value in values.items() if value is not None})

    @classmethod
    def from_pretrained(cls, name_or_path, **kwargs):
        hub_kwargs = pop_hub_kwargs(kwargs)
        return cls.from_json_file(resolve_file(name_or_path, GENERATION_CONFIG_NAME, **hub_kwargs), **kwargs)

    @classmethod
    def from_json_file(cls, path, **kwargs):
        values = read_json(path, "it must hold one object of generation settings: fix it or delete it to use the "
                                 "model's defaults.")
        values.pop("transformers_version", None)
        values.pop("_from_model_config", None)
        return cls(**{**values, **kwargs})

    def to_json_string(self):
        """generation_config.json's text, as transformers writes it."""
        return json_text({**self.to_diff_dict(), "transformers_version": FORMAT_VERSION})

    def save_pretrained(self, save_directory):
        text = self.to_json_string()  # a value that cannot be serialised fails here, before any file is made
        make_save_directory(save_directory)
        write_atomic(os.path.join(save_directory, GENERATION_CONFIG_NAME), text)
