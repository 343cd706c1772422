"""Generator and discriminator shapes, and the promised train/eval semantics."""

from __future__ import annotations

import pytest
import torch

from rcan.common.errors import RcanError
from rcan.translator.networks import (
    DiscriminatorConfig,
    GeneratorConfig,
    PatchDiscriminator,
    UNetGenerator,
)


@pytest.mark.parametrize(("stem", "decoder_convs"), [(0, 1), (8, 1), (0, 2)])
@pytest.mark.parametrize("size", [(64, 64), (48, 80)])
def test_generator_heads_have_input_resolution(
    size: tuple[int, int], stem: int, decoder_convs: int
) -> None:
    g = UNetGenerator(GeneratorConfig(base_channels=8, depth=4, stem_channels=stem,
                                      decoder_convs=decoder_convs))
    out = g(torch.randn(2, 3, *size))
    assert out.rgb.shape == (2, 3, *size)
    assert out.mask_logits.shape == (2, 6, *size)
    assert out.depth.shape == (2, 1, *size)
    assert out.rgb.abs().max() <= 1.0


def test_decoder_convs_add_a_convolution_per_level_and_one_keeps_pix2pix_weights() -> None:
    one = UNetGenerator(GeneratorConfig(base_channels=8, depth=3))
    two = UNetGenerator(GeneratorConfig(base_channels=8, depth=3, decoder_convs=2))
    extra = {k for k in two.state_dict() if k not in one.state_dict()}
    assert len([k for k in extra if k.endswith("weight") and two.state_dict()[k].dim() == 4]) == 3
    assert set(one.state_dict()) < set(two.state_dict())  # old checkpoints keep their names
    with pytest.raises(RcanError, match="decoder_convs must be >= 1"):
        UNetGenerator(GeneratorConfig(decoder_convs=0))


def test_eval_equals_train_without_dropout() -> None:
    torch.manual_seed(0)
    g = UNetGenerator(GeneratorConfig(base_channels=8, dropout=0.0))
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        train_out = g.train()(x).rgb
        eval_out = g.eval()(x).rgb
    torch.testing.assert_close(train_out, eval_out)


def test_dropout_only_in_train_mode() -> None:
    torch.manual_seed(0)
    g = UNetGenerator(GeneratorConfig(base_channels=8, dropout=0.5))
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        g.eval()
        torch.testing.assert_close(g(x).rgb, g(x).rgb)
        g.train()
        assert not torch.allclose(g(x).rgb, g(x).rgb)


def test_instance_norm_makes_each_image_independent_of_its_batch() -> None:
    g = UNetGenerator(GeneratorConfig(base_channels=8)).eval()
    a, b = torch.randn(1, 3, 32, 32), torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        alone = g(a).mask_logits
        batched = g(torch.cat([a, b])).mask_logits[:1]
    torch.testing.assert_close(alone, batched, atol=1e-5, rtol=1e-4)


def test_patch_discriminator_scales() -> None:
    d = PatchDiscriminator(DiscriminatorConfig(base_channels=8, layers=3, scales=2))
    logits = d(torch.randn(2, 3, 64, 64), torch.randn(2, 3, 64, 64))
    assert [t.shape for t in logits] == [(2, 1, 8, 8), (2, 1, 4, 4)]


def test_stem_features_reach_the_heads_at_full_resolution() -> None:
    # one pixel changed moves the outputs at that pixel through the stem's skip
    torch.manual_seed(0)
    g = UNetGenerator(GeneratorConfig(base_channels=8, depth=3, stem_channels=4)).eval()
    assert sum(p.numel() for p in g.stem.parameters()) > 0
    x = torch.randn(1, 3, 32, 32)
    y = x.clone()
    y[0, :, 10, 10] += 1.0
    with torch.no_grad():
        delta = (g(y).mask_logits - g(x).mask_logits).abs().sum(1)[0]
    assert delta[10, 10] > 0
