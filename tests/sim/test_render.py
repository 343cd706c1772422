"""Tests for rcan.sim.render: paired images, masks and depth, and what each domain setting does.

Most tests render the *same* physics state twice, once with a base domain and once with a copy
that changes one setting, and check that the pixels change where (and only where) the setting
claims. The base domain is plain: flat fixed colours per group, one fixed light, no jitter and
no effects, so any difference comes from the setting under test.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from rcan.sim.domain import Domain, load_domain
from rcan.sim.env import EnvConfig, GraspEnv
from rcan.sim.render import (
    ARM,
    BACKGROUND,
    CANONICAL_ARM_COLORS,
    CANONICAL_COLORS,
    FAR,
    GRIPPER,
    NEAR,
    OBJECT,
    TABLE,
    TRAY,
    Appearance,
    Frame,
    SceneRenderer,
)
from rcan.sim.robot import LAYOUT
from rcan.sim.textures import TextureSource
from rcan.sim.world import BinWorld, WorldConfig

SIZE = 64
GROUP_CLASS = {
    "table": TABLE,
    "tray": TRAY,
    "objects": OBJECT,
    "arm": ARM,
    "gripper": GRIPPER,
    "background": BACKGROUND,
}


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def world() -> Iterator[BinWorld]:
    """One bin world whose physics state every test in this module renders."""
    w = BinWorld(WorldConfig(num_objects=4), np.random.default_rng(0))
    # A gripper high over the tray: arm, gripper, objects, tray and table are all in view.
    w.reset(np.array([0.60, 0.10, 0.26]))
    yield w
    w.close()


def plain() -> Domain:
    """Flat fixed colours, fixed light, nominal camera, no effects; a small texture pool."""
    domain = Domain(name="plain")
    domain.textures.pool_size = 2
    return domain


def with_section(domain: Domain, section: str, **changes: Any) -> Domain:
    """A copy of ``domain`` with some fields of one section replaced."""
    return dataclasses.replace(
        domain, **{section: dataclasses.replace(getattr(domain, section), **changes)}
    )


def flat(rgb: tuple[float, float, float]) -> TextureSource:
    return TextureSource(kinds=["flat"], color_low=rgb, color_high=rgb)


def render(
    world: BinWorld, domain: Domain, seed: int = 0, **outputs: bool
) -> tuple[Frame, Appearance, SceneRenderer]:
    """Render the world's current state in ``domain``; the same seed gives the same draws."""
    renderer = SceneRenderer(world, domain, SIZE, SIZE, np.random.default_rng(seed))
    appearance = renderer.sample(np.random.default_rng(seed + 1000))
    outputs.setdefault("rgb", True)
    outputs.setdefault("mask", True)
    return renderer.render(appearance, **outputs), appearance, renderer


@pytest.fixture(scope="module")
def base(world: BinWorld) -> Frame:
    frame, _, _ = render(world, plain(), depth=True)
    return frame


def _palette() -> tuple[np.ndarray, np.ndarray]:
    colours = [CANONICAL_COLORS[c] for c in (TABLE, TRAY, GRIPPER, OBJECT)]
    classes = [TABLE, TRAY, GRIPPER, OBJECT]
    colours += list(CANONICAL_ARM_COLORS)
    classes += [ARM] * len(CANONICAL_ARM_COLORS)
    return np.asarray(colours, float), np.asarray(classes, np.uint8)


def classes_from_colours(image: np.ndarray) -> np.ndarray:
    """Class ids recovered from a canonical image: black is background, otherwise the class
    whose canonical colour has the nearest chromaticity (shading only scales a colour)."""
    colours, classes = _palette()
    x = image.astype(float)
    total = x.sum(-1, keepdims=True)
    chroma = x / np.maximum(total, 1.0)
    reference = colours / colours.sum(-1, keepdims=True)
    distance = ((chroma[:, :, None, :] - reference[None, None]) ** 2).sum(-1)
    out = classes[distance.argmin(-1)]
    out[total[..., 0] == 0] = BACKGROUND
    return out


def high_frequency_energy(image: np.ndarray) -> float:
    x = image.astype(float)
    return float((np.diff(x, axis=0) ** 2).mean() + (np.diff(x, axis=1) ** 2).mean())


def changed(a: np.ndarray, b: np.ndarray, tolerance: int = 0) -> np.ndarray:
    """Per-pixel: does any channel differ by more than ``tolerance``?"""
    return (np.abs(a.astype(int) - b.astype(int)) > tolerance).any(-1)


# ------------------------------------------------------------------------------ the scene


def test_every_class_is_in_view(base: Frame) -> None:
    assert base.mask is not None
    counts = np.bincount(base.mask.ravel(), minlength=6)
    # Each class covers some pixels, so the per-class tests below test something.
    assert (counts >= 20).all(), counts


def test_frame_types_and_shapes(base: Frame) -> None:
    assert base.rgb is not None and base.mask is not None and base.depth is not None
    assert base.rgb.shape == (SIZE, SIZE, 3) and base.rgb.dtype == np.uint8
    assert base.mask.shape == (SIZE, SIZE) and base.mask.dtype == np.uint8
    assert base.depth.shape == (SIZE, SIZE) and base.depth.dtype == np.float32
    assert base.canonical is None  # not asked for


# ------------------------------------------------------------------------------ texture swap


def test_reassigning_a_pool_texture_changes_the_tray_pixels(world: BinWorld) -> None:
    domain = plain()
    domain.textures.tray = TextureSource(kinds=["checkers", "stripes"])
    domain.textures.pool_size = 4
    frame, appearance, renderer = render(world, domain)
    key = (world.tray, -1)
    current, tint = appearance.textures[key]
    other = next(t for t in renderer.pools["tray"] if t != current)
    textures = dict(appearance.textures)
    textures[key] = (other, tint)
    swapped = dataclasses.replace(appearance, textures=textures)
    after = renderer.render(swapped, rgb=True, mask=True)
    assert frame.rgb is not None and frame.mask is not None and after.rgb is not None
    tray = frame.mask == TRAY
    diff = changed(frame.rgb, after.rgb)
    assert diff[tray].mean() > 0.3
    assert not diff[~tray].any()
    np.testing.assert_array_equal(after.mask, frame.mask)
    # Rendering the first appearance again restores the first image exactly.
    again = renderer.render(appearance, rgb=True)
    np.testing.assert_array_equal(again.rgb, frame.rgb)


# ------------------------------------------------------------------------------ the pair


@pytest.fixture(scope="module")
def randomized_pair(world: BinWorld) -> Frame:
    domain = load_domain("randomized")
    domain.textures.pool_size = 4
    frame, _, _ = render(world, domain, seed=3, canonical=True, depth=True)
    return frame


def test_canonical_colours_agree_with_the_mask(randomized_pair: Frame) -> None:
    canonical, mask = randomized_pair.canonical, randomized_pair.mask
    assert canonical is not None and mask is not None
    x = canonical.astype(int)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    assert (x[mask == BACKGROUND] == 0).all()
    assert (x[mask != BACKGROUND].sum(-1) > 0).all()
    obj = mask == OBJECT
    assert obj.any() and ((r > 2 * g) & (r > 2 * b))[obj].all()
    tray = mask == TRAY
    assert ((b > r) & (b > g))[tray].all()
    gripper = mask == GRIPPER
    assert ((r > 2 * b) & (g > 2 * b))[gripper].all()
    table = mask == TABLE
    assert (x[table].max(-1) - x[table].min(-1) <= 2).all()  # grey


def test_mask_of_the_randomized_pass_matches_the_canonical_image(randomized_pair: Frame) -> None:
    assert randomized_pair.canonical is not None and randomized_pair.mask is not None
    derived = classes_from_colours(randomized_pair.canonical)
    mismatch = float((derived != randomized_pair.mask).mean())
    assert mismatch < 0.01, mismatch


def test_depth_is_finite_and_within_the_clip_planes(randomized_pair: Frame) -> None:
    depth, mask = randomized_pair.depth, randomized_pair.mask
    assert depth is not None and mask is not None
    assert np.isfinite(depth).all()
    assert depth.min() >= NEAR and depth.max() <= FAR + 1e-4
    np.testing.assert_allclose(depth[mask == BACKGROUND], FAR, rtol=1e-4)
    assert (depth[mask != BACKGROUND] < FAR - 0.1).all()


def test_gripper_is_nearer_than_the_table(base: Frame) -> None:
    assert base.depth is not None and base.mask is not None
    table = float(np.median(base.depth[base.mask == TABLE]))
    assert float(np.median(base.depth[base.mask == GRIPPER])) < table
    assert float(np.median(base.depth[base.mask == ARM])) < table


def test_objects_are_nearer_than_what_is_behind_them(world: BinWorld, base: Frame) -> None:
    assert base.depth is not None and base.mask is not None
    p = world.p
    poses = [p.getBasePositionAndOrientation(o.uid) for o in world.objects]
    try:
        for obj in world.objects:
            p.resetBasePositionAndOrientation(obj.uid, (0.0, 0.0, -5.0), (0, 0, 0, 1))
        behind, _, _ = render(world, plain(), depth=True)
    finally:
        for obj, (position, orientation) in zip(world.objects, poses, strict=True):
            p.resetBasePositionAndOrientation(obj.uid, position, orientation)
    assert behind.depth is not None and behind.mask is not None
    obj = base.mask == OBJECT
    assert (behind.mask[obj] != OBJECT).all()
    assert (base.depth[obj] < behind.depth[obj] - 1e-3).mean() > 0.95


def _unproject(depth: np.ndarray, appearance: Appearance) -> np.ndarray:
    """World points (H x W x 3) of every pixel, from z-depth and the camera matrices."""
    view = np.asarray(appearance.view).reshape(4, 4, order="F")
    projection = np.asarray(appearance.projection).reshape(4, 4, order="F")
    rows, cols = np.mgrid[0 : depth.shape[0], 0 : depth.shape[1]]
    x = ((cols + 0.5) / depth.shape[1] * 2 - 1) / projection[0, 0]
    y = (1 - (rows + 0.5) / depth.shape[0] * 2) / projection[1, 1]
    camera = np.stack([x * depth, y * depth, -depth, np.ones_like(depth)], -1)
    return (camera @ np.linalg.inv(view).T)[..., :3]


def test_depth_is_metric(world: BinWorld) -> None:
    """Unprojecting depth puts table pixels on the table top and gripper pixels on the gripper."""
    frame, appearance, _ = render(world, plain(), depth=True)
    assert frame.depth is not None and frame.mask is not None
    points = _unproject(frame.depth, appearance)
    table_top = world.p.getAABB(world.table)[1][2]
    table_z = points[..., 2][frame.mask == TABLE]
    assert abs(float(np.median(table_z)) - table_top) < 0.01
    lows, highs = zip(
        *(world.p.getAABB(world.robot.uid, link) for link in LAYOUT.gripper_links), strict=True
    )
    low = np.min(lows, axis=0) - 0.01
    high = np.max(highs, axis=0) + 0.01
    gripper = points[frame.mask == GRIPPER]
    inside = ((gripper >= low) & (gripper <= high)).all(-1)
    assert inside.mean() > 0.95


# ------------------------------------------------------------------------------ lighting


def _foreground_mean(frame: Frame, base: Frame) -> float:
    assert frame.rgb is not None and base.mask is not None
    return float(frame.rgb[base.mask != BACKGROUND].astype(float).mean())


def test_ambient_raises_brightness(world: BinWorld, base: Frame) -> None:
    dark, _, _ = render(world, with_section(plain(), "lighting", ambient=(0.2, 0.2)))
    bright, _, _ = render(world, with_section(plain(), "lighting", ambient=(0.9, 0.9)))
    assert _foreground_mean(bright, base) > _foreground_mean(dark, base) + 40
    np.testing.assert_array_equal(dark.mask, bright.mask)


def test_diffuse_raises_brightness(world: BinWorld, base: Frame) -> None:
    dark, _, _ = render(world, with_section(plain(), "lighting", diffuse=(0.0, 0.0)))
    bright, _, _ = render(world, with_section(plain(), "lighting", diffuse=(0.8, 0.8)))
    assert _foreground_mean(bright, base) > _foreground_mean(dark, base) + 30


def test_light_from_above_brightens_the_table_top(world: BinWorld, base: Frame) -> None:
    assert base.mask is not None
    table = base.mask == TABLE
    above, _, _ = render(world, with_section(plain(), "lighting", elevation=(89.0, 89.0)))
    grazing, _, _ = render(world, with_section(plain(), "lighting", elevation=(3.0, 3.0)))
    assert above.rgb is not None and grazing.rgb is not None
    assert above.rgb[table].mean() > grazing.rgb[table].mean() + 25


def test_light_azimuth_shades_walls_not_the_table_top(world: BinWorld, base: Frame) -> None:
    assert base.mask is not None
    one, _, _ = render(
        world, with_section(plain(), "lighting", azimuth=(45.0, 45.0), elevation=(20.0, 20.0))
    )
    other, _, _ = render(
        world, with_section(plain(), "lighting", azimuth=(225.0, 225.0), elevation=(20.0, 20.0))
    )
    assert one.rgb is not None and other.rgb is not None
    diff = changed(one.rgb, other.rgb, tolerance=8)
    # The table top is horizontal: turning the light about the vertical leaves it as it was;
    # the tray walls, the objects and the gripper face sideways and change.
    assert diff[base.mask == TABLE].mean() < 0.02
    assert diff[base.mask == TRAY].mean() > 0.3
    assert diff[base.mask == GRIPPER].mean() > 0.3


def test_light_colour_tints_the_image(world: BinWorld, base: Frame) -> None:
    red = (1.0, 0.4, 0.4)
    tinted, _, _ = render(world, with_section(plain(), "lighting", color_low=red, color_high=red))
    assert base.rgb is not None and tinted.rgb is not None and base.mask is not None
    fg = base.mask != BACKGROUND

    def red_ratio(image: np.ndarray) -> float:
        x = image[fg].astype(float)
        return float(x[:, 0].mean() / x[:, 1].mean())

    assert red_ratio(tinted.rgb) > red_ratio(base.rgb) * 1.15
    # The background is pasted behind the scene and is not lit.
    np.testing.assert_array_equal(tinted.rgb[~fg], base.rgb[~fg])


def test_shadows_only_darken(world: BinWorld, base: Frame) -> None:
    shadowed, _, _ = render(world, with_section(plain(), "lighting", shadow_probability=1.0))
    assert shadowed.rgb is not None and base.rgb is not None
    delta = shadowed.rgb.astype(int).sum(-1) - base.rgb.astype(int).sum(-1)
    assert (delta < -10).sum() > 50
    assert (delta <= 3).all()


# ------------------------------------------------------------------------------ camera


def _mask_change(a: Frame, b: Frame) -> float:
    assert a.mask is not None and b.mask is not None
    return float((a.mask != b.mask).mean())


def test_camera_offset_moves_the_view(world: BinWorld, base: Frame) -> None:
    moved, _, _ = render(world, with_section(plain(), "camera", offset=(0.05, -0.05, 0.05)))
    assert _mask_change(moved, base) > 0.05


@pytest.mark.parametrize("jitter", ["eye_jitter", "target_jitter", "roll_jitter"])
def test_camera_jitter_moves_the_view_per_draw(world: BinWorld, jitter: str) -> None:
    amount = 5.0 if jitter == "roll_jitter" else 0.04
    domain = with_section(plain(), "camera", **{jitter: amount})
    a, _, _ = render(world, domain, seed=1)
    b, _, _ = render(world, domain, seed=2)
    assert _mask_change(a, b) > 0.01
    # Without jitter, different draws see exactly the same view.
    still_a, _, _ = render(world, plain(), seed=1)
    still_b, _, _ = render(world, plain(), seed=2)
    assert _mask_change(still_a, still_b) == 0.0


def test_wider_field_of_view_zooms_out(world: BinWorld, base: Frame) -> None:
    narrow, _, _ = render(world, with_section(plain(), "camera", fov=40.0))
    wide, _, _ = render(world, with_section(plain(), "camera", fov=60.0))
    assert narrow.mask is not None and wide.mask is not None
    # Everything in the bin looks smaller, and more of what lies beyond the table shows.
    assert (wide.mask == OBJECT).sum() < 0.8 * (narrow.mask == OBJECT).sum()
    assert (wide.mask == TRAY).sum() < 0.8 * (narrow.mask == TRAY).sum()
    assert (wide.mask == BACKGROUND).sum() > (narrow.mask == BACKGROUND).sum()


# ------------------------------------------------------------------------------ textures


@pytest.mark.parametrize("group", list(GROUP_CLASS))
def test_textures_of_one_group_change_only_its_pixels(
    world: BinWorld, base: Frame, group: str
) -> None:
    domain = plain()
    setattr(domain.textures, group, flat((0.1, 0.9, 0.2)))
    frame, _, _ = render(world, domain)
    assert frame.rgb is not None and base.rgb is not None and base.mask is not None
    np.testing.assert_array_equal(frame.mask, base.mask)
    inside = base.mask == GROUP_CLASS[group]
    diff = changed(frame.rgb, base.rgb)
    assert diff[inside].mean() > 0.95
    assert not diff[~inside].any()
    # The new colour is green-dominant where the old ones were not.
    green = frame.rgb[inside].astype(int)
    assert (green[:, 1] > green[:, 0]).mean() > 0.95


def test_texture_tint_scales_colours(world: BinWorld, base: Frame) -> None:
    domain = plain()
    domain.textures.tint = (0.3, 0.5)
    tinted, _, _ = render(world, domain)
    assert tinted.rgb is not None and base.rgb is not None and base.mask is not None
    fg = base.mask != BACKGROUND
    assert tinted.rgb[fg].astype(float).mean() < 0.6 * base.rgb[fg].astype(float).mean()


def test_randomized_textures_vary_within_a_class(world: BinWorld) -> None:
    domain = with_section(plain(), "textures", tray=TextureSource(kinds=["checkers"]))
    frame, _, _ = render(world, domain)
    flat_frame, _, _ = render(world, plain())
    assert frame.rgb is not None and flat_frame.rgb is not None and frame.mask is not None
    tray = frame.mask == TRAY
    assert high_frequency_energy(frame.rgb * tray[..., None]) > 1.5 * high_frequency_energy(
        flat_frame.rgb * tray[..., None]
    )


# ------------------------------------------------------------------------------ effects


def _effects(**changes: Any) -> Domain:
    return with_section(plain(), "effects", **changes)


def test_noise_raises_variance(world: BinWorld, base: Frame) -> None:
    noisy, _, _ = render(world, _effects(noise_std=(20.0, 20.0)), canonical=True)
    assert noisy.rgb is not None and base.rgb is not None and base.mask is not None
    table = base.mask == TABLE
    assert (
        noisy.rgb[table].astype(float).std(0).mean()
        > base.rgb[table].astype(float).std(0).mean() + 10
    )
    # Effects touch the domain image only: mask and canonical image stay clean.
    np.testing.assert_array_equal(noisy.mask, base.mask)
    clean, _, _ = render(world, plain(), canonical=True)
    np.testing.assert_array_equal(noisy.canonical, clean.canonical)


def test_blur_lowers_high_frequency_energy(world: BinWorld, base: Frame) -> None:
    blurred, _, _ = render(world, _effects(blur_sigma=(1.5, 1.5)))
    assert blurred.rgb is not None and base.rgb is not None
    assert high_frequency_energy(blurred.rgb) < 0.7 * high_frequency_energy(base.rgb)


def test_brightness_raises_the_mean(world: BinWorld, base: Frame) -> None:
    bright, _, _ = render(world, _effects(brightness=(1.3, 1.3)))
    assert bright.rgb is not None and base.rgb is not None
    assert bright.rgb.astype(float).mean() > base.rgb.astype(float).mean() + 10


def test_jpeg_changes_pixels(world: BinWorld, base: Frame) -> None:
    compressed, _, _ = render(world, _effects(jpeg_quality=(10, 10)))
    assert compressed.rgb is not None and base.rgb is not None
    assert changed(compressed.rgb, base.rgb, tolerance=2).mean() > 0.05


# ------------------------------------------------------------------------------ canonical


def test_canonical_domain_ignores_textures_and_light(world: BinWorld) -> None:
    canonical = load_domain("canonical")
    odd = with_section(canonical, "lighting", ambient=(0.1, 0.1), diffuse=(0.9, 0.9))
    odd.textures.objects = TextureSource(kinds=["checkers"])
    frame, _, renderer = render(world, canonical, canonical=True)
    weird, _, _ = render(world, odd, canonical=True)
    assert renderer.pools == {}  # no texture pool is even loaded
    assert frame.rgb is not None and frame.canonical is not None
    np.testing.assert_array_equal(frame.rgb, frame.canonical)
    np.testing.assert_array_equal(weird.rgb, frame.rgb)


def test_canonical_image_does_not_depend_on_the_domain(world: BinWorld) -> None:
    """The canonical output of any domain is the canonical domain's own image (same camera)."""
    odd = with_section(plain(), "lighting", ambient=(0.2, 0.2), color_low=(1.0, 0.3, 0.3))
    odd = with_section(odd, "textures", objects=TextureSource(kinds=["stripes"]))
    odd = with_section(odd, "effects", noise_std=(10.0, 10.0), brightness=(1.3, 1.3))
    frame, _, _ = render(world, odd, canonical=True)
    reference, _, _ = render(world, load_domain("canonical"))
    assert frame.canonical is not None and frame.rgb is not None
    np.testing.assert_array_equal(frame.canonical, reference.rgb)
    assert changed(frame.rgb, frame.canonical, tolerance=10).mean() > 0.5


def test_canonical_domain_gives_flat_class_colours(world: BinWorld) -> None:
    frame, _, _ = render(world, load_domain("canonical"))
    assert frame.rgb is not None and frame.mask is not None
    x = frame.rgb.astype(float)
    chroma = x / np.maximum(x.sum(-1, keepdims=True), 1.0)
    for cls in (TABLE, TRAY, GRIPPER, OBJECT):
        pixels = chroma[frame.mask == cls]
        # One colour per class (up to shading, which scales all channels alike).
        assert pixels.std(0).max() < 0.02, cls
    assert (x[frame.mask == BACKGROUND] == 0).all()
    np.testing.assert_array_equal(classes_from_colours(frame.rgb), frame.mask)


# ------------------------------------------------------------------------------ through the env


def _env(domain: Domain, **overrides: Any) -> GraspEnv:
    config = EnvConfig(image_height=32, image_width=32, world=WorldConfig(num_objects=3))
    return GraspEnv(config, domain=domain, **overrides)


def _dynamics(**changes: Any) -> Domain:
    return with_section(load_domain("canonical"), "dynamics", **changes)


def test_object_mass_and_friction_scales(world: BinWorld) -> None:
    env = _env(_dynamics(object_mass_scale=(2.0, 2.0), object_friction_scale=(0.5, 0.5)))
    try:
        for seed in (0, None):  # the scale applies to the loaded values, it does not compound
            env.reset(seed=seed)
            assert env.world is not None
            for obj in env.world.objects:
                info = env.world.p.getDynamicsInfo(obj.uid, -1)
                assert info[0] == pytest.approx(2.0 * obj.base_mass)
                assert info[1] == pytest.approx(0.5 * obj.base_friction)
                assert obj.base_mass > 0 and obj.base_friction > 0
    finally:
        env.close()


def test_gripper_force_scale() -> None:
    plain_env = _env(_dynamics())
    strong_env = _env(_dynamics(gripper_force_scale=(1.5, 1.5)))
    try:
        plain_env.reset(seed=0)
        for seed in (0, None):
            strong_env.reset(seed=seed)
            assert plain_env.world is not None and strong_env.world is not None
            assert strong_env.world.robot.finger_force == pytest.approx(
                1.5 * plain_env.world.robot.finger_force
            )
    finally:
        plain_env.close()
        strong_env.close()


def _final_target(domain: Domain) -> np.ndarray:
    env = _env(domain)
    try:
        env.reset(seed=11)
        action = np.zeros(7, np.float32)
        action[:3] = (0.5, -0.5, -0.5)
        for _ in range(4):
            env.step(action)
        assert env.world is not None
        return env.world.robot.flange_position()
    finally:
        env.close()


def test_action_noise_changes_where_the_same_actions_lead() -> None:
    quiet = _final_target(_dynamics())
    assert np.array_equal(quiet, _final_target(_dynamics()))  # deterministic without noise
    noisy = _final_target(_dynamics(action_noise=0.5))
    assert np.linalg.norm(noisy - quiet) > 0.005


@pytest.mark.parametrize("resample", ["episode", "step"])
def test_resample_per_step_or_per_episode(resample: str) -> None:
    domain = load_domain("randomized")
    domain.textures.pool_size = 4
    domain.resample = resample  # type: ignore[assignment]
    env = _env(domain)
    try:
        env.reset(seed=5)
        first = env.appearance
        env.step(np.zeros(7, np.float32))
        second = env.appearance
        assert env.renderer is not None and first is not None and second is not None
        # The same physics state drawn with both appearances.
        a = env.renderer.render(first, rgb=True).rgb
        b = env.renderer.render(second, rgb=True).rgb
        assert a is not None and b is not None
        if resample == "step":
            assert second is not first
            assert second.textures != first.textures and second.light != first.light
            assert changed(a, b, tolerance=10).mean() > 0.2
        else:
            assert second is first
        # A new episode always draws a new appearance.
        env.reset()
        assert env.appearance is not second
    finally:
        env.close()


# ------------------------------------------------------------------------------ speed


@pytest.mark.parametrize("name", ["randomized", "target"])
def test_paired_render_is_fast(name: str) -> None:
    """All four outputs at 64 x 64 in at most 15 ms on average over 30 renders.

    The timing is repeated up to three times and the best batch counts, so that a burst of
    load from other processes on a shared machine does not fail the test; the bound is the
    requirement itself, without slack.
    """
    env = GraspEnv(EnvConfig(domain=name, image_height=64, image_width=64))
    try:
        env.reset(seed=0)
        for _ in range(3):
            env.paired_frame()
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(30):
                frame = env.paired_frame()
            best = min(best, (time.perf_counter() - start) / 30)
            if best <= 0.015:
                break
        assert frame.rgb is not None and frame.canonical is not None
        assert frame.mask is not None and frame.depth is not None
        assert best <= 0.015, f"{best * 1000:.1f} ms per paired render"
    finally:
        env.close()
