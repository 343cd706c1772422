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


def test_coord_channels_are_two_more_input_maps_of_x_and_y() -> None:
    """CoordConv: the coordinate stem plus the image stem is one 7x7 convolution over the
    image stacked with x and y maps; the coordinates are not saved with the weights."""
    torch.manual_seed(0)
    net = QNetwork(QNetworkConfig(channels=8, coord_channels=True)).eval()
    plain = QNetwork(QNetworkConfig(channels=8)).eval()
    assert "coords" not in net.state_dict()
    assert set(net.state_dict()) - set(plain.state_dict()) == {"coord_stem.weight"}
    images, _ = _inputs(2, 3)
    stem = net.image_stack[0]
    joint = torch.nn.Conv2d(5, 8, 7, stride=2, padding=3)
    with torch.no_grad():
        joint.weight.copy_(torch.cat([stem.weight, net.coord_stem.weight], dim=1))
        joint.bias.copy_(stem.bias)
        x = images.float() * (2.0 / 255.0) - 1.0
        xs = torch.linspace(-1, 1, 64).expand(2, 1, 64, 64)
        stacked = torch.cat([x, xs, xs.transpose(2, 3)], dim=1)
        expected = net.image_stack[1:](joint(stacked))
        torch.testing.assert_close(net.encode(images), expected, atol=1e-5, rtol=1e-4)
        # a uniform image: without coordinates every interior cell sees the same thing
        grey = torch.full((1, 3, 64, 64), 200, dtype=torch.uint8)
        spread = [float(n.encode(grey)[..., 2:6, 2:6].std(dim=(2, 3)).max()) for n in (plain, net)]
    assert spread[0] < 1e-5 < 1e-2 < spread[1]
