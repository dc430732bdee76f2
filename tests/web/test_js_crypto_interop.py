"""A Python session and a browser session talk to each other, in both directions.

The vectors prove each implementation reproduces the same bytes from the same inputs;
this test proves they interoperate with fresh random keys: Python (crypto/) starts a
session with a bundle made in Chromium, the browser accepts and answers, Python decrypts;
then the roles swap. Saved state crosses over too (docs/e2e.md §8): a session and device
keys saved by one implementation are loaded and used by the other, byte-identical. The
browser's relay-authentication signature is checked with the relay's own verifier. An
attachment crosses each way too (docs/e2e.md §15): one implementation encrypts the blob and
sends its key in an `attachment` message over the session, the other decrypts both.

All browser code runs in a page served by the real relay, under its CSP; the page keeps
its objects in `globalThis.interop` between evaluate calls, and bytes cross as hex.
"""

from __future__ import annotations

import base64
import secrets

from crypto import DeviceKeys, PrekeyBundle, Session, accept_session, start_session
from crypto.attachment import CHUNK_SIZE, Encryptor, commitment, decrypt_bytes, new_key
from relay.auth import signature_valid
from steuntje_client.messages import Message, decode, encode

NOW = 1_767_225_600

# Loaded once per page: the crypto API and hex helpers on globalThis.interop.
SETUP = """async () => {
  const crypto = await import('/app/crypto/index.js');
  const codec = await import('/app/crypto/codec.js');
  globalThis.interop = { crypto, hex: codec.toHex, bytes: codec.fromHex };
}"""


async def js(page: object, body: str, arg: object = None) -> object:
    """Run `body` (a function of `arg`, with `crypto`, `hex`, `bytes`, `state` in scope)."""
    source = (
        "async (arg) => { const { crypto, hex, bytes } = globalThis.interop;"
        " const state = globalThis.interop; " + body + " }"
    )
    return await page.evaluate(source, arg)  # type: ignore[attr-defined]


async def open_page(browser: object, relay: object) -> tuple[object, list[str]]:
    page = await browser.new_page()  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(relay.url + "/")  # type: ignore[attr-defined]
    await page.evaluate(SETUP)
    return page, errors


async def test_python_starts_browser_answers(browser: object, relay: object) -> None:
    page, errors = await open_page(browser, relay)
    bundle_hex = await js(
        page,
        "state.bob = crypto.DeviceKeys.generate(arg, undefined, 3);"
        " return hex(state.bob.bundle(2).toBytes());",
        NOW,
    )
    alice = DeviceKeys.generate(NOW, one_time_prekeys=0)
    session, envelope = start_session(
        alice, PrekeyBundle.from_bytes(bytes.fromhex(bundle_hex)), NOW, plaintext=b"Hoi!"
    )
    reply = await js(
        page,
        "const [session, plaintext] ="
        " crypto.acceptSession(state.bob, bytes(arg.envelope), arg.now);"
        " state.session = session;"
        " const answer = session.encrypt(new TextEncoder().encode('Dag, '"
        " + new TextDecoder().decode(plaintext)), arg.now + 1);"
        " return { answer: hex(answer), prekeys: [...state.bob.oneTimePrekeys.keys()] };",
        {"envelope": envelope.hex(), "now": NOW},
    )
    assert reply["prekeys"] == [3, 4]  # the one-time prekey Python used is gone
    assert session.decrypt(bytes.fromhex(reply["answer"]), NOW + 2) == b"Dag, Hoi!"
    # Several rounds, with a DH ratchet step each way and an out-of-order pair.
    first = session.encrypt(b"een", NOW + 3)
    second = session.encrypt(b"twee", NOW + 3)
    received = await js(
        page,
        "return arg.envelopes.map((envelope) => new TextDecoder().decode("
        "state.session.decrypt(bytes(envelope), arg.now)));",
        {"envelopes": [second.hex(), first.hex()], "now": NOW + 4},
    )
    assert received == ["twee", "een"]
    assert errors == []


async def test_browser_starts_python_answers(browser: object, relay: object) -> None:
    page, errors = await open_page(browser, relay)
    bob = DeviceKeys.generate(NOW, one_time_prekeys=2)
    started = await js(
        page,
        "state.alice = crypto.DeviceKeys.generate(arg.now, undefined, 0);"
        " const bundle = crypto.PrekeyBundle.fromBytes(bytes(arg.bundle));"
        " const [session, envelope] = crypto.startSession(state.alice, bundle, arg.now,"
        " undefined, new TextEncoder().encode('Goedemorgen'));"
        " state.session = session; return hex(envelope);",
        {"bundle": bob.bundle(3).to_bytes().hex(), "now": NOW},
    )
    session, plaintext = accept_session(bob, bytes.fromhex(started), NOW + 1)
    assert plaintext == b"Goedemorgen"
    assert 3 not in bob.one_time_prekeys
    answer = session.encrypt("Goedemorgen! Hoe gaat het? 🙂".encode(), NOW + 2)
    decrypted = await js(
        page,
        "return new TextDecoder().decode(state.session.decrypt(bytes(arg.envelope), arg.now));",
        {"envelope": answer.hex(), "now": NOW + 3},
    )
    assert decrypted == "Goedemorgen! Hoe gaat het? 🙂"
    await attachments_cross_over(page, session)
    assert errors == []


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# Runs in the page: open an `attachment` message from the session, decrypt its blob with
# what the message says, and try the blob tampered and the key with another commitment.
OPEN_ATTACHMENT = """
  const { decode } = await import('/app/lib/messages.js');
  const { decryptBytes } = await import('/app/crypto/attachment.js');
  const { unb64url } = await import('/app/lib/bytes.js');
  const f = decode(state.session.decrypt(bytes(arg.envelope), arg.now)).fields;
  const [key, commit, blob] = [unb64url(f.key), unb64url(f.commit), bytes(arg.blob)];
  const plain = decryptBytes(key, commit, blob, { sha256: f.sha256, size: f.size });
  const tampered = blob.slice();
  tampered[arg.flip] ^= 1;
  const attempts = [
    () => decryptBytes(key, commit, tampered),
    () => decryptBytes(key, commit, tampered, { sha256: f.sha256, size: f.size }),
    () => decryptBytes(key, bytes(arg.otherCommit), blob),
  ];
  const refused = attempts.map((attempt) => {
    try { attempt(); return 'accepted'; } catch (error) { return `${error.name} ${error.reason}`; }
  });
  return { plain: hex(plain), type: f.type, name: f.name, refused };
"""

# Runs in the page: encrypt random bytes as an attachment, in pieces, and send its
# `attachment` message over the session.
SEND_ATTACHMENT = """
  const { encode, makeMessage } = await import('/app/lib/messages.js');
  const attachment = await import('/app/crypto/attachment.js');
  const { b64url } = await import('/app/lib/bytes.js');
  const key = attachment.newKey();
  const encryptor = new attachment.Encryptor(key);
  const plain = [], blob = [];
  for (let i = 0; i < 3; i++) {
    const piece = globalThis.crypto.getRandomValues(new Uint8Array(50000));
    plain.push(hex(piece));
    blob.push(hex(encryptor.push(piece)));
  }
  blob.push(hex(encryptor.finish()));
  const fields = {
    blob: b64url(globalThis.crypto.getRandomValues(new Uint8Array(16))),
    key: b64url(key), commit: b64url(attachment.commitment(key)),
    sha256: encryptor.sha256, size: encryptor.size, plain_size: 150000, type: 'audio/ogg',
    duration_ms: 4200,
  };
  const message = makeMessage('attachment', fields, 'acc_python', arg.now);
  const envelope = state.session.encrypt(encode(message), arg.now);
  return { envelope: hex(envelope), blob: blob.join(''), plain: plain.join('') };
"""


async def attachments_cross_over(page: object, session: Session) -> None:
    """An attachment each way: the blob encrypted by one implementation, its key in an
    `attachment` message over the session, decrypted by the other (docs/e2e.md §15)."""
    key, data = new_key(), secrets.token_bytes(2 * CHUNK_SIZE + 123)
    encryptor = Encryptor(key)
    blob = encryptor.push(data) + encryptor.finish()
    fields = {
        "blob": b64url(secrets.token_bytes(16)),
        "key": b64url(key),
        "commit": b64url(commitment(key)),
        "sha256": encryptor.sha256,
        "size": encryptor.size,
        "plain_size": len(data),
        "type": "application/pdf",
        "name": "tips.pdf",
    }
    envelope = session.encrypt(encode(Message("attachment", fields, "acc_b", NOW + 4)), NOW + 4)
    opened = await js(
        page,
        OPEN_ATTACHMENT,
        {
            "envelope": envelope.hex(),
            "blob": blob.hex(),
            "now": NOW + 5,
            "flip": CHUNK_SIZE + 16 + 7,  # in chunk 1
            "otherCommit": commitment(new_key()).hex(),
        },
    )
    assert opened == {
        "plain": data.hex(),
        "type": "application/pdf",
        "name": "tips.pdf",
        "refused": [
            "AttachmentError chunk_invalid",
            "AttachmentError hash_mismatch",
            "AttachmentError key_not_committed",
        ],
    }
    sent = await js(page, SEND_ATTACHMENT, {"now": NOW + 6})
    message = decode(session.decrypt(bytes.fromhex(sent["envelope"]), NOW + 6))
    got = message.fields
    assert (message.kind, got["type"], got["duration_ms"]) == ("attachment", "audio/ogg", 4200)
    plain = decrypt_bytes(
        b64url_decode(got["key"]),
        b64url_decode(got["commit"]),
        bytes.fromhex(sent["blob"]),
        sha256=got["sha256"],
        size=got["size"],
    )
    assert plain == bytes.fromhex(sent["plain"])


async def test_saved_state_crosses_over(browser: object, relay: object) -> None:
    """A session saved in Python continues in the browser, and the other way round."""
    page, errors = await open_page(browser, relay)
    alice = DeviceKeys.generate(NOW, one_time_prekeys=1)
    bob = DeviceKeys.generate(NOW, one_time_prekeys=1)
    alice_session, envelope = start_session(alice, bob.bundle(2), NOW, plaintext=b"1")
    bob_session, _ = accept_session(bob, envelope, NOW)
    # Python's saved state, loaded in the browser, saves back to the same bytes.
    loaded = await js(
        page,
        "state.session = crypto.Session.fromBytes(bytes(arg.session));"
        " state.keys = crypto.DeviceKeys.fromBytes(bytes(arg.keys));"
        " return { session: hex(state.session.toBytes()), keys: hex(state.keys.toBytes()) };",
        {"session": bob_session.to_bytes().hex(), "keys": bob.to_bytes().hex()},
    )
    assert loaded == {"session": bob_session.to_bytes().hex(), "keys": bob.to_bytes().hex()}
    # Bob's conversation continues in the browser; its new state comes back to Python.
    continued = await js(
        page,
        "const out = hex(state.session.encrypt(new TextEncoder().encode('2'), arg));"
        " return { envelope: out, session: hex(state.session.toBytes()) };",
        NOW + 1,
    )
    assert alice_session.decrypt(bytes.fromhex(continued["envelope"]), NOW + 1) == b"2"
    bob_again = Session.from_bytes(bytes.fromhex(continued["session"]))
    assert bob_again.to_bytes().hex() == continued["session"]
    assert bob_again.decrypt(alice_session.encrypt(b"3", NOW + 2), NOW + 2) == b"3"
    # Corrupt state is refused with StateError, as in Python (§8.3).
    saved = {"session": bob_again.to_bytes(), "keys": bob.to_bytes()}
    corrupt = {
        kind: [data[:-1].hex(), (data + b"\0").hex(), (data[:4] + b"\x02" + data[5:]).hex()]
        for kind, data in saved.items()
    }
    refused = await js(
        page,
        "const load = { session: crypto.Session.fromBytes, keys: crypto.DeviceKeys.fromBytes };"
        " return Object.entries(arg).flatMap(([kind, inputs]) => inputs.map((input) => {"
        " try { load[kind](bytes(input)); return 'loaded'; }"
        " catch (error) {"
        " return error instanceof crypto.StateError ? 'StateError' : String(error); }"
        " }));",
        corrupt,
    )
    assert refused == ["StateError"] * 6
    assert errors == []


async def test_browser_auth_signature_verifies_at_the_relay(browser: object, relay: object) -> None:
    page, errors = await open_page(browser, relay)
    relay_id, nonce = secrets.token_bytes(16), secrets.token_bytes(32)
    signed = await js(
        page,
        "const keys = crypto.DeviceKeys.generate(1, undefined, 0);"
        " const challenge = bytes(arg.relayId + arg.nonce);"
        " return { key: hex(keys.publicIdentity.signingKey),"
        " signature: hex(keys.signAuthChallenge(challenge)) };",
        {"relayId": relay_id.hex(), "nonce": nonce.hex()},
    )
    key, signature = bytes.fromhex(signed["key"]), bytes.fromhex(signed["signature"])
    assert signature_valid(key, relay_id, nonce, signature)
    assert not signature_valid(key, relay_id, secrets.token_bytes(32), signature)
    assert errors == []
