"""GenerationMixin.generate(): greedy search, multinomial sampling and beam search over a model's cache."""

import torch
import torch.nn.functional as F

from ..configuration import CONFIG_NAME, read_config_file
from ..hub import pop_hub_kwargs, resolve_file
from ..modeling.cache import DynamicCache, EncoderDecoderCache
from ..modeling.inputs import check_inputs, unchecked
from ..utils.options import check_int
from .config import DEFAULTS, GENERATION_CONFIG_NAME, UNSUPPORTED_DEFAULTS, GenerationConfig
from .processors import logits_processors


class GenerationMixin:
    """generate() for models with a language-model head. Decoder-only models are fed the prompt (left padding
    and its attention mask respected) and then one token per step; encoder-decoder models run the encoder once
    and decode from decoder_start_token_id. Returns the token ids, (B * num_return_sequences, length)."""

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *model_args, **kwargs):
        hub_kwargs = pop_hub_kwargs(dict(kwargs))
        model = super().from_pretrained(pretrained_model_name_or_path, *model_args, **kwargs)
        found = resolve_file(pretrained_model_name_or_path, GENERATION_CONFIG_NAME, required=False, **hub_kwargs)
        if found is not None:
            generation_config = GenerationConfig.from_json_file(found)
        else:  # an old checkpoint keeps its generation settings (num_beams, max_length, ...) in config.json
            config_file = resolve_file(pretrained_model_name_or_path, CONFIG_NAME, required=False, **hub_kwargs)
            if config_file is None:  # the model came from a config object and weights alone
                return model
            generation_config = GenerationConfig.from_model_config(read_config_file(config_file))
        (model[0] if isinstance(model, tuple) else model).generation_config = generation_config
        return model

    @property
    def generation_config(self):
        if "_generation_config" not in self.__dict__:
            self.__dict__["_generation_config"] = GenerationConfig.from_model_config(self.config)
        return self.__dict__["_generation_config"]

    @generation_config.setter
    def generation_config(self, value):
        self.__dict__["_generation_config"] = value

    def _companion_files(self):
        return {GENERATION_CONFIG_NAME: self.generation_config.to_json_string()}

    @torch.inference_mode()
    def generate(self, input_ids=None, attention_mask=None, generation_config=None, generator=None, streamer=None,
                 **kwargs):
        """Each setting comes from the keyword arguments, else `generation_config`, else the model's
        generation_config.json (or its config), else `DEFAULTS`. `generator`: a torch.Generator for sampling
        (None: the global RNG, as transformers). `streamer` (a TextStreamer, ...): given the prompt, each new token
        and the end, as transformers gives them (greedy search and sampling)."""
        gc = self._settings(generation_config, kwargs)
        if streamer is not None and gc.num_beams > 1:
            raise ValueError("`streamer` cannot be used with beam search (yet!). Make sure that `num_beams` is set "
                             "to 1.")
        # no max_length anywhere: transformers' default of 20 new tokens (within the model's positions) applies
        default_length = "max_length" not in kwargs and "max_length" not in gc.to_dict()
        eos = _as_list(gc.eos_token_id)
        pad = gc.pad_token_id if gc.pad_token_id is not None else (eos[0] if eos else None)
        if input_ids is not None and input_ids.dim() != 2:
            raise ValueError(f"input_ids must be 2-D (batch, length), got shape {tuple(input_ids.shape)}; "
                             "add a batch dimension with input_ids[None].")
        if input_ids is None or input_ids.size(-1) == 0:
            if gc.bos_token_id is None or self.config.is_encoder_decoder:
                raise ValueError(
                    "The prompt is empty and there is no bos_token_id to start from. Pass a non-empty input_ids "
                    "(e.g. tokenizer('Once upon a time', return_tensors='pt')), or set bos_token_id.")
            batch = 1 if input_ids is None else input_ids.size(0)
            input_ids = torch.full((batch, 1), gc.bos_token_id, dtype=torch.long, device=self.device)
            attention_mask = None
        input_ids = input_ids.to(self.device)
        check_inputs(self, {"input_ids": input_ids, "attention_mask": attention_mask})  # once, not at each step
        if attention_mask is None and not self.config.is_encoder_decoder:
            if pad is not None and pad not in eos and bool((input_ids == pad).any()):
                attention_mask = input_ids.ne(pad).long()
        attention_mask = attention_mask.to(self.device) if attention_mask is not None else None
        if attention_mask is not None and bool(attention_mask.all()):
            attention_mask = None  # no padding: no step needs a mask, and a single new token attends to everything

        B = input_ids.size(0)
        expand = max(gc.num_beams, gc.num_return_sequences)
        if self.config.is_encoder_decoder:
            step = self._encoder_decoder_steps(input_ids, attention_mask, expand)
            start = gc.decoder_start_token_id if gc.decoder_start_token_id is not None else gc.bos_token_id
            if start is None:
                raise ValueError("decoder_start_token_id (or bos_token_id) must be set to generate with an "
                                 "encoder-decoder model; set it in generation_config.json or pass it.")
            ids = torch.full((B * expand, 1), start, dtype=torch.long, device=self.device)
            pad_lengths = None  # the decoder prompt has no padding
        else:
            ids = input_ids.repeat_interleave(expand, dim=0)
            mask = attention_mask.repeat_interleave(expand, dim=0) if attention_mask is not None else None
            step = self._decoder_only_steps(ids, mask)
            pad_lengths = mask.ne(0).int().argmax(1) if mask is not None else None
        prompt_length = ids.size(1)
        if streamer is not None:
            streamer.put(ids.cpu())
        max_length = self._max_length(gc, prompt_length, eos, default_length)
        processors = logits_processors(gc, prompt_length, eos, max_length, pad_lengths)
        self_attention = DynamicCache(capacity=max_length)  # the final length is known: no growing copies
        cache = EncoderDecoderCache(self_attention) if self.config.is_encoder_decoder else self_attention
        with unchecked():  # the prompt was checked above; each step's new tokens come from the logits
            if gc.num_beams > 1:
                return self._beam_search(ids, step, cache, processors, gc, B, max_length, eos, pad, generator)
            ids = self._greedy_or_sample(ids, step, cache, processors, gc, max_length, eos, pad, generator, streamer)
        if streamer is not None:
            streamer.end()
        return ids

    # ----------------------------------------------------------------- settings

    def _settings(self, generation_config, kwargs):
        gc = GenerationConfig(**self.generation_config.to_dict())
        if generation_config is not None:
            gc.update(**generation_config.to_dict())
        unknown = [key for key in kwargs if key not in DEFAULTS]
        if unknown:
            raise ValueError(f"generate() got unknown arguments {unknown}; generation settings are "
                             f"{sorted(DEFAULTS)} (check for typos).")
        gc.update(**kwargs)
        settings = gc.to_dict()
        unsupported = sorted(key for key, neutral in UNSUPPORTED_DEFAULTS.items()
                             if settings.get(key, neutral) not in (None, neutral))
        if unsupported:
            raise ValueError(f"The generation config sets {', '.join(f'{k}={settings[k]!r}' for k in unsupported)}, "
                             "which leanformers' generate() does not implement (transformers' does), so the result "
                             "would differ. Set them to their defaults "
                             f"({', '.join(f'{k}={UNSUPPORTED_DEFAULTS[k]!r}' for k in unsupported)}) in "
                             "generation_config.json (or config.json) or in model.generation_config.")
        check_int("num_beams", gc.num_beams, 1)
        check_int("num_return_sequences", gc.num_return_sequences, 1)
        check_int("max_new_tokens", gc.max_new_tokens, 1, none="up to max_length")
        check_int("max_length", gc.max_length, 1, none="the model's maximum")
        if gc.num_beams > 1 and gc.num_return_sequences > gc.num_beams:
            raise ValueError(f"num_return_sequences ({gc.num_return_sequences}) must be at most num_beams "
                             f"({gc.num_beams}): beam search returns its best beams. Raise num_beams or lower "
                             "num_return_sequences.")
        if gc.num_beams == 1 and not gc.do_sample and gc.num_return_sequences > 1:
            raise ValueError(f"Greedy search returns one sequence per input, got num_return_sequences="
                             f"{gc.num_return_sequences}. Use do_sample=True or num_beams >= num_return_sequences.")
        if gc.do_sample:
            if not gc.temperature or gc.temperature <= 0:
                raise ValueError(f"temperature must be a strictly positive float when sampling, got "
                                 f"{gc.temperature}; for greedy decoding use do_sample=False.")
            check_int("top_k", gc.top_k, 0, none="no top-k filtering")
            if not 0 <= gc.top_p <= 1:
                raise ValueError(f"top_p must be between 0 and 1, got {gc.top_p}.")
        return gc

    def _max_length(self, gc, prompt_length, eos, default_length):
        """The total length (prompt included) at which generation stops, as transformers computes it."""
        if gc.max_new_tokens is not None:
            return prompt_length + gc.max_new_tokens
        positions = getattr(self.config, "max_position_embeddings", None)
        if gc.max_length is None:
            if not eos:
                raise ValueError(
                    "Generation has no end: max_length and max_new_tokens are None and there is no eos_token_id. "
                    "Pass max_new_tokens (e.g. max_new_tokens=50), or an eos_token_id.")
            if positions is None:
                raise ValueError("max_length is None and the model has no max_position_embeddings; pass "
                                 "max_new_tokens.")
            return positions
        if default_length:
            length = gc.max_length + prompt_length
            return min(length, positions) if positions is not None else length
        if prompt_length >= gc.max_length:
            raise ValueError(f"The prompt has {prompt_length} tokens but max_length is {gc.max_length}, so nothing "
                             "can be generated. Use max_new_tokens to set how many tokens to add.")
        return gc.max_length

    # ----------------------------------------------------------------- model steps

    def _decoder_only_steps(self, ids, mask):
        """step(tokens, cache) -> next-token logits (N, V) float32: the prompt first, then one token a step.
        Positions count real tokens only, so a left-padded row starts at 0 like an unpadded one."""
        state = {"positions": (mask.cumsum(-1) - 1).masked_fill(mask == 0, 0) if mask is not None
                 else torch.arange(ids.size(1), device=ids.device)[None].expand(ids.size(0), -1),
                 "mask": mask}

        def step(tokens, cache):
            if cache.get_seq_length():  # one new token: extend the mask and the positions
                if state["mask"] is not None:
                    state["mask"] = F.pad(state["mask"], (0, 1), value=1)
                state["positions"] = state["positions"][:, -1:] + 1
            out = self(input_ids=tokens, attention_mask=state["mask"], position_ids=state["positions"],
                       cache=cache, use_cache=True, logits_to_keep=1)
            return out.logits[:, -1].float()

        return step

    def _encoder_decoder_steps(self, input_ids, attention_mask, expand):
        encoder_states = self.get_encoder()(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        encoder_outputs = (encoder_states.repeat_interleave(expand, dim=0),)
        mask = attention_mask.repeat_interleave(expand, dim=0) if attention_mask is not None else None

        def step(tokens, cache):
            out = self(attention_mask=mask, encoder_outputs=encoder_outputs, decoder_input_ids=tokens, cache=cache,
                       use_cache=True, logits_to_keep=1)
            return out.logits[:, -1].float()

        return step

    # ----------------------------------------------------------------- decoding

    def _greedy_or_sample(self, ids, step, cache, processors, gc, max_length, eos, pad, generator, streamer):
        eos_tensor = torch.tensor(eos, device=ids.device) if eos else None
        unfinished = torch.ones(ids.size(0), dtype=torch.bool, device=ids.device)
        logits = step(ids, cache)
        while True:
            scores = logits
            for process in processors:
                scores = process(ids, scores)
            if gc.do_sample:
                next_tokens = torch.multinomial(F.softmax(scores, dim=-1), 1, generator=generator).squeeze(1)
            else:
                next_tokens = scores.argmax(-1)
            if eos_tensor is not None:  # finished rows are padded
                next_tokens = torch.where(unfinished, next_tokens, pad)
            ids = torch.cat([ids, next_tokens[:, None]], dim=1)
            if streamer is not None:
                streamer.put(next_tokens.cpu())
            if ids.size(1) >= max_length:
                return ids
            if eos_tensor is not None:  # the one device sync a step, and only when an eos can stop rows
                unfinished &= ~torch.isin(next_tokens, eos_tensor)
                if not bool(unfinished.any()):
                    return ids
            logits = step(next_tokens[:, None], cache)

    def _beam_search(self, ids, step, cache, processors, gc, B, max_length, eos, pad, generator):
        """Vectorised beam search with transformers' bookkeeping: per batch item, the best `keep` continuations of
        all beams; those that end (eos or length) compete for the `num_beams` finished slots (score / length **
        length_penalty), the rest continue; stop when no running beam can beat the finished ones."""
        K, lp, early = gc.num_beams, gc.length_penalty, gc.early_stopping
        keep = max(2, 1 + len(eos)) * K
        top_slots = torch.arange(keep, device=ids.device) < K
        eos_tensor = torch.tensor(eos, device=ids.device) if eos else None
        cur, prompt_length = ids.size(1), ids.size(1)
        fill = (pad if pad else eos[0]) if eos else -1

        running = torch.full((B, K, max_length), fill, dtype=torch.long, device=ids.device)
        running[:, :, :cur] = ids.view(B, K, cur)
        finished_seqs = running.clone()
        running_scores = torch.zeros(B, K, device=ids.device)
        running_scores[:, 1:] = -1e9  # all beams start equal: only the first may expand at step one
        finished_scores = torch.full((B, K), -1e9, device=ids.device)
        is_finished = torch.zeros(B, K, dtype=torch.bool, device=ids.device)
        can_improve = torch.ones(B, 1, dtype=torch.bool, device=ids.device)
        running_origin = torch.full((B, K, max_length - cur), -1, dtype=torch.int32, device=ids.device)
        finished_origin = running_origin.clone()
        batch_offset = torch.arange(B, device=ids.device)[:, None] * K

        flat = ids
        logits = step(flat, cache)
        while True:
            scores = F.log_softmax(logits, dim=-1)
            for process in processors:
                scores = process(flat, scores)
            V = scores.size(-1)
            scores = (scores.view(B, K, V) + running_scores[:, :, None]).view(B, K * V)
            if gc.do_sample:
                picked = torch.multinomial(F.softmax(scores, dim=-1), keep, generator=generator)
                top_scores, order = scores.gather(1, picked).sort(dim=-1, descending=True)
                picked = picked.gather(1, order)
            else:
                top_scores, picked = torch.topk(scores, keep)
            beam = picked // V  # (B, keep): which beam each continuation extends
            top_seqs = _gather(running, beam)
            top_seqs[:, :, cur] = picked % V
            top_origin = _gather(running_origin, beam)
            top_origin[:, :, cur - prompt_length] = (beam + batch_offset).int()
            ends = torch.full_like(top_scores, cur + 1 >= max_length, dtype=torch.bool)
            if eos_tensor is not None:
                ends |= torch.isin(top_seqs[:, :, cur], eos_tensor)

            # the best continuations that did not end run on
            alive_scores = top_scores + ends.float() * -1e9
            best = torch.topk(alive_scores, K)[1]
            running, running_scores, running_origin = (_gather(t, best) for t in (top_seqs, alive_scores, top_origin))

            # those that ended among the top K join the finished ones if they score better
            just_finished = ends & top_slots[None]
            candidate = top_scores / ((cur + 1 - prompt_length) ** lp)
            candidate = candidate + (is_finished.all(-1, keepdim=True) & (early is True)).float() * -1e9
            candidate = candidate + (~can_improve).float() * -1e9
            candidate = candidate + (~just_finished) * -1e9
            merged_scores = torch.cat([finished_scores, candidate], dim=1)
            best = torch.topk(merged_scores, K)[1]
            finished_seqs = _gather(torch.cat([finished_seqs, top_seqs], dim=1), best)
            finished_scores = _gather(merged_scores, best)
            finished_origin = _gather(torch.cat([finished_origin, top_origin], dim=1), best)
            is_finished = _gather(torch.cat([is_finished, just_finished], dim=1), best)

            cache.reorder_cache(running_origin[..., cur - prompt_length].flatten().long())
            cur += 1
            hypothetical = max_length - prompt_length if early == "never" and lp > 0 else cur - prompt_length
            best_running = running_scores[:, :1] / (hypothetical ** lp)
            worst_finished = torch.where(is_finished, finished_scores.min(1, keepdim=True)[0], -1e9)
            can_improve = can_improve & (best_running > worst_finished).any(-1, keepdim=True)
            done = (not bool(can_improve.any()) or (bool(is_finished.all()) and early is True)
                    or bool(ends.all()))
            if done:
                break
            flat = running[:, :, :cur].reshape(B * K, cur)
            logits = step(flat[:, -1:], cache)

        n = gc.num_return_sequences
        sequences = finished_seqs[:, :n].reshape(B * n, -1)
        generated = (finished_origin[:, :n].reshape(B * n, -1) != -1).sum(1).max()
        return sequences[:, :prompt_length + int(generated)]


def _gather(t, index):
    """t (B, K, ...) -> t[b, index[b, j], ...]: pick beams per batch item."""
    while index.dim() < t.dim():
        index = index.unsqueeze(-1)
    return torch.take_along_dim(t, index, dim=1)


def _as_list(token_ids):
    if token_ids is None:
        return []
    return [token_ids] if isinstance(token_ids, int) else list(token_ids)
