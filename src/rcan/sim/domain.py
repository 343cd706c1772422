"""Domains: everything about how the world *looks* (and a little of how it behaves).

A :class:`Domain` is a dataclass loaded from YAML or JSON. It holds ranges; once per episode
(or per step, with ``resample: step``) it is sampled with its own seeded generator into
concrete values that the renderer and the environment apply.

Built-in domains (``src/rcan/sim/domains/*.yaml``):

* ``canonical``: flat colour per class, each arm link its own colour, one fixed light. The
  translator's target and the upper-bound observation for policies.
* ``randomized``: the training distribution: procedural textures everywhere, random lights,
  camera jitter, sensor effects and dynamics.
* ``target``: the held-out stand-in for reality: real photographs as textures and backgrounds,
  its own lighting, a camera offset, sensor effects and a dynamics shift. Never used to train.

Anywhere a domain name is accepted, a path to a YAML/JSON file is accepted too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import yaml

from rcan.common.config import from_dict
from rcan.common.errors import RcanError
from rcan.sim.effects import ImageEffects
from rcan.sim.textures import TextureSource

BUILTIN_DIR = Path(__file__).parent / "domains"
BUILTIN_DOMAINS = ("canonical", "randomized", "target")

Range = tuple[float, float]
RGB = tuple[float, float, float]

#: Surface groups that take textures, in the order they are sampled.
SURFACE_GROUPS = ("table", "tray", "objects", "arm", "gripper", "background")


def _flat(r: float, g: float, b: float) -> TextureSource:
    return TextureSource(kinds=["flat"], color_low=(r, g, b), color_high=(r, g, b))


@dataclass
class TexturesConfig:
    """Texture sources per surface group; every arm link and object draws its own."""

    table: TextureSource = field(default_factory=lambda: _flat(0.55, 0.45, 0.35))
    """The table top around the tray."""
    tray: TextureSource = field(default_factory=lambda: _flat(0.6, 0.6, 0.6))
    """The tray (and its divider)."""
    objects: TextureSource = field(default_factory=lambda: _flat(0.8, 0.2, 0.2))
    """The objects in the bin, one draw per object."""
    arm: TextureSource = field(default_factory=lambda: _flat(0.9, 0.5, 0.1))
    """The arm, one draw per link."""
    gripper: TextureSource = field(default_factory=lambda: _flat(0.3, 0.3, 0.3))
    """The gripper, one draw per link."""
    background: TextureSource = field(default_factory=lambda: _flat(1.0, 1.0, 1.0))
    """What is seen where no body is (pasted behind the scene)."""
    pool_size: int = 32
    """Textures loaded into the renderer per group (pybullet cannot free textures, so a domain
    draws from a fixed pool per world; every world samples its own pool)."""
    tint: Range = (1.0, 1.0)
    """Range of a per-surface, per-channel multiplicative tint applied on top of the texture."""


@dataclass
class LightingConfig:
    """A directional light (pybullet's TinyRenderer model: ambient + diffuse + specular)."""

    azimuth: Range = (45.0, 45.0)
    """Light direction around the vertical axis, degrees."""
    elevation: Range = (60.0, 60.0)
    """Light direction above the horizon, degrees."""
    color_low: RGB = (1.0, 1.0, 1.0)
    """Lower bound of the light colour."""
    color_high: RGB = (1.0, 1.0, 1.0)
    """Upper bound of the light colour."""
    distance: Range = (2.0, 2.0)
    """Light distance in metres (affects shadows only)."""
    ambient: Range = (0.6, 0.6)
    """Ambient coefficient."""
    diffuse: Range = (0.35, 0.35)
    """Diffuse coefficient."""
    specular: Range = (0.05, 0.05)
    """Specular coefficient."""
    shadow_probability: float = 0.0
    """Chance that an episode renders shadows."""


@dataclass
class CameraConfig:
    """Over-the-shoulder camera: a nominal pose plus jitter and a fixed offset."""

    eye: tuple[float, float, float] = (0.05, 0.40, 0.55)
    """Nominal camera position (world frame, metres)."""
    target: tuple[float, float, float] = (0.62, 0.05, -0.17)
    """Nominal point looked at."""
    fov: float = 48.0
    """Nominal vertical field of view, degrees."""
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """Fixed displacement of the eye (a domain's own camera placement)."""
    eye_jitter: float = 0.0
    """Uniform jitter of the eye per axis, metres."""
    target_jitter: float = 0.0
    """Uniform jitter of the point looked at per axis, metres."""
    fov_jitter: float = 0.0
    """Uniform jitter of the field of view, degrees."""
    roll_jitter: float = 0.0
    """Uniform roll of the image about the viewing axis, degrees."""


@dataclass
class DynamicsConfig:
    """Dynamics randomization, sampled per episode."""

    object_mass_scale: Range = (1.0, 1.0)
    """Range of the factor on every object's mass."""
    object_friction_scale: Range = (1.0, 1.0)
    """Range of the factor on every object's lateral friction."""
    gripper_force_scale: Range = (1.0, 1.0)
    """Range of the factor on the finger motor force."""
    action_noise: float = 0.0
    """Std of Gaussian noise added to commanded translations, as a fraction of the maximum."""


@dataclass
class Domain:
    """Appearance and dynamics of one domain; see the module docstring."""

    name: str = "custom"
    """Name used in logs and dataset metadata."""
    canonical: bool = False
    """Render in the fixed canonical style (textures and lighting are then ignored)."""
    textures: TexturesConfig = field(default_factory=TexturesConfig)
    """Texture sources per surface group."""
    lighting: LightingConfig = field(default_factory=LightingConfig)
    """Light ranges."""
    camera: CameraConfig = field(default_factory=CameraConfig)
    """Camera pose and jitter."""
    effects: ImageEffects = field(default_factory=ImageEffects)
    """Sensor and image effects."""
    dynamics: DynamicsConfig = field(default_factory=DynamicsConfig)
    """Dynamics randomization."""
    resample: Literal["episode", "step"] = "episode"
    """How often appearance is re-drawn."""

    def validate(self, where: str) -> None:
        """Check values (ranges ordered, textures exist); raise RcanError naming the field."""
        for group in SURFACE_GROUPS:
            getattr(self.textures, group).validate(f"{where}: textures.{group}")
        if self.textures.pool_size < 1:
            raise RcanError(f"{where}: textures.pool_size must be >= 1")
        self.effects.validate(f"{where}: effects")
        checks: list[tuple[str, Range]] = [("textures.tint", self.textures.tint)]
        for section in (self.lighting, self.dynamics):
            prefix = "lighting" if section is self.lighting else "dynamics"
            for f in fields(section):
                value = getattr(section, f.name)
                if isinstance(value, tuple) and len(value) == 2:
                    checks.append((f"{prefix}.{f.name}", value))
        for name, (low, high) in checks:
            if low > high:
                raise RcanError(f"{where}: {name} range is [{low}, {high}]; low must be <= high")
        if self.textures.tint[0] < 0:
            raise RcanError(f"{where}: textures.tint must be >= 0")
        if not 0.0 <= self.lighting.shadow_probability <= 1.0:
            raise RcanError(f"{where}: lighting.shadow_probability must be in [0, 1]")
        if not 1.0 <= self.camera.fov - self.camera.fov_jitter < 170.0:
            raise RcanError(f"{where}: camera.fov must be in (1, 170) degrees")
        for name in ("eye_jitter", "target_jitter", "fov_jitter", "roll_jitter"):
            if getattr(self.camera, name) < 0:
                raise RcanError(f"{where}: camera.{name} must be >= 0")
        if self.dynamics.action_noise < 0:
            raise RcanError(f"{where}: dynamics.action_noise must be >= 0")
        lo = min(self.dynamics.object_mass_scale[0], self.dynamics.gripper_force_scale[0])
        if lo <= 0 or self.dynamics.object_friction_scale[0] < 0:
            raise RcanError(f"{where}: dynamics scales must be positive")

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str, base_dir: Path | None = None) -> Domain:
        """Build from nested dicts; relative texture folders resolve against ``base_dir``."""
        data = dict(data)
        textures = data.pop("textures", None) or {}
        effects = data.pop("effects", None) or {}
        if not isinstance(textures, dict):
            raise RcanError(f"{where}: textures: expected a mapping")
        plain = {k: textures.pop(k) for k in ("pool_size", "tint") if k in textures}
        domain = from_dict(Domain, data, where, use_custom=False)
        domain.textures = from_dict(TexturesConfig, plain, where, "textures")
        for key, value in textures.items():
            if key not in SURFACE_GROUPS:
                raise RcanError(
                    f"{where}: textures: unknown group {key!r} (expected one of "
                    f"{list(SURFACE_GROUPS)}, pool_size, tint)"
                )
            source = TextureSource.from_dict(value, where, base_dir, f"textures.{key}")
            setattr(domain.textures, key, source)
        domain.effects = ImageEffects.from_dict(effects, where, "effects")
        domain.validate(where)
        return domain


def domain_name(spec: str | Path) -> str:
    """Folder-safe short name of a domain given by name or file: ``target``, ``mybin``."""
    return Path(str(spec)).stem


def load_domain(spec: str | Path | Domain) -> Domain:
    """A built-in domain by name, or a domain file (.yaml/.yml/.json) by path."""
    if isinstance(spec, Domain):
        return spec
    text = str(spec)
    if text in BUILTIN_DOMAINS:
        path = BUILTIN_DIR / f"{text}.yaml"
    else:
        path = Path(text)
        if path.suffix.lower() not in (".yaml", ".yml", ".json"):
            raise RcanError(
                f"unknown domain {text!r}: expected one of {list(BUILTIN_DOMAINS)} "
                "or a path to a .yaml/.yml/.json domain file"
            )
        if not path.is_file():
            raise RcanError(f"domain file {text!r} does not exist")
    where = f"domain file '{path}'"
    try:
        raw = path.read_text()
        data = json.loads(raw) if path.suffix.lower() == ".json" else yaml.safe_load(raw)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise RcanError(f"{where} is malformed: {first}") from None
    if data is None:
        raise RcanError(f"{where} is empty")
    if not isinstance(data, dict):
        raise RcanError(f"{where}: expected a mapping at the top level")
    data.setdefault("name", path.stem)
    return Domain.from_dict(data, where, base_dir=path.parent)
