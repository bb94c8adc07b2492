"""models: CharMLP (shapes, errors, learns what an n-gram of its context length can) and MLP (seeded init, dropout)."""

from __future__ import annotations

import pytest
import torch

from course_utils.data import context_windows
from course_utils.models import CharMLP
from course_utils.training import train


def test_shapes_and_gradients():
    torch.manual_seed(0)
    model = CharMLP(vocab_size=7, context=3, embed_dim=4, hidden=8)
    logits = model(torch.randint(0, 7, (5, 3)))
    assert logits.shape == (5, 7)
    logits.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    assert sum(p.numel() for p in model.parameters()) == 7 * 4 + (3 * 4 * 8 + 8) + (8 * 7 + 7)


def test_bad_input_and_arguments():
    model = CharMLP(5, 2)
    with pytest.raises(ValueError, match=r"\(batch, 2\)"):
        model(torch.zeros(4, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="positive"):
        CharMLP(0, 2)


def test_learns_a_pattern_that_needs_its_whole_context():
    """The next symbol is the sum of the previous two, mod 5: certain given the context, so the loss -> 0."""
    torch.manual_seed(0)
    seq = [0, 1]
    for _ in range(3000):
        seq.append((seq[-1] + seq[-2]) % 5)
    x, y = context_windows(torch.tensor(seq), 2)
    model = CharMLP(5, 2, embed_dim=8, hidden=32)
    history = train(model, (x, y), steps=300, optimizer=torch.optim.Adam(model.parameters(), lr=1e-2), progress=False)
    assert history.last("train_batch_loss") < 0.05  # nats; a unigram model would need log 5 = 1.6


# -- ModularMLP ------------------------------------------------------------------------------------------

from course_utils.models import ModularMLP  # noqa: E402


def test_modular_mlp_shapes_and_parameter_count():
    net = ModularMLP(11, hidden=8, embed_dim=5, seed=0)
    pairs = torch.tensor([[0, 1], [10, 10], [3, 7]])
    assert net(pairs).shape == (3, 11)
    assert sum(q.numel() for q in net.parameters()) == 11 * 5 + 2 * 5 * 8 + 8 * 11
    one_hot = ModularMLP(11, hidden=8, embed_dim=None, seed=0)
    assert one_hot.embedding is None and one_hot.w_in.shape == (22, 8)
    assert sum(q.numel() for q in one_hot.parameters()) == 22 * 8 + 8 * 11


def test_modular_mlp_is_the_quadratic_network_it_documents():
    """h = [E_a, E_b] @ w_in = U[a] + V[b]; logits = (h * h) @ w_out, with U, V from first_layer()."""
    net = ModularMLP(7, hidden=6, embed_dim=4, seed=1)
    pairs = torch.cartesian_prod(torch.arange(7), torch.arange(7))
    with torch.no_grad():
        h = torch.cat([net.embedding[pairs[:, 0]], net.embedding[pairs[:, 1]]], 1) @ net.w_in
        torch.testing.assert_close(net(pairs), (h * h) @ net.w_out)
        U, V = net.first_layer()
        torch.testing.assert_close(U[pairs[:, 0]] + V[pairs[:, 1]], h)
        one_hot = ModularMLP(7, hidden=6, embed_dim=None, seed=1)
        x = torch.cat([torch.nn.functional.one_hot(pairs[:, 0], 7), torch.nn.functional.one_hot(pairs[:, 1], 7)], 1)
        h = x.float() @ one_hot.w_in
        torch.testing.assert_close(one_hot(pairs), (h * h) @ one_hot.w_out)


def test_modular_mlp_seed_and_init_scale():
    a, b, c = ModularMLP(5, 4, 3, seed=2), ModularMLP(5, 4, 3, seed=2), ModularMLP(5, 4, 3, seed=3)
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.w_in, c.w_in)
    big = ModularMLP(5, 4, 3, init_scale=3.0, seed=2)
    torch.testing.assert_close(big.w_out, 3.0 * a.w_out)
    state = torch.random.get_rng_state()
    ModularMLP(5, 4, 3, seed=7)
    assert torch.equal(state, torch.random.get_rng_state())  # a seeded model leaves the global generator alone


def test_modular_mlp_refuses_bad_input():
    net = ModularMLP(5, 4, 3)
    with pytest.raises(ValueError, match=r"\(batch, 2\)"):
        net(torch.zeros(4, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="positive"):
        ModularMLP(5, 0)
    with pytest.raises(ValueError, match="init_scale"):
        ModularMLP(5, 4, init_scale=0.0)


def test_modular_mlp_learns_addition_mod_a_small_prime():
    """Trained on half of the addition table of Z_23, the network generalizes to the other half."""
    from course_utils.data import modular_addition
    from course_utils.training import evaluator

    x_train, y_train, x_test, y_test = modular_addition(23, 0.5, seed=0)
    net = ModularMLP(23, hidden=32, embed_dim=16, seed=0)
    optimizer = torch.optim.AdamW(net.parameters(), lr=2e-2, weight_decay=1.0, betas=(0.9, 0.98))
    history = train(net, (x_train, y_train), steps=400, optimizer=optimizer, progress=False, eval_every=50,
                    evaluate=evaluator({"test": (x_test, y_test)}))
    assert history.last("test_acc") > 0.9


# -- MLP ------------------------------------------------------------------------------------------

def test_mlp_shapes_and_seeded_init():
    from course_utils.models import MLP

    a, b = MLP([64, 32, 10], seed=3), MLP([64, 32, 10], seed=3)
    before = torch.random.get_rng_state()
    c = MLP([64, 32, 10], seed=4)
    assert torch.equal(torch.random.get_rng_state(), before), "a seeded MLP must not move the global generator"
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.linears[0].weight, c.linears[0].weight)
    assert a(torch.zeros(5, 64)).shape == (5, 10)
    assert [l.weight.shape for l in a.linears] == [(32, 64), (10, 32)]


def test_mlp_dropout_only_in_training_mode():
    from course_utils.models import MLP

    model = MLP([8, 256, 3], dropout=0.5, seed=0)
    x = torch.ones(4, 8)
    model.eval()
    assert torch.equal(model(x), model(x))
    model.train()
    torch.manual_seed(0)
    assert not torch.equal(model(x), model(x))
    plain = MLP([8, 256, 3], seed=0).eval()
    assert torch.equal(plain(x), model.eval()(x)), "eval mode must use every unit, unscaled"


@pytest.mark.parametrize("sizes,dropout", [([64], 0.0), ([64, 0, 10], 0.0), ([64, 10], 1.0), ([64, 10], -0.1)])
def test_mlp_rejects_bad_arguments(sizes, dropout):
    from course_utils.models import MLP

    with pytest.raises(ValueError, match="MLP"):
        MLP(sizes, dropout=dropout)
