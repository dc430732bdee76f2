"""Sending and receiving an attachment end to end: the file is encrypted on the way out
(crypto/attachment.py), uploaded as a blob (blobs.py), and named in an `attachment` message
to the recipient's devices; a receiver downloads, checks and decrypts it into a file.

Both directions stream: a 25 MB file never sits in memory, on either end.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from crypto.attachment import Decryptor, Encryptor, ciphertext_size, commitment, new_key
from crypto.errors import AttachmentError
from steuntje_client.blobs import BlobTransfer
from steuntje_client.group_links import GroupReceived
from steuntje_client.keys import b64url, unb64url
from steuntje_client.messages import Message
from steuntje_client.secure import Received, SecureClient

READ_BYTES = 64 * 1024  # plaintext read from the file at a time

Content = Path | str | bytes | IO[bytes]


def _plain_size(content: Content) -> int:
    if isinstance(content, bytes):
        return len(content)
    if isinstance(content, (str, Path)):
        return os.stat(content).st_size
    position = content.seek(0, os.SEEK_END)
    content.seek(0)
    return position


def _read(content: Content) -> Iterator[bytes]:
    """The plaintext from the start, in pieces (a file object must be seekable: a resumed
    upload reads it again)."""
    if isinstance(content, bytes):
        for start in range(0, len(content), READ_BYTES):
            yield content[start : start + READ_BYTES]
        return
    if isinstance(content, (str, Path)):
        with open(content, "rb") as handle:
            yield from iter(lambda: handle.read(READ_BYTES), b"")
        return
    content.seek(0)
    yield from iter(lambda: content.read(READ_BYTES), b"")


class _Ciphertext:
    """The blob's bytes for one key, produced again from the start on every call (the
    format is deterministic for a key); remembers the SHA-256 of a complete pass."""

    def __init__(self, key: bytes, content: Content) -> None:
        self.key = key
        self.content = content
        self.sha256: str | None = None

    def __call__(self) -> Iterator[bytes]:
        encryptor = Encryptor(self.key)
        for piece in _read(self.content):
            out = encryptor.push(piece)
            if out:
                yield out
        yield encryptor.finish()
        self.sha256 = encryptor.sha256

    def digest(self) -> str:
        if self.sha256 is None:  # the relay had it all before a pass finished here
            for _ in self():
                pass
        assert self.sha256 is not None
        return self.sha256


async def upload_attachment(
    client: SecureClient,
    content: Content,
    media_type: str,
    transfer: BlobTransfer | None = None,
    **optional: Any,
) -> dict[str, Any]:
    """Encrypt `content` (a path, bytes or a seekable binary file) under a fresh key and
    upload it; returns the `attachment` message's fields. `optional`: name, preview
    (base64url), width, height, duration_ms."""
    plain_size = _plain_size(content)
    key = new_key()
    ciphertext = _Ciphertext(key, content)
    size = ciphertext_size(plain_size)
    mover = transfer or BlobTransfer(client.relay)
    try:
        blob = await mover.upload(ciphertext, size)
    finally:
        if transfer is None:
            await mover.close()
    return {
        "blob": blob,
        "key": b64url(key),
        "commit": b64url(commitment(key)),
        "sha256": ciphertext.digest(),
        "size": size,
        "plain_size": plain_size,
        "type": media_type,
        **optional,
    }


async def send_attachment(
    client: SecureClient,
    to_account: str,
    content: Content,
    media_type: str,
    transfer: BlobTransfer | None = None,
    **optional: Any,
) -> Message:
    """Upload `content` and send an `attachment` message naming it to every device of
    `to_account` (and our own others), each of which may then fetch it."""
    fields = await upload_attachment(client, content, media_type, transfer, **optional)
    return await client.send(to_account, "attachment", **fields)


async def send_group_attachment(
    client: SecureClient,
    group: str,
    content: Content,
    media_type: str,
    transfer: BlobTransfer | None = None,
    **optional: Any,
) -> Message:
    """The same to every other handle in a peer-support group (docs/groups.md)."""
    fields = await upload_attachment(client, content, media_type, transfer, **optional)
    return await client.groups.send(group, "attachment", **fields)


async def fetch_attachment(
    client: SecureClient,
    message: Message | Received | GroupReceived,
    dest: Path,
    transfer: BlobTransfer | None = None,
) -> Path:
    """Download, check and decrypt the attachment `message` names into `dest`; then tell
    the relay this device has it. Raises AttachmentError (with its `reason`) and leaves no
    file behind when anything does not check out."""
    fields = (message if isinstance(message, Message) else message.message).fields
    decryptor = Decryptor(unb64url(fields["key"]), unb64url(fields["commit"]))
    digest, size = hashlib.sha256(), 0
    partial = dest.with_name(dest.name + ".part")
    mover = transfer or BlobTransfer(client.relay)
    try:
        # Blocking writes of one piece at a time, on purpose: a thread hop per piece costs more.
        with open(partial, "wb") as out:  # noqa: ASYNC230
            async for piece in mover.download(fields["blob"]):
                digest.update(piece)
                size += len(piece)
                if size > fields["size"]:
                    raise AttachmentError("size_mismatch")
                out.write(decryptor.push(piece))
            out.write(decryptor.finish())
        if size != fields["size"]:
            raise AttachmentError("size_mismatch")
        if digest.hexdigest() != fields["sha256"]:
            raise AttachmentError("hash_mismatch")
        os.replace(partial, dest)
        await mover.done(fields["blob"])
    finally:
        partial.unlink(missing_ok=True)
        if transfer is None:
            await mover.close()
    return dest
