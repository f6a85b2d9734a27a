"""Keep the emulated AWS state across restarts of the local stack (moto has no persistence).

The backends of the services Tessera uses are pickled to one file in the data directory,
atomically, every few seconds while running and once more on shutdown. Cognito holds an RSA key
and locks, which pickle does not handle; :func:`_register_picklers` teaches it.
"""

from __future__ import annotations

import copyreg
import logging
import os
import pickle
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("tessera.local.state")

SERVICES: tuple[Any, ...] = (
    "dynamodb",
    "s3",
    "ses",
    "events",
    "stepfunctions",
    "cognito-idp",
    "sns",
    "secretsmanager",
)
STATE_FILE = "aws-state.pickle"


def _register_picklers() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    def reduce_rsa(key: rsa.RSAPrivateKey) -> tuple[Any, tuple[bytes]]:
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return _load_rsa, (pem,)

    probe = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    copyreg.pickle(type(probe), reduce_rsa)
    copyreg.pickle(type(threading.Lock()), lambda _lock: (threading.Lock, ()))
    copyreg.pickle(type(threading.RLock()), lambda _lock: (threading.RLock, ()))


def _load_rsa(pem: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(pem, password=None)


class StateStore:
    def __init__(self, directory: Path) -> None:
        self.path = directory / STATE_FILE
        directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        _register_picklers()

    def exists(self) -> bool:
        return self.path.is_file()

    def save(self) -> None:
        from moto.backends import get_backend

        with self._lock:
            for attempt in range(5):
                try:
                    data = pickle.dumps({name: dict(get_backend(name)) for name in SERVICES})
                    break
                except RuntimeError:  # a request changed a dict while we walked it: try again
                    if attempt == 4:
                        raise
            temporary = self.path.with_suffix(".tmp")
            temporary.write_bytes(data)
            os.replace(temporary, self.path)

    def load(self) -> None:
        from moto.backends import get_backend

        saved = pickle.loads(self.path.read_bytes())  # noqa: S301 - written by save() above
        for name, accounts in saved.items():
            live = get_backend(name)
            live.clear()
            live.update(accounts)
        log.info("restored emulated AWS state from %s", self.path)


class Autosave(threading.Thread):
    """Save every ``interval`` seconds until stopped."""

    def __init__(self, store: StateStore, interval: float = 5.0) -> None:
        super().__init__(name="autosave", daemon=True)
        self.store = store
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.store.save()
            except Exception:
                log.exception("saving local state failed")
