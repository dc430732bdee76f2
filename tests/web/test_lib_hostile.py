"""Hostile and malformed input to the browser library: replayed, forged and garbage
envelopes are dropped quietly (counted, never shown) and the conversation goes on; a
first message signed by another device than the relay names is refused; a prekey bundle
for another device is refused; and the message encoding is byte-identical to Python's."""

from __future__ import annotations

import time

import pytest
from test_lib_support import BrowserDevice, open_page, python_worker

from crypto import DeviceKeys, PrekeyBundle
from crypto import start_session as x3dh_start
from steuntje_client.messages import InvalidMessage, Message, decode, encode
from steuntje_client.secure import SecureClient

NOW = int(time.time())


async def test_replayed_forged_and_garbage_envelopes_are_dropped(relay, browser):
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    caregiver = BrowserDevice(page, "caregiver")
    await caregiver.open()
    me = await caregiver.call("register", (await worker.relay.create_invite("caregiver"))["link"])
    await worker.send_text(me["accountId"], "echt")
    await caregiver.wait_messages(worker.account_id, 1)

    session = worker.session_with(me["deviceId"])
    envelope = session.encrypt(
        encode(Message("text", {"text": "twee keer"}, me["accountId"], NOW)), NOW
    )
    await worker.relay.send(me["deviceId"], envelope)
    await worker.relay.send(me["deviceId"], envelope)  # a new envelope id: the relay delivers it
    await worker.relay.send(me["deviceId"], b"\x01\x02" + bytes(100))  # garbage
    not_a_message = session.encrypt(b'{"v": 1, "k": "shout"}', NOW)  # decrypts, does not validate
    await worker.relay.send(me["deviceId"], not_a_message)
    wrong_conversation = Message("text", {"text": "niet voor jou"}, worker.account_id, NOW)
    await worker.relay.send(me["deviceId"], session.encrypt(encode(wrong_conversation), NOW))

    # A first message made with the worker's keys but sent from another device of the
    # worker: the relay names the sender, the envelope's identity must match it.
    second = SecureClient(relay.url, DeviceKeys.generate(NOW))
    await second.register((await worker.relay.link_device())["link"])
    bundle = PrekeyBundle.from_bytes(await worker.relay.fetch_prekeys(me["deviceId"]))
    forged = encode(Message("text", {"text": "vervalst"}, me["accountId"], NOW))
    _, forged_envelope = x3dh_start(worker.keys, bundle, NOW, plaintext=forged)
    await second.relay.send(me["deviceId"], forged_envelope)

    await worker.send_text(me["accountId"], "daarna")
    got = await caregiver.wait_messages(worker.account_id, 3)
    assert [m["fields"]["text"] for m in got] == ["echt", "twee keer", "daarna"]
    assert await page.evaluate("harness.dropped('caregiver')") == 5
    assert (await caregiver.call("messages", second.account_id)) == got  # one conversation
    await worker.close()
    await second.close()
    await context.close()


async def test_a_bundle_for_another_device_is_refused(relay, browser):
    """The relay answers `prekeys_fetch` with someone else's bundle: refused, no session."""
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    honest = DeviceKeys.generate(NOW)
    other = DeviceKeys.generate(NOW)
    result = await page.evaluate(
        """async ([ownBundle, asked]) => {
            const { SecureSessions } = await import('/app/lib/secure.js');
            const keys = SecureSessions.generate(Math.floor(Date.now() / 1000));
            const secure = new SecureSessions({ keys, now: () => Math.floor(Date.now() / 1000) });
            const lyingRelay = async () => ({ bundle: new Uint8Array(ownBundle) });
            try {
                await secure.encryptFor(asked, new Uint8Array([1]), lyingRelay);
                return 'accepted';
            } catch (error) {
                return [error.name, error.code, secure.current(asked)];
            }
        }""",
        [list(other.bundle().to_bytes()), _device_id(honest)],
    )
    assert result == ["UntrustedBundle", "untrusted_bundle", None]
    await context.close()


def _device_id(keys: DeviceKeys) -> str:
    import base64

    return base64.urlsafe_b64encode(keys.identity.public.signing_key).rstrip(b"=").decode()


MESSAGES = [
    Message("text", {"text": 'Hé "jij" \\ daar\n\t💛 <b>&amp;</b> \u0001'}, "acc_x", NOW, "id1"),
    Message("nudge", {"emoji": "💛", "template": "thinking_of_you"}, "acc_y", NOW, "id2"),
    Message("checkin", {"question": "Hoe gaat het?", "scale": 5}, "acc_y", NOW, "id3"),
    Message("checkin_answer", {"checkin": "id3", "answer": 4}, "acc_y", NOW, "id4"),
    Message("call_me", {}, "acc_y", NOW, "id5"),
    Message("receipt", {"of": ["id1", "id2"]}, "acc_y", NOW, "id6"),
    Message("reaction", {"of": "id1", "emoji": "👍🏽"}, "acc_y", NOW, "id7"),
]


async def test_message_encoding_is_byte_identical_to_python(relay, browser):
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    documents = [
        {
            "kind": m.kind,
            "fields": m.fields,
            "conversation": m.conversation,
            "sentAt": m.sent_at,
            "id": m.id,
        }
        for m in MESSAGES
    ]
    encoded = await page.evaluate(
        """async (documents) => {
            const { encode } = await import('/app/lib/messages.js');
            return documents.map((d) => Array.from(encode(d)));
        }""",
        documents,
    )
    assert [bytes(e) for e in encoded] == [encode(m) for m in MESSAGES]
    decoded = await page.evaluate(
        """async (plaintexts) => {
            const { decode } = await import('/app/lib/messages.js');
            return plaintexts.map((p) => decode(new Uint8Array(p)));
        }""",
        [list(encode(m)) for m in MESSAGES],
    )
    assert decoded == documents
    assert [decode(bytes(e)) for e in encoded] == MESSAGES


INVALID = [
    b"not json",
    b"\xff\xfe",
    b"[1]",
    b'{"v": 2, "k": "text"}',
    b'{"v": 1, "k": "shout", "id": "x", "t": 1, "c": "a"}',
    b'{"v": 1, "k": "text", "id": "x", "t": 1, "c": "a", "text": 5}',
    b'{"v": 1, "k": "text", "id": "x", "t": "1", "c": "a", "text": "t"}',
    b'{"v": 1, "k": "text", "id": "x", "t": 1, "text": "t"}',
    b'{"v": 1, "k": "checkin", "id": "x", "t": 1, "c": "a", "question": "q", "scale": 1}',
    b'{"v": 1, "k": "checkin_answer", "id": "x", "t": 1, "c": "a", "checkin": "y", "answer": 0}',
    b'{"v": 1, "k": "nudge", "id": "x", "t": 1, "c": "a", "emoji": true, "template": "t"}',
    b'{"v": 1, "k": "__proto__", "id": "x", "t": 1, "c": "a"}',
    b'{"v": 1, "k": "toString", "id": "x", "t": 1, "c": "a"}',
]


async def test_invalid_plaintexts_are_refused_like_python(relay, browser):
    for plaintext in INVALID:  # Python's decoder refuses each of these too
        with pytest.raises(InvalidMessage):
            decode(plaintext)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    results = await page.evaluate(
        """async (plaintexts) => {
            const { decode } = await import('/app/lib/messages.js');
            return plaintexts.map((plaintext) => {
                try { decode(new Uint8Array(plaintext)); return 'accepted'; }
                catch (error) { return error.name; }
            });
        }""",
        [list(plaintext) for plaintext in INVALID],
    )
    assert results == ["InvalidMessage"] * len(INVALID)
    await context.close()
