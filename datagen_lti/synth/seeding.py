"""Per-learner seeds and the named random streams every generator draws from."""

from __future__ import annotations

import hashlib
import hmac
import json

import numpy as np

from datagen_lti.synth.version import ENGINE_VERSION


def derive_seed(
    *,
    secret: bytes,
    assignment: str,
    learner: str,
    variant: int = 0,
    engine_version: str = ENGINE_VERSION,
) -> bytes:
    """HMAC-SHA256(secret, seed_message(...)): 32 bytes."""
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not secret:
        raise ValueError("the seed secret must not be empty")
    message = seed_message(
        engine_version=engine_version, assignment=assignment, learner=learner, variant=variant
    )
    return hmac.new(secret, message, hashlib.sha256).digest()


def seed_message(*, engine_version: str, assignment: str, learner: str, variant: int) -> bytes:
    """The fields of a seed as a compact JSON array: ``["2.0","<assignment>","<learner>",0]``.

    JSON quotes and escapes each string, so no value can pass for a field boundary:
    learner keys are ``issuer|sub`` and may hold any character.
    """
    fields = [str(engine_version), str(assignment), str(learner), int(variant)]
    return json.dumps(fields, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def seed_fingerprint(seed: bytes) -> str:
    """A short, one-way identifier of a seed, safe to store and show."""
    return hashlib.sha256(b"datagen-lti fingerprint|" + seed).hexdigest()[:16]


def _name_words(name: str) -> tuple[int, ...]:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


class Streams:
    """Independent random generators keyed by name, for one seed and sub-seed attempt.

    A stream depends only on the seed, the attempt and its own name, so adding,
    removing or editing one column never changes the values of another.
    """

    def __init__(self, seed: bytes, attempt: int = 0) -> None:
        if len(seed) < 16:
            raise ValueError("a seed must hold at least 16 bytes")
        self._entropy = int.from_bytes(seed, "little")
        self.attempt = attempt

    def sequence(self, *parts: str | int) -> np.random.SeedSequence:
        """The SeedSequence of the stream named by ``parts``."""
        name = "\x1f".join(str(p) for p in parts)
        return np.random.SeedSequence(
            entropy=self._entropy, spawn_key=(self.attempt, *_name_words(name))
        )

    def rng(self, *parts: str | int) -> np.random.Generator:
        """A fresh generator for the stream named by ``parts``."""
        return np.random.Generator(np.random.PCG64(self.sequence(*parts)))
