"""Q-network shapes, channel counts, the encode-once path and the range of Q."""

from __future__ import annotations

import pytest
import torch

from rcan.qtopt.networks import QNetwork, QNetworkConfig, activation_layout, parameter_count


def _inputs(n: int, channels: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, channels, 64, 64), generator=g, dtype=torch.uint8)
    scalars = torch.rand(n, 2, generator=g)
    return images, scalars


@pytest.mark.parametrize("channels", [3, 6])
def test_shapes_and_parameter_budget(channels: int) -> None:
    net = QNetwork(QNetworkConfig(in_channels=channels))
    images, scalars = _inputs(2, channels)
    features = net.encode(images)
    assert features.shape == (2, *net.feature_shape()) == (2, 32, 8, 8)
    assert net.q_logits(features, scalars, torch.zeros(2, 5, 7)).shape == (2, 5)
    assert net(images, scalars, torch.zeros(2, 7)).shape == (2,)
    assert 50_000 <= parameter_count(net) <= 1_500_000


def test_encode_once_equals_naive_forward_and_q_is_a_probability() -> None:
    torch.manual_seed(0)
    net = QNetwork(QNetworkConfig(channels=16)).eval()
    images, scalars = _inputs(3, 3)
    actions = torch.rand(3, 4, 7) * 2 - 1
    with torch.no_grad():
        cached = torch.sigmoid(net.q_logits(net.encode(images), scalars, actions))
        naive = torch.stack([net(images, scalars, actions[:, j]) for j in range(4)], dim=1)
    torch.testing.assert_close(cached, naive, rtol=1e-5, atol=1e-6)
    assert bool(((cached >= 0) & (cached <= 1)).all())


def test_actions_and_state_change_q() -> None:
    torch.manual_seed(1)
    net = QNetwork(QNetworkConfig(channels=16)).eval()
    images, scalars = _inputs(1, 3)
    with torch.no_grad():
        features = net.encode(images)
        by_action = net.q_logits(
            features, scalars, torch.stack([torch.zeros(7), torch.ones(7)])[None]
        )
        by_state = net.q_logits(
            features.expand(2, -1, -1, -1),
            torch.tensor([[0.0, 0.1], [1.0, 0.1]]),
            torch.zeros(2, 7),
        )
    assert by_action[0, 0] != by_action[0, 1]
    assert by_state[0] != by_state[1]


def test_rejects_float_images() -> None:
    net = QNetwork(QNetworkConfig(channels=8))
    with pytest.raises(TypeError, match="uint8"):
        net.encode(torch.zeros(1, 3, 64, 64))


def test_height_is_scaled_before_its_dense_layer() -> None:
    """Metres (0-0.35) would be a near-constant input next to the 0/1 gripper bit."""
    net = QNetwork(QNetworkConfig(channels=8, hidden=16, height_scale=10.0)).eval()
    seen: list[torch.Tensor] = []
    net.state_fc.register_forward_hook(lambda _m, inputs, _out: seen.append(inputs[0]))
    images, _ = _inputs(1, 3)
    with torch.no_grad():
        net(images, torch.tensor([[1.0, 0.25]]), torch.zeros(1, 7))
    torch.testing.assert_close(seen[0], torch.tensor([[1.0, 2.5]]))


def test_channels_last_activations_give_the_nchw_values_and_gradients() -> None:
    torch.manual_seed(0)
    net = QNetwork()
    images = torch.randint(0, 256, (4, 3, 64, 64), dtype=torch.uint8)
    scalars, actions = torch.rand(4, 2), torch.rand(4, 5, 7)

    def run(layout: torch.memory_format) -> tuple[torch.Tensor, torch.Tensor]:
        net.zero_grad()
        with activation_layout(layout):
            q = net.q_logits(net.encode(images), scalars, actions)
        q.sum().backward()
        return q.detach(), net.image_stack[0].weight.grad.clone()

    q_fast, grad_fast = run(torch.channels_last)
    q_nchw, grad_nchw = run(torch.contiguous_format)
    torch.testing.assert_close(q_fast, q_nchw, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(grad_fast, grad_nchw, atol=1e-4, rtol=1e-3)
    assert net.image_stack[0].weight.is_contiguous()  # weights keep their layout


def test_activation_layout_is_restored_after_an_error() -> None:
    net = QNetwork()
    images = torch.randint(0, 256, (1, 3, 64, 64), dtype=torch.uint8)
    with pytest.raises(RuntimeError), activation_layout(torch.contiguous_format):
        raise RuntimeError("boom")
    assert net.encode(images).is_contiguous(memory_format=torch.channels_last)
