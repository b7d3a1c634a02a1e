"""`pipeline(task, model=...)`: a tokenizer, a model and the pre/post-processing of a task in one call.

TASKS maps each task to its pipeline class, model class and default model (those of transformers);
TASK_ALIASES adds the other names ("sentiment-analysis" is text classification). This module imports
nothing heavy, so `from leanformers import pipeline` stays cheap; torch, the model and the tokenizer
load when a pipeline is built.
"""

import logging
import os
import warnings
from dataclasses import dataclass
from importlib import import_module

from ..embedded import EMBEDDED_NAME
from ..manifest import MANIFEST, architecture
from ..utils.backends import import_torch

logger = logging.getLogger(__name__)
FALLBACK_SWITCH = "LEANFORMERS_OFFLINE_FALLBACK"  # "0" (or false, no, off): no embedded stand-in


class OfflineFallbackWarning(UserWarning):
    """The default model could not be had and the embedded offline model answers instead; raised once per process
    through `warnings`, so that a logging level does not hide it. Filter it with
    warnings.filterwarnings("ignore", category=OfflineFallbackWarning)."""


_fallback_warned = False  # OfflineFallbackWarning was raised in this process


@dataclass(frozen=True)
class Task:
    pipeline_class: str  # "module:Class", imported only when the task is built
    auto_model: str  # name of the Auto class in leanformers that loads its model
    default_model: str
    default_revision: str
    offline_fallback: bool = False  # when the default model cannot be had, use the embedded model instead


TASKS = {
    "text-classification": Task(
        pipeline_class="leanformers.pipelines.text_classification:TextClassificationPipeline",
        auto_model="AutoModelForSequenceClassification",
        # the model and revision transformers 5 uses, so the same call gives the same answers
        default_model="distilbert/distilbert-base-uncased-finetuned-sst-2-english",
        default_revision="714eb0f",
        offline_fallback=True,
    ),
    # the defaults of transformers 5; summarization and question-answering are those of transformers 4,
    # which had these tasks (transformers 5 removed them)
    "fill-mask": Task("leanformers.pipelines.fill_mask:FillMaskPipeline", "AutoModelForMaskedLM",
                      "distilbert/distilroberta-base", "fb53ab8"),
    "token-classification": Task("leanformers.pipelines.token_classification:TokenClassificationPipeline",
                                 "AutoModelForTokenClassification",
                                 "dbmdz/bert-large-cased-finetuned-conll03-english", "4c53496"),
    "question-answering": Task("leanformers.pipelines.question_answering:QuestionAnsweringPipeline",
                               "AutoModelForQuestionAnswering",
                               "distilbert/distilbert-base-cased-distilled-squad", "564e9b5"),
    "text-generation": Task("leanformers.pipelines.text_generation:TextGenerationPipeline", "AutoModelForCausalLM",
                            "HuggingFaceTB/SmolLM3-3B", "a07cc9a"),
    "summarization": Task("leanformers.pipelines.text2text_generation:SummarizationPipeline",
                          "AutoModelForSeq2SeqLM", "sshleifer/distilbart-cnn-12-6", "a4f8f3e"),
    "feature-extraction": Task("leanformers.pipelines.feature_extraction:FeatureExtractionPipeline", "AutoModel",
                               "distilbert/distilbert-base-cased", "6ea8117"),
    "text2text-generation": Task("leanformers.pipelines.text2text_generation:Text2TextGenerationPipeline",
                                 "AutoModelForSeq2SeqLM", "sshleifer/distilbart-cnn-12-6", "a4f8f3e"),
    "zero-shot-classification": Task("leanformers.pipelines.zero_shot_classification:ZeroShotClassificationPipeline",
                                     "AutoModelForSequenceClassification", "facebook/bart-large-mnli", "d7645e1"),
}
TASK_ALIASES = {"sentiment-analysis": "text-classification", "ner": "token-classification"}
# the tasks pipeline(model=...) infers from the checkpoint's architecture, as transformers does for a local folder
INFERRED_TASKS = ("text-classification",)

# keyword arguments that go to every from_pretrained of the pipeline (file resolution)
HUB_ARGS = ("revision", "token", "cache_dir", "force_download", "local_files_only")


def supported_tasks():
    return sorted([*TASKS, *TASK_ALIASES])


def check_task(task):
    """Return the canonical name and the `Task` of a task name or alias."""
    name = TASK_ALIASES.get(task, task)
    if name not in TASKS:
        raise KeyError(f"Unknown task {task!r}, available tasks are {supported_tasks()}")
    return name, TASKS[name]


def pipeline(task=None, model=None, tokenizer=None, config=None, device=None, dtype="auto",
             batch_size=None, quantize=None, model_kwargs=None, device_map=None, **kwargs):
    """Build the pipeline of `task`, loading `model` and `tokenizer` when they are names or folders.

    `model`/`tokenizer`: a hub name, a folder, or an object already loaded. Without `model`, the
    task's default model is loaded (with a warning). When that default cannot be had (offline, nothing
    cached), text classification falls back to the embedded offline model "leanformers/embedded-sentiment"
    (shipped with leanformers; its scores differ from the default's): the log says so, an
    OfflineFallbackWarning says so once per process, and `pipe.model.name_or_path` names it;
    LEANFORMERS_OFFLINE_FALLBACK=0 raises the error instead. `device`: "cpu", "cuda", "cuda:1", an index or
    a torch.device (default: the first GPU when there is one, as transformers). `dtype`: "auto"
    (the checkpoint's), a torch dtype or its name. `quantize="int8"`: int8 Linear layers
    (leanformers.quantization; CPU only; faster, scores move slightly). Hub arguments (`revision`,
    `token`, `cache_dir`, `local_files_only`, `force_download`) apply to every file; other keyword arguments are call
    defaults: `top_k`, `function_to_apply`, and tokenizer arguments such as `truncation`; for text
    classification also `num_workers` (tokenizer workers running beside the model: one thread by
    default on CUDA) and `max_batch_tokens` (padded tokens per batch), see TextClassificationPipeline.

    >>> from leanformers import pipeline
    >>> classifier = pipeline("sentiment-analysis", model="leanformers/embedded-sentiment")
    >>> classifier("We are very happy to show you the 🤗 Transformers library.")
    [{'label': 'POSITIVE', 'score': 0.98...}]
    >>> classifier.model.name_or_path
    'leanformers/embedded-sentiment'

    Tasks (`supported_tasks()`), with the model each loads when none is given:
    """
    import_torch("pipeline()")  # every pipeline runs a torch model: say so before loading anything
    model_kwargs = dict(model_kwargs or {})
    hub_kwargs = {key: kwargs.pop(key) for key in HUB_ARGS if key in kwargs}
    if "torch_dtype" in kwargs:
        logger.warning("`torch_dtype` is deprecated! Use `dtype` instead!")
        torch_dtype = kwargs.pop("torch_dtype")
        dtype = torch_dtype if dtype == "auto" else dtype
    if device_map is not None:  # one device for the whole model (modeling.base.single_device)
        if "device_map" in model_kwargs:
            raise ValueError("device_map was given twice, to pipeline() and in model_kwargs; pass it once.")
        if device is not None:
            logger.warning("Both device and device_map were given: device wins. Pass only one of them.")
        else:
            device = import_module("leanformers.modeling.base").single_device(device_map)
    if task is None and model is None:
        raise RuntimeError(
            "Impossible to instantiate a pipeline without either a task or a model being specified. "
            "Please provide a task class or a model"
        )
    if model is None and tokenizer is not None:
        raise RuntimeError(
            "Impossible to instantiate a pipeline with tokenizer specified but not the model as the provided "
            "tokenizer may not be compatible with the default model. Please provide a PreTrainedModel class or "
            "a path/identifier to a pretrained model when providing tokenizer."
        )
    if isinstance(model, os.PathLike):
        model = os.fspath(model)
    if isinstance(tokenizer, os.PathLike):
        tokenizer = os.fspath(tokenizer)
    if isinstance(config, os.PathLike):
        config = os.fspath(config)
    if task is None:
        task = _infer_task(model, config, hub_kwargs)
    task, spec = check_task(task)

    model_name = model if isinstance(model, str) else None
    if model is None:
        model_name = spec.default_model
        hub_kwargs.setdefault("revision", spec.default_revision)
        logger.warning(
            f"No model was supplied, defaulted to {model_name} and revision {hub_kwargs['revision']}.\n"
            "Using a pipeline without specifying a model name and revision in production is not recommended."
        )
    if model_name is not None:
        try:
            model = _load_model(spec, model_name, config, dtype, hub_kwargs, model_kwargs)
        except OSError as err:
            if model is not None:  # the user named this model: their error to see
                raise
            model, tokenizer = _embedded_fallback(spec, hub_kwargs["revision"], dtype, err)

    if tokenizer is None:
        tokenizer = model_name if model_name is not None else config if isinstance(config, str) else None
        if tokenizer is None:
            raise ValueError(
                "Impossible to guess which tokenizer to use: `model` was given as an object. "
                "Pass `tokenizer=` a tokenizer object, a hub name or the folder it was saved in."
            )
    if isinstance(tokenizer, str):
        auto_tokenizer = getattr(import_module("leanformers.tokenization.auto"), "AutoTokenizer")
        tokenizer = auto_tokenizer.from_pretrained(tokenizer, **hub_kwargs)

    module_name, class_name = spec.pipeline_class.split(":")
    pipeline_class = getattr(import_module(module_name), class_name)
    return pipeline_class(model=model, tokenizer=tokenizer, task=task, device=device,
                          batch_size=batch_size, quantize=quantize, **kwargs)


def _task_lines():
    """One docstring line per task and alias, from TASKS, so the list in help(pipeline) is the table's."""
    aliases = {name: [a for a, task in TASK_ALIASES.items() if task == name] for name in TASKS}
    return "".join(f"    - {name}{' (also ' + ', '.join(aliases[name]) + ')' if aliases[name] else ''}: "
                   f"{spec.default_model}\n" for name, spec in TASKS.items())


if pipeline.__doc__:  # None under python -OO
    pipeline.__doc__ = pipeline.__doc__.rstrip() + "\n" + _task_lines()


def _load_model(spec, name, config, dtype, hub_kwargs, model_kwargs):
    models = import_module("leanformers.models.auto")
    if isinstance(config, str):
        config = getattr(import_module("leanformers.configuration"), "AutoConfig").from_pretrained(
            config, **hub_kwargs)
    if config is not None:
        model_kwargs["config"] = config
    return getattr(models, spec.auto_model).from_pretrained(name, dtype=_torch_dtype(dtype), **hub_kwargs,
                                                             **model_kwargs)


def _torch_dtype(dtype):
    """A dtype by name ("float16") -> the torch dtype it names; "auto", None and torch dtypes pass."""
    if isinstance(dtype, str) and dtype != "auto":
        import torch

        return getattr(torch, dtype)
    return dtype


def _infer_task(model, config, hub_kwargs):
    """The task of a checkpoint, from the architecture its config names (no hub look-up needed)."""
    if isinstance(model, str) or isinstance(config, str):
        auto_config = getattr(import_module("leanformers.configuration"), "AutoConfig")
        config = auto_config.from_pretrained(config if isinstance(config, str) else model, **hub_kwargs)
    elif config is None:
        config = getattr(model, "config", None)
    architectures = getattr(config, "architectures", None) or []
    model_type = getattr(config, "model_type", None)
    if model_type in MANIFEST:  # which head each named class is, by the architecture's declaration
        heads = architecture(model_type).heads
        auto_models = import_module("leanformers.models.auto")  # torch-free: it reads the manifest
        for task in INFERRED_TASKS:
            if heads.get(getattr(auto_models, TASKS[task].auto_model).head) in architectures:
                return task
    raise RuntimeError(
        f"Cannot infer the task of {model!r} from its config (architectures={architectures}). "
        f"Pass the task as the first argument, one of {supported_tasks()}."
    )


def _embedded_fallback(spec, revision, dtype, err):
    """(model, tokenizer) of the embedded model standing in for an unreachable default model, said in the log and
    once per process as an OfflineFallbackWarning."""
    global _fallback_warned
    if not spec.offline_fallback:
        raise _default_model_unavailable(spec, revision, err, "none exists for this task") from err
    if os.environ.get(FALLBACK_SWITCH, "").strip().lower() in ("0", "false", "no", "off"):
        raise _default_model_unavailable(spec, revision, err, f"the fallback to it is switched off by "
                                         f"{FALLBACK_SWITCH}={os.environ[FALLBACK_SWITCH]}") from err
    try:
        model, tokenizer = import_module("leanformers.embedded").load_embedded(
            dtype=None if dtype == "auto" else _torch_dtype(dtype))
    except OSError as embedded_err:
        raise _default_model_unavailable(spec, revision, err, embedded_err) from err
    message = (
        f"The default model {spec.default_model} (revision {revision}) could not be loaded ({err}); using the "
        f"embedded offline model {EMBEDDED_NAME} instead (all-MiniLM-L6-v2 fine-tuned on SST-2; its scores "
        f"differ from the default model's). Pass model=\"{EMBEDDED_NAME}\" to choose it without this warning, "
        f"or set {FALLBACK_SWITCH}=0 to get the error instead."
    )
    logger.warning(message)
    if not _fallback_warned:
        _fallback_warned = True
        warnings.warn(message, OfflineFallbackWarning, stacklevel=3)  # points at the user's pipeline() call
    return model, tokenizer


def _default_model_unavailable(spec, revision, err, embedded_reason):
    return OSError(
        f"No model was given and the default model {spec.default_model} (revision {revision}) could not be "
        f"loaded: {err}\n"
        f"No embedded offline model is available either ({embedded_reason}). Either pass `model=` the folder of a "
        "saved text-classification model, or fetch the default model while online with "
        f"`leanformers download {spec.default_model} --revision {revision}` (unset HF_HUB_OFFLINE for it), "
        "after which it loads from the cache with no network."
    )
