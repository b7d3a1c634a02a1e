"""The tokenizer API loads without torch, and torch comes in only for tensors."""

import subprocess
import sys

from support.paths import SRC

CODE = """
import sys
sys.path.insert(0, {src!r})
import leanformers
assert 'torch' not in sys.modules, 'import leanformers imported torch'
from leanformers import AutoTokenizer, BertTokenizer, DistilBertTokenizer, BatchEncoding
tok = BertTokenizer(vocab={{'[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3, '[MASK]': 4, 'hi': 5}})
enc = tok(['hi there', 'hi'], padding=True, return_tensors='np')
print(tok.decode(enc['input_ids'][0]), enc.word_ids(0))
assert 'torch' not in sys.modules, 'tokenizing imported torch'
tok(['hi'], return_tensors='pt')
assert 'torch' in sys.modules
print('ok')
"""


def test_tokenizer_api_does_not_import_torch():
    result = subprocess.run([sys.executable, "-c", CODE.format(src=str(SRC))], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")
