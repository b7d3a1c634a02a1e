"""The deterministic test and benchmark corpus: `sentences(n, seed)`.

Sentences are built from a fixed word list with a seeded `random.Random`, so every
machine gets the same texts without any data files. The mix is mostly plain English
(capitals, punctuation, contractions, numbers) with, in a fixed share of sentences,
accented words, emoji, CJK and other scripts, control characters and unusual
whitespace, special-token strings, very long words, and texts of over 512 tokens.

Used by the WordPiece oracle tests, the BPE oracle tests and benchmarks/tokenizers.py:

    from support.corpus import sentences          # with tests/ on sys.path
    texts = sentences(20_000)             # list of str, identical on every run
    pairs = sentence_pairs(2_000)         # list of (str, str)
"""

import random

WORDS = (
    "the of and to a in is it you that he was for on are with as I his they be at one have this from or had by "
    "hot word but what some we can out other were all there when up use your how said an each she which do their "
    "time if will way about many then them write would like so these her long make thing see him two has look more "
    "day could go come did number sound no most people my over know water than call first who may down side been "
    "now find any new work part take get place made live where after back little only round man year came show "
    "every good me give our under name very through just form sentence great think say help low line differ turn "
    "cause much mean before move right boy old too same tell does set three want air well also play small end put "
    "home read hand port large spell add even land here must big high such follow act why ask men change went "
    "light kind off need house picture try us again animal point mother world near build self earth father movie "
    "film actor director story plot character performance charming dull brilliant tedious heartfelt unwatchable "
    "transformers tokenizer huggingface pipeline sentiment unbelievably extraordinarily antidisestablishmentarianism "
    "supercalifragilistic electroencephalography photosynthesis quarantine zeitgeist rendezvous"
).split()
CONTRACTIONS = ("don't", "I'm", "it's", "can't", "we're", "they've", "won't", "she'd", "y'all", "o'clock")
ACCENTED = ("café", "naïve", "Zürich", "résumé", "ÉCOLE", "façade", "jalapeño", "Ångström", "coöperate", "Dvořák",
            "São Paulo", "smörgåsbord", "İstanbul", "ΣΟΦΙΑ", "ὈΔΥΣΣΕΎΣ", "straße", "ﬁancée", "Å", "e\u0301")
EMOJI = ("🤗", "😀", "👍🏽", "🇫🇷", "👨‍👩‍👧", "❤️", "🎬", "🍿", "✨", "🙈")
SCRIPTS = ("日本語のテキスト", "中文字符", "我爱自然语言处理", "한국어 문장", "Ελληνικά γράμματα", "русский текст",
           "العربية", "हिन्दी भाषा", "עברית", "ภาษาไทย", "𠀀𠀁 rare CJK", "ｆｕｌｌｗｉｄｔｈ", "①②③", "™ © ®")
ODD = ("\t", "\n", "\r\n", "\x00", "\x07", "\x1b", "\u200b", "\u00a0", "\u3000", "\ufeff", "\u2028", "\x85",
       "\ufffd", "\u00ad", "  ", "\x7f", "\ue000", "\u0378")
SPECIAL = ("[MASK]", "[SEP]", "[CLS]", "[PAD]", "[UNK]", "<s>", "</s>", "<mask>", "<|endoftext|>", "[mask]")
PUNCT = (".", ",", "!", "?", ";", ":", "...", " -", " (", ")", '"', "'", " /", " &", " #", " @", " %", " $", " *")


def _number(rng):
    kind = rng.randrange(5)
    if kind == 0:
        return str(rng.randrange(10 ** rng.randrange(1, 9)))
    if kind == 1:
        return f"{rng.randrange(100)}.{rng.randrange(100):02d}%"
    if kind == 2:
        return f"{rng.randrange(1, 29)}/{rng.randrange(1, 13)}/{rng.randrange(1900, 2030)}"
    if kind == 3:
        return f"https://example.com/{rng.choice(WORDS)}?id={rng.randrange(999)}"
    return f"{rng.choice(WORDS)}.{rng.choice(WORDS)}@mail.org"


def _word(rng, extra):
    r = rng.random()
    if extra and r < 0.25:
        return rng.choice(extra)
    if r < 0.05:
        return rng.choice(CONTRACTIONS)
    if r < 0.09:
        return _number(rng)
    word = rng.choice(WORDS)
    r = rng.random()
    if r < 0.08:
        return word.capitalize()
    if r < 0.10:
        return word.upper()
    return word


def _sentence(rng, n_words, extra=()):
    parts = []
    for i in range(n_words):
        parts.append(_word(rng, extra))
        if rng.random() < 0.08:
            parts[-1] += rng.choice(PUNCT)
    text = " ".join(parts)
    if rng.random() < 0.7:
        text = text[:1].upper() + text[1:] + rng.choice(".!?")
    return text


def _glued(rng, pool, n_words):
    """Odd characters inserted between and inside words."""
    out = []
    for _ in range(n_words):
        out.append(_word(rng, ()))
        if rng.random() < 0.5:
            out.append(rng.choice(pool))
    return rng.choice(("", " ")).join(out)


def sentence(rng):
    """One sentence of the corpus mix (see the module docstring)."""
    r = rng.random()
    n = rng.randrange(3, 30)
    if r < 0.65:
        return _sentence(rng, n)
    if r < 0.72:
        return _sentence(rng, n, ACCENTED)
    if r < 0.77:
        return _sentence(rng, n, EMOJI)
    if r < 0.83:
        return _sentence(rng, n, SCRIPTS)
    if r < 0.88:
        return _glued(rng, ODD, n)
    if r < 0.92:
        return _sentence(rng, n, SPECIAL)
    if r < 0.95:
        return _glued(rng, PUNCT + EMOJI + ACCENTED, n)
    if r < 0.97:  # very long words (over 100 characters become [UNK] in WordPiece)
        return " ".join(rng.choice(WORDS) * rng.randrange(1, 40) for _ in range(rng.randrange(1, 5)))
    if r < 0.98:  # empty or blank
        return rng.choice(("", " ", "\n", "\t \t"))
    if r < 0.99:  # over 512 tokens
        return " ".join(_sentence(rng, 30) for _ in range(rng.randrange(20, 35)))
    return _sentence(rng, n, ACCENTED + EMOJI + SCRIPTS + ODD + SPECIAL)


def sentences(n=20_000, seed=0):
    """`n` sentences, the same on every run for the same seed."""
    rng = random.Random(seed)
    return [sentence(rng) for _ in range(n)]


def sentence_pairs(n=2_000, seed=1):
    """`n` (first, second) pairs from the same mix."""
    rng = random.Random(seed)
    return [(sentence(rng), sentence(rng)) for _ in range(n)]
