"""Real end-to-end encryption in `steuntje bench` (the default; `--no-crypto` turns it off).

Each pair gets genuine crypto/ device keys: the caregiver publishes a prekey bundle to the
relay's directory, the worker fetches it there (one-time prekey included) and starts an
X3DH session. The first exchange, which settles the Double Ratchet so that the measured
envelopes are ordinary ratchet messages as in a running conversation, happens in this
process before the measurement starts. Every measured envelope is then encrypted by the
sender and decrypted by the recipient, on the load generator's core, as on real devices.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from crypto import DecryptionError, DeviceKeys, PrekeyBundle, Session, accept_session
from crypto import start_session as x3dh_start
from steuntje_client.client import Envelope, RelayClient
from steuntje_client.keys import DeviceKey

SIGNED_PART = 229  # docs/e2e.md §2.5: bytes of the bundle the relay stores as the signed part


def now() -> int:
    return int(time.time())


def new_device() -> tuple[DeviceKeys, DeviceKey]:
    """crypto/ keys with one one-time prekey, and the relay key made from the same seed."""
    keys = DeviceKeys.generate(now(), one_time_prekeys=1)
    return keys, DeviceKey.from_seed(keys.identity.signing_seed)


@dataclass
class Decrypting:
    """Wraps the receivers' on_envelope: decrypts with the session of the sending device and
    passes the plaintext on; anything that does not decrypt is counted and dropped."""

    deliver: Callable[[Envelope], None]
    sessions: dict[str, Session]
    failed: int = 0

    def __call__(self, envelope: Envelope) -> None:
        session = self.sessions.get(envelope.sender)
        try:
            if session is None:
                raise DecryptionError
            plaintext = session.decrypt(envelope.body, now())
        except DecryptionError:
            self.failed += 1
            return
        self.deliver(Envelope(envelope.seq, envelope.id, envelope.sender, plaintext))


async def establish(
    sender: RelayClient,
    sender_keys: DeviceKeys,
    recipient: RelayClient,
    recipient_keys: DeviceKeys,
    decrypting: Decrypting,
) -> Callable[[bytes], bytes]:
    """Set up the pair's sessions through the relay's prekey directory; returns `seal`, the
    sender's encrypt function."""
    one_time = [(key_id, key.public_key) for key_id, key in recipient_keys.one_time_prekeys.items()]
    await recipient.upload_prekeys(recipient_keys.bundle().to_bytes()[:SIGNED_PART], one_time)
    bundle = PrekeyBundle.from_bytes(await sender.fetch_prekeys(recipient.device_id))
    ours, first = x3dh_start(sender_keys, bundle, now())
    theirs, _ = accept_session(recipient_keys, first, now())
    ours.decrypt(theirs.encrypt(b"", now()), now())  # settled: ordinary messages from here
    decrypting.sessions[sender.device_id] = theirs
    return lambda plaintext: ours.encrypt(plaintext, now())
