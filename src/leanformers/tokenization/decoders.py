"""Decoders of tokenizer.json that SentencePiece-style BPE files (Llama-2, Mistral) chain in
a Sequence: ByteFallback, Fuse, Strip, Replace, and the Sequence itself.

The decoder interface: `decode_chain(tokens) -> tokens` is one step of the reference's chain
(each decoder of a Sequence gets the list the one before it gave), and `decode(tokens)` is
the joined result of the chain.
"""

import re

from .components import NamedStage, compile_pattern


class Decoder:
    def decode_chain(self, tokens):
        raise NotImplementedError

    def decode(self, tokens):
        return "".join(self.decode_chain(list(tokens)))


_BYTE_TOKEN = re.compile(r"<0x([0-9A-Fa-f]{2})>")


class ByteFallback(NamedStage, Decoder):
    """Runs of `<0xXX>` tokens become the text of their bytes; a run that is not valid UTF-8
    gives one U+FFFD per byte, as the reference does."""

    def decode_chain(self, tokens):
        out, pending = [], bytearray()

        def flush():
            if pending:
                try:
                    out.append(pending.decode("utf-8"))
                except UnicodeDecodeError:
                    out.extend(["\ufffd"] * len(pending))
                pending.clear()

        for token in tokens:
            m = _BYTE_TOKEN.fullmatch(token) if len(token) == 6 else None
            if m is not None:
                pending.append(int(m.group(1), 16))
                continue
            flush()
            out.append(token)
        flush()
        return out


class Fuse(NamedStage, Decoder):
    """All tokens become one."""

    def decode_chain(self, tokens):
        return ["".join(tokens)]


class Strip(Decoder):
    """Removes up to `start` leading and `stop` trailing `content` characters from each token."""

    def __init__(self, content=" ", start=0, stop=0):
        self.content, self.start, self.stop = content, int(start), int(stop)

    def decode_chain(self, tokens):
        out = []
        for token in tokens:
            a, b = 0, len(token)
            while a < self.start and a < b and token[a] == self.content:
                a += 1
            n = 0
            while n < self.stop and b > a and token[b - 1] == self.content:
                b -= 1
                n += 1
            out.append(token[a:b])
        return out

    def to_dict(self):
        return {"type": "Strip", "content": self.content, "start": self.start, "stop": self.stop}


class Replace(Decoder):
    """Replaces every match of `pattern` ({"String": ..} or {"Regex": ..}) in each token by `content`."""

    def __init__(self, pattern, content):
        self.pattern = dict(pattern)
        self.content = content
        self._compiled = compile_pattern(self.pattern)
        self._literal = self.pattern.get("String")

    def decode_chain(self, tokens):
        if self._literal is not None:
            if not self._literal:
                return list(tokens)
            return [t.replace(self._literal, self.content) for t in tokens]
        content = self.content
        return [self._compiled.sub(lambda m: content, t) for t in tokens]

    def to_dict(self):
        return {"type": "Replace", "pattern": dict(self.pattern), "content": self.content}


class DecoderSequence(Decoder):
    """Each decoder's chain step applied to the tokens the previous one gave."""

    def __init__(self, decoders):
        self.decoders = list(decoders)

    def decode_chain(self, tokens):
        for d in self.decoders:
            tokens = d.decode_chain(tokens)
        return tokens

    def to_dict(self):
        return {"type": "Sequence", "decoders": [d.to_dict() for d in self.decoders]}
