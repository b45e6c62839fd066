"""Transformer (GPT-NeoX) and SWA Transformer (Mistral): KV-cache stepping equals the full forward,
row by row, however rows pause; the sliding window holds in training and stepping, in fixed memory."""

import pytest
import torch
from pydantic import ValidationError

import toolenv
from agents.backbones.swa_transformer import SWATransformer
from agents.backbones.transformer import Transformer

V = toolenv.vocab.VOCAB_SIZE
TOL = 1e-4  # float32, absolute, on logits of magnitude ~1 (observed: ~3e-7)

CASES = [
    (Transformer, {}),
    (Transformer, {"attn_implementation": "eager"}),
    (SWATransformer, {"window": 6}),
    (SWATransformer, {"window": 6, "attn_implementation": "eager", "n_kv_heads": 2}),
    (SWATransformer, {"window": 1}),
]
IDS = ["neox-sdpa", "neox-eager", "swa-sdpa", "swa-eager-gqa", "swa-window1"]


def _model(cls, **kw):
    torch.manual_seed(0)
    return cls.from_preset("tiny", **kw).eval()


def _step_rows(model, x, paused):
    """Feed row b's tokens in order, skipping the steps in paused[b]; rows that run out stay
    paused. Returns each row's logits for its own tokens, and the final state."""
    B, T = x.shape
    state, got, ptr, t = model.init_state(B, x.device), [[] for _ in range(B)], [0] * B, 0
    while min(ptr) < T:
        mask = torch.tensor([ptr[b] < T and t not in paused[b] for b in range(B)], device=x.device)
        tokens = torch.tensor([int(x[b, min(ptr[b], T - 1)]) for b in range(B)], device=x.device)
        logits, state = model.step(tokens, state, mask)
        for b in range(B):
            if mask[b]:
                got[b].append(logits[b])
                ptr[b] += 1
        t += 1
    return [torch.stack(g) for g in got], state


@pytest.mark.parametrize("cls,kw", CASES, ids=IDS)
def test_stepping_with_pauses_equals_each_row_run_alone(cls, kw):
    m = _model(cls, **kw)
    x = torch.randint(4, V, (3, 24), generator=torch.Generator().manual_seed(1))
    # row 0 never pauses; row 1 pauses at the start and for a run longer than the window; row 2
    # pauses every other step (its tokens are spread over twice as many cache steps)
    paused = [set(), {0, 1, 2, *range(8, 20)}, set(range(0, 48, 2))]
    with torch.no_grad():
        got, _ = _step_rows(m, x, paused)
        for b in range(3):
            alone = m(x[b : b + 1])[0]
            assert (got[b] - alone).abs().max() < TOL, f"row {b}"


@pytest.mark.parametrize("cls,kw", CASES[:3], ids=IDS[:3])
def test_stepping_without_mask_equals_full_forward(cls, kw):
    m = _model(cls, **kw)
    x = torch.randint(4, V, (2, 20), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        state, steps = m.init_state(2), []
        for t in range(x.shape[1]):
            logits, state = m.step(x[:, t], state)
            steps.append(logits)
        assert (torch.stack(steps, 1) - m(x)).abs().max() < TOL


def test_full_attention_cache_grows_geometrically_and_stays_exact_across_growths():
    """Appending one slot per step reallocates the cache O(log T) times, not every step (a
    37k-token Hanoi episode copied its whole cache at each step), and stepping across those
    reallocations (at 64, 96 and 144 slots) still equals the full forward, with a paused row."""
    m = _model(Transformer)
    x = torch.randint(4, V, (2, 150), generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        got, state = _step_rows(m, x, [set(), {3, 70, 71, 140}])
        for b in range(2):
            assert (got[b] - m(x[b : b + 1])[0]).abs().max() < TOL, f"row {b}"
        storages, state = set(), m.init_state(2)
        for t in range(300):
            _, state = m.step(x[:, t % 150], state)
            storages.add(state.cache.layers[0].keys.data_ptr())
    assert len(storages) <= 5  # capacities 64, 97, 147, 222, 334


def _leaves(state):
    return torch.utils._pytree.tree_flatten(state)[0]


@pytest.mark.parametrize("cls,kw", [CASES[0], CASES[2]], ids=[IDS[0], IDS[2]])
def test_after_reserve_steps_keep_every_state_tensor(cls, kw):
    """The CUDA-graph contract (Backbone.fixed_state): for the steps ``reserve`` made room for, a
    step keeps the shape of every tensor of its state; ``reserve`` grows a full-attention cache
    at once (and leaves a state with room untouched: no new capture), and stepping across its
    growths stays exact."""
    m = _model(cls, **kw)
    x = torch.randint(4, V, (2, 100), generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        _, state = m.step(x[:, 0], m.init_state(2))
        got = [m(x[:, :1])[:, 0]]
        for block in range(1, 100, 33):
            state = m.reserve(state, 33)
            shapes = [(t.shape, t.dtype) for t in _leaves(state)]
            for t in range(block, min(block + 33, 100)):
                logits, state = m.step(x[:, t], state)
                got.append(logits)
                assert [(t.shape, t.dtype) for t in _leaves(state)] == shapes, f"step {t}"
            held = _leaves(state)
            assert all(a is b for a, b in zip(_leaves(m.reserve(state, 0)), held, strict=True))
        assert (torch.stack(got, 1) - m(x)).abs().max() < TOL
    if cls is Transformer:
        assert state.cache.capacity >= 100 and state.slot_positions.shape == (2, state.cache.capacity)


@pytest.mark.parametrize("cls,kw", [CASES[0], CASES[2]], ids=[IDS[0], IDS[2]])
def test_state_as_a_pytree_of_copies_continues_the_same(cls, kw):
    """``rollout`` swaps a policy's state for copies of its tensors (a graph's static inputs):
    unflattening copies gives a state that steps on exactly as the original."""
    m = _model(cls, **kw)
    x = torch.randint(4, V, (2, 30), generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        state = m.init_state(2)
        for t in range(10):
            _, state = m.step(x[:, t], state)
        leaves, spec = torch.utils._pytree.tree_flatten(state)
        assert all(isinstance(leaf, torch.Tensor) for leaf in leaves)
        copy = torch.utils._pytree.tree_unflatten([leaf.clone() for leaf in leaves], spec)
        assert all(a is not b for a, b in zip(_leaves(copy), leaves))
        got = []
        for t in range(10, 30):
            logits, copy = m.step(x[:, t], copy)
            got.append(logits)
        assert (torch.stack(got, 1) - m(x)[:, 10:]).abs().max() < TOL


@pytest.mark.parametrize("window", [1, 5])
def test_sliding_window_hides_older_tokens_in_forward_and_stepping(window):
    m = _model(SWATransformer, window=window, n_layers=1)  # one layer: the receptive field is the window
    x = torch.randint(4, V, (1, 16), generator=torch.Generator().manual_seed(3))
    t = 12
    outside, inside = x.clone(), x.clone()
    outside[0, t - window] = (x[0, t - window] + 1) % V  # just outside the window of t
    inside[0, t - window + 1] = (x[0, t - window + 1] + 1) % V  # oldest token inside it
    with torch.no_grad():
        base, out, ins = m(x)[0, t], m(outside)[0, t], m(inside)[0, t]
        # paused steps inside the window: it counts the row's tokens, not cache steps
        stepped = _step_rows(m, outside, [{10, 11, 12, 13}])[0][0][t]
    assert (out - base).abs().max() < 1e-6
    assert (ins - base).abs().max() > 1e-3
    assert (stepped - base).abs().max() < TOL


def test_sliding_window_stepping_memory_is_fixed():
    m = _model(SWATransformer, window=5)
    x = torch.randint(4, V, (2, 40))
    with torch.no_grad():
        _, state = _step_rows(m, x, [set(range(0, 80, 3)), {5, 6, 7}])
    assert state.slot_positions.shape == (2, 5)  # a ring of `window` slots per row
    assert all(layer.keys.shape[-2] == 5 for layer in state.cache.layers)


@pytest.mark.parametrize("cls,kw", CASES[::2], ids=IDS[::2])
def test_stepping_under_autograd_matches_and_backpropagates(cls, kw):
    m = _model(cls, **kw)
    x = torch.randint(4, V, (2, 12), generator=torch.Generator().manual_seed(5))
    got, _ = _step_rows(m, x, [{1, 2}, set()])
    assert (torch.stack(got) - m(x)).abs().max() < TOL
    torch.stack(got).logsumexp(-1).sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in m.parameters())


def test_full_attention_sees_the_first_token():
    m = _model(Transformer, n_layers=1)
    x = torch.randint(4, V, (1, 40), generator=torch.Generator().manual_seed(4))
    y = x.clone()
    y[0, 0] = (x[0, 0] + 1) % V
    with torch.no_grad():
        assert (m(x)[0, -1] - m(y)[0, -1]).abs().max() > 1e-3


@pytest.mark.parametrize("cls", [Transformer, SWATransformer])
def test_backward_gives_finite_gradients_for_every_parameter(cls):
    m = _model(cls).train()
    m(torch.randint(4, V, (2, 80))).logsumexp(-1).mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in m.parameters())


@pytest.mark.parametrize("cls,bad,field", [
    (Transformer, {"n_heads": 3}, "d_model"),
    (Transformer, {"d_model": 0}, "d_model"),
    (Transformer, {"rotary_pct": 1.5}, "rotary_pct"),
    (Transformer, {"attn_implementation": "flash"}, "attn_implementation"),
    (SWATransformer, {"window": 0}, "window"),
    (SWATransformer, {"n_kv_heads": 3}, "n_kv_heads"),
])
def test_bad_config_names_the_field(cls, bad, field):
    with pytest.raises(ValidationError, match=field):
        cls.from_preset("tiny", **bad)


@pytest.mark.parametrize("cls", [Transformer, SWATransformer])
def test_presets_build_and_grow(cls):
    tiny, small = cls.from_preset("tiny"), cls.from_preset("small")
    assert small.num_parameters() > tiny.num_parameters()
    assert tiny(torch.randint(4, V, (1, 5))).shape == (1, 5, V)


def test_transformer_is_pythia_style():
    hf = Transformer.from_preset("tiny").model.config
    assert hf.use_parallel_residual and hf.rope_parameters["partial_rotary_factor"] == 0.25


# Paper App. C shapes with toolenv's 120-token vocabulary (the paper's 50k-token embeddings would
# add ~77M to each). Pythia row: 24 x 768 (113.6M here), Mistral row: 8 x 768, window 512 (47.4M).
@pytest.mark.parametrize("cls,low,high", [(Transformer, 110e6, 117e6), (SWATransformer, 45e6, 50e6)])
def test_paper_presets_have_the_papers_scale(cls, low, high):
    with torch.device("meta"):
        m = cls.from_preset("paper")
    assert low < m.num_parameters() < high
    if cls is SWATransformer:
        assert m.config.window == 512 and m.model.config.sliding_window == 512


# --- sliding-window attention in blocks (agents/backbones/sliding_attention.py) ---------------------

def _swa_pair(**kw):
    """The same random SWA model twice: the default blockwise attention and transformers' sdpa."""
    chunks = _model(SWATransformer, **kw)
    sdpa = SWATransformer.from_preset("tiny", **kw, attn_implementation="sdpa").eval()
    sdpa.load_state_dict(chunks.state_dict())
    return chunks, sdpa


def test_swa_default_is_the_blockwise_attention_and_old_configs_keep_sdpa():
    m = _model(SWATransformer)
    assert m.config.attn_implementation == "sdpa_sliding_chunks"
    assert m.model.config._attn_implementation == "sdpa_sliding_chunks"
    old = {**m.config.model_dump(), "attn_implementation": "sdpa"}  # a checkpoint's config.json before
    assert SWATransformer(type(m.config).model_validate(old)).model.config._attn_implementation == "sdpa"


# lengths below, at, a multiple of and not a multiple of the window; grouped queries; window 1
@pytest.mark.parametrize("kw", [{"window": 6}, {"window": 6, "n_kv_heads": 2}, {"window": 4, "n_kv_heads": 1},
                                {"window": 1}], ids=["w6", "w6-gqa", "w4-mqa", "w1"])
@pytest.mark.parametrize("length", [3, 6, 18, 23])
def test_blockwise_attention_equals_sdpa_in_logits_and_gradients(kw, length):
    chunks, sdpa = _swa_pair(**kw)
    x = torch.randint(4, V, (3, length), generator=torch.Generator().manual_seed(6))
    a, b = chunks(x), sdpa(x)
    assert (a - b).abs().max() < TOL
    a.sum().backward()
    b.sum().backward()
    for (name, p), q in zip(chunks.named_parameters(), sdpa.parameters()):
        scale = q.grad.abs().max().clamp_min(1.0)
        assert (p.grad - q.grad).abs().max() / scale < 1e-5, name


def test_blockwise_training_forward_builds_no_sequence_by_sequence_mask(monkeypatch):
    """Every attention call of a training forward at L = 40, window 6 gets no mask or the fixed
    (window, 2 * window) one; transformers' sdpa path gets an (L, L) one."""
    import agents.backbones.sliding_attention as sa

    seen = []
    real = torch.nn.functional.scaled_dot_product_attention

    def spy(q, k, v, attn_mask=None, **kw):
        seen.append(None if attn_mask is None else tuple(attn_mask.shape[-2:]))
        return real(q, k, v, attn_mask=attn_mask, **kw)

    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", spy)
    chunks, sdpa = _swa_pair(window=6)
    x = torch.randint(4, V, (2, 40))
    chunks(x)
    assert seen and set(seen) <= {None, (6, 12)}, seen
    seen.clear()
    sdpa(x)
    assert (40, 40) in seen
    assert sa.sliding_chunks_mask(batch_size=2, q_length=40, kv_length=40, q_offset=0, kv_offset=0,
                                  attention_mask=None, allow_is_causal_skip=True) is None


def test_blockwise_model_with_a_padding_mask_equals_sdpa():
    """A 2-D padding mask (left padding) is not the training case: the mask function hands it to
    transformers' sdpa_mask, and the real tokens' logits equal the sdpa model's."""
    chunks, sdpa = _swa_pair(window=4)
    x = torch.randint(4, V, (2, 15), generator=torch.Generator().manual_seed(7))
    pad = torch.ones_like(x)
    pad[1, :5] = 0
    with torch.no_grad():
        a = chunks.model(input_ids=x, attention_mask=pad, use_cache=False).logits
        b = sdpa.model(input_ids=x, attention_mask=pad, use_cache=False).logits
    assert (a - b)[pad.bool()].abs().max() < TOL


def test_blockwise_model_with_transformers_cache_equals_full_forward():
    """transformers' own cache (prefill longer than the window, then one token at a time) still
    gets masks from sdpa_mask once queries and keys differ."""
    m = _model(SWATransformer, window=5)
    x = torch.randint(4, V, (2, 20), generator=torch.Generator().manual_seed(8))
    with torch.no_grad():
        full = m(x)
        out = m.model(input_ids=x[:, :12], use_cache=True)
        cache, steps = getattr(out, m._cache_kw, None) or out.past_key_values, [out.logits]
        for t in range(12, 20):
            out = m.model(input_ids=x[:, t:t + 1], use_cache=True, **{m._cache_kw: cache})
            steps.append(out.logits)
    assert (torch.cat(steps, 1) - full).abs().max() < TOL


@pytest.mark.parametrize("impl", ["sdpa_sliding_chunks", "sdpa"])
def test_swa_stepping_equals_full_forward_for_each_implementation(impl):
    m = _model(SWATransformer, window=4, n_kv_heads=2, attn_implementation=impl)
    x = torch.randint(4, V, (2, 19), generator=torch.Generator().manual_seed(9))
    with torch.no_grad():
        got, _ = _step_rows(m, x, [{2, 3, 9}, set()])
        assert (torch.stack(got) - m(x)).abs().max() < TOL


@pytest.mark.gpu
def test_blockwise_attention_equals_sdpa_on_cuda_in_bf16():
    chunks, sdpa = (m.cuda() for m in _swa_pair(window=64, n_kv_heads=2))
    x = torch.randint(4, V, (2, 1000), device="cuda", generator=torch.Generator("cuda").manual_seed(10))
    with torch.autocast("cuda", dtype=torch.bfloat16):
        a, b = chunks(x).float(), sdpa(x).float()
    assert (a - b).abs().max() < 0.05  # bf16, logits of magnitude ~1


def test_an_unknown_decode_attention_kernel_is_named(monkeypatch):
    from agents.backbones import hf_causal

    monkeypatch.setenv(hf_causal.DECODE_ATTENTION_ENV, "flash")
    with pytest.raises(toolenv.ToolEnvError, match="TOOLENV_DECODE_ATTENTION='flash'.*math"):
        hf_causal.decode_attention()


@pytest.mark.gpu
@pytest.mark.parametrize("kernel", ["math", "sdpa"])
@pytest.mark.parametrize("cls,kw", [CASES[0], CASES[2]], ids=["neox", "swa"])
def test_cuda_stepping_with_pauses_equals_the_full_forward_for_each_decode_kernel(cls, kw, kernel, monkeypatch):
    """On CUDA a step attends over the whole capacity (empty slots masked), by either kernel."""
    from agents.backbones import hf_causal

    monkeypatch.setenv(hf_causal.DECODE_ATTENTION_ENV, kernel)
    m = _model(cls, **kw).cuda()
    x = torch.randint(4, V, (3, 100), generator=torch.Generator().manual_seed(11))
    paused = [set(), {0, 1, 2, *range(8, 40)}, set(range(0, 200, 2))]
    with torch.no_grad():
        got, state = _step_rows(m, x.cuda(), paused)
        assert state.cache.capacity > x.shape[1] or m.window is not None  # steps saw empty slots too
        for b in range(3):
            assert (got[b] - m(x[b : b + 1].cuda())[0]).abs().max() < TOL, f"row {b}"
