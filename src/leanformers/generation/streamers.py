"""Streamers: generate(streamer=...) hands them the prompt, then each new token, then the end, as transformers'.

TextStreamer prints the text as it comes, holding back what a later token may still change (a word not yet
followed by a space), exactly as transformers' TextStreamer prints it.
"""

import unicodedata

# the CJK ideograph blocks, whose characters are words of their own: printed as soon as they are decoded
_CJK_BLOCKS = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
               (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


class BaseStreamer:
    """What generate() calls: put(token ids) for the prompt and then each step's tokens, end() when done."""

    def put(self, value):
        raise NotImplementedError

    def end(self):
        raise NotImplementedError


class TextStreamer(BaseStreamer):
    """Print the generated text to stdout as it is decoded (`skip_prompt`: not the prompt); `decode_kwargs` go to
    tokenizer.decode (e.g. skip_special_tokens=True). One sequence at a time, as in transformers."""

    def __init__(self, tokenizer, skip_prompt=False, **decode_kwargs):
        self.tokenizer = tokenizer
        self.skip_prompt = skip_prompt
        self.decode_kwargs = decode_kwargs
        self.token_cache = []  # the ids decoded together, so that a word split over tokens decodes whole
        self.print_len = 0  # how much of their text is printed
        self.next_tokens_are_prompt = True

    def put(self, value):
        if value.dim() > 1:
            if value.shape[0] > 1:
                raise ValueError("TextStreamer only supports batch size 1")
            value = value[0]
        if self.skip_prompt and self.next_tokens_are_prompt:
            self.next_tokens_are_prompt = False
            return
        self.token_cache.extend(value.tolist())
        text = self._decode(self.token_cache)
        pending = text[self.print_len:]
        if text.endswith("\n"):  # a line is done: start again from its last token, which decodes the next space
            self.token_cache = self.token_cache[-1:]
            self.print_len = len(self._decode(self.token_cache))
        elif not (text and _is_cjk(text[-1])) and not all(
                char.isspace() or unicodedata.category(char)[0] in "LMN" for char in pending):
            pending = text[self.print_len:text.rfind(" ") + 1]  # a symbol may still change: up to the last space
            self.print_len += len(pending)
        else:  # an ideograph, or letters, marks, digits and spaces only: final already
            self.print_len += len(pending)
        self.on_finalized_text(pending)

    def end(self):
        pending = self._decode(self.token_cache)[self.print_len:] if self.token_cache else ""
        self.token_cache, self.print_len = [], 0
        self.next_tokens_are_prompt = True
        self.on_finalized_text(pending, stream_end=True)

    def on_finalized_text(self, text, stream_end=False):
        """Print `text` (a newline after it at the end of the stream); override to send the text elsewhere."""
        print(text, flush=True, end=None if stream_end else "")

    def _decode(self, ids):
        return self.tokenizer.decode(ids, **self.decode_kwargs)


def _is_cjk(char):
    return any(low <= ord(char) <= high for low, high in _CJK_BLOCKS)
