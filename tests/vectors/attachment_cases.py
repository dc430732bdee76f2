"""attachment.json and attachment_message.json: encrypted attachments (issue 16).

Built by generate.py (it loads `build_attachment` and `build_attachment_message` from
here). Seeded like generate.py: every key comes from ``Stream(name)``, SHA-256 blocks of
a fixed seed, so the files are the same bytes on every run. Plaintexts are not stored:
a case names a size and a start, and byte i is (start + i) mod 251 (``pattern``). A
must-fail case names the blob it starts from, the mutations applied to it, and the
SHA-256 of the result, so a runner proves it built exactly the intended bytes. The
schemas are in tests/vectors/README.md; tests/crypto/test_attachment_vectors.py and
clients/web/crypto/vectors-runner.js run every case.
"""

from __future__ import annotations

import base64
import hashlib

from crypto import attachment
from steuntje_client import messages

SEED = b"steuntje e2e test vectors v1"
T0 = 1767225600
SOURCE = "steuntje tests/vectors/attachment_cases.py (seeded), checked by tests/crypto and JS"


class Stream:
    """generate.py's seeded byte stream: block i is SHA-256(SEED ‖ 0 ‖ name ‖ 0 ‖ u64 i)."""

    def __init__(self, name: str) -> None:
        self._name = name.encode()
        self._counter = 0
        self._buffer = b""

    def __call__(self, size: int) -> bytes:
        while len(self._buffer) < size:
            block = SEED + b"\x00" + self._name + b"\x00" + self._counter.to_bytes(8, "big")
            self._buffer += hashlib.sha256(block).digest()
            self._counter += 1
        value, self._buffer = self._buffer[:size], self._buffer[size:]
        return value


def test_case(name: str, desc: str, want_err: str | None = None, **fields: object) -> dict:
    return {"name": name, "desc": desc, "source": SOURCE, "want_err": want_err, **fields}


def vector_file(name: str, description: str, tests: list[dict]) -> dict:
    return {
        "schema": f"steuntje-e2e/{name}/v1",
        "description": description,
        "generator": "tests/vectors/generate.py",
        "tests": tests,
    }


def flip(data: bytes, offset: int, bit: int) -> bytes:
    mutable = bytearray(data)
    mutable[offset] ^= 1 << bit
    return bytes(mutable)


def pattern(size: int, start: int) -> bytes:
    """An attachment's plaintext in a vector: byte i is (start + i) mod 251. No period
    divides 64 KiB, so no two chunks of one file have the same plaintext."""
    offset = start % 251
    return (bytes(range(251)) * ((offset + size) // 251 + 1))[offset : offset + size]


def attachment_source(key: bytes, size: int, start: int) -> dict:
    return {"key": key.hex(), "plaintext_size": size, "plaintext_start": start}


def attachment_blob(source: dict) -> bytes:
    plaintext = pattern(source["plaintext_size"], source["plaintext_start"])
    return attachment.encrypt_bytes(bytes.fromhex(source["key"]), plaintext)


def apply_mutations(blob: bytes, mutations: list[dict]) -> bytes:
    """The mutation ops of attachment.json (tests/vectors/README.md), in order."""
    for m in mutations:
        if m["op"] == "flip":
            blob = flip(blob, m["offset"], m["bit"])
        elif m["op"] == "truncate":
            blob = blob[: m["size"]]
        elif m["op"] == "append":
            blob += bytes.fromhex(m["data"])
        elif m["op"] == "swap":  # two non-overlapping ranges of `length` bytes trade places
            a, b, n = m["a"], m["b"], m["length"]
            swapped = bytearray(blob)
            swapped[a : a + n], swapped[b : b + n] = blob[b : b + n], blob[a : a + n]
            blob = bytes(swapped)
        elif m["op"] == "splice":  # `length` bytes at `offset` replaced by another blob's
            start = m["from_offset"]
            other = attachment_blob(m["from"])[start : start + m["length"]]
            blob = blob[: m["offset"]] + other + blob[m["offset"] + m["length"] :]
        else:
            raise ValueError(m["op"])
    return blob


def build_attachment() -> dict:
    e, c = attachment.ENCRYPTED_CHUNK_SIZE, attachment.CHUNK_SIZE
    h = attachment.HEADER_SIZE  # chunk i starts at h + i * e
    key, other_key = Stream("attachment-key")(32), Stream("attachment-other-key")(32)
    commit, other_commit = attachment.commitment(key), attachment.commitment(other_key)
    tests = []
    positives = [
        ("empty", 0, "An empty file: the commitment and one empty last chunk, 48 bytes."),
        ("one-byte", 1, "One byte."),
        ("short", 100, "100 bytes: one short last chunk."),
        ("one-chunk-minus-1", c - 1, "64 KiB - 1: one last chunk."),
        ("exactly-one-chunk", c, "Exactly 64 KiB: one full chunk, flagged last."),
        ("one-chunk-plus-1", c + 1, "64 KiB + 1: a full chunk, then a 1-byte last chunk."),
        ("two-full-chunks", 2 * c, "128 KiB: two full chunks, the second flagged last."),
        ("four-chunks", 3 * c + 1000, "Three full chunks and a last chunk of 1000 bytes."),
    ]
    for start, (name, size, desc) in enumerate(positives):
        source = attachment_source(key, size, start)
        blob = attachment_blob(source)
        case = test_case(name, desc, **source, commitment=commit.hex())
        case |= {
            "payload_key": attachment._payload_key(key).hex(),
            "blob_size": len(blob),
            "blob_sha256": hashlib.sha256(blob).hexdigest(),
        }
        if len(blob) <= 256:
            case["blob"] = blob.hex()
        tests.append(case)

    three = attachment_source(key, 2 * c + 500, 20)  # 2 full chunks and a short last one
    four = attachment_source(key, 3 * c + 700, 21)  # 3 full chunks and a short last one
    one_full = attachment_source(key, c, 22)
    two_full = attachment_source(key, 2 * c, 23)
    foreign_four = attachment_source(other_key, 3 * c + 700, 21)
    small = attachment_source(key, 1000, 24)  # one short chunk: enough where size is moot
    small_blob = attachment_blob(small)
    small_checks = {"sha256": hashlib.sha256(small_blob).hexdigest(), "size": len(small_blob)}
    # (name, desc, want_err, blob source, mutations, overrides of key/commitment/checks)
    negatives: list[tuple[str, str, str, dict, list[dict], dict]] = [
        ("tampered-chunk-0-byte-5-bit-0", "First chunk's ciphertext altered.",
         "chunk_invalid", three, [{"op": "flip", "offset": h + 5, "bit": 0}], {}),
        ("tampered-chunk-1-tag-bit-7", "Middle chunk's tag altered.", "chunk_invalid",
         three, [{"op": "flip", "offset": h + 2 * e - 1, "bit": 7}], {}),
        ("tampered-last-chunk-byte-0-bit-3", "Last chunk's first byte altered.",
         "chunk_invalid", three, [{"op": "flip", "offset": h + 2 * e, "bit": 3}], {}),
        ("dropped-last-chunk", "The short last chunk removed: the blob ends on a full one.",
         "truncated", three, [{"op": "truncate", "size": h + 2 * e}], {}),
        ("dropped-last-full-chunk", "Two full chunks; the last (full) one removed.",
         "truncated", two_full, [{"op": "truncate", "size": h + e}], {}),
        ("truncated-to-nothing", "Zero bytes: not even an empty last chunk.", "truncated",
         one_full, [{"op": "truncate", "size": 0}], {}),
        ("truncated-inside-commitment", "15 bytes: not even the commitment.", "truncated",
         one_full, [{"op": "truncate", "size": 15}], {}),
        ("truncated-after-commitment", "The commitment and no chunk.", "truncated",
         one_full, [{"op": "truncate", "size": h}], {}),
        ("truncated-below-one-tag", "The commitment and 15 bytes: shorter than one tag.",
         "truncated", one_full, [{"op": "truncate", "size": h + 15}], {}),
        ("commitment-in-blob-altered", "The blob's first byte altered: its commitment no "
         "longer matches the key's.", "key_not_committed", small,
         [{"op": "flip", "offset": 0, "bit": 0}], {}),
        ("truncated-inside-last-chunk", "Cut in the middle of the last chunk: a cut chunk "
         "cannot authenticate, like an altered one.", "chunk_invalid", small,
         [{"op": "truncate", "size": 500}], {}),
        ("swapped-chunks-0-1", "The first two chunks swapped.", "reordered", four,
         [{"op": "swap", "a": h, "b": h + e, "length": e}], {}),
        ("swapped-chunks-1-2", "Two full middle chunks swapped.", "reordered", four,
         [{"op": "swap", "a": h + e, "b": h + 2 * e, "length": e}], {}),
        ("duplicated-chunk-1-over-2", "Chunk 1 written again in place of chunk 2.",
         "reordered", four,
         [{"op": "splice", "offset": h + 2 * e, "length": e, "from": four,
           "from_offset": h + e}], {}),
        ("chunk-1-from-another-attachment", "Chunk 1 replaced by chunk 1 of an attachment "
         "under another key.", "chunk_invalid", four,
         [{"op": "splice", "offset": h + e, "length": e, "from": foreign_four,
           "from_offset": h + e}], {}),
        ("chunks-from-another-attachment-under-this-commitment", "Another key's blob with "
         "this key's commitment written over its first 32 bytes.", "chunk_invalid",
         attachment_source(other_key, 1000, 24),
         [{"op": "splice", "offset": 0, "length": h, "from": small, "from_offset": 0}], {}),
        ("trailing-byte-after-full-last-chunk", "One byte after a full last chunk.",
         "trailing_data", one_full, [{"op": "append", "data": "00"}], {}),
        ("trailing-bytes-after-two-full-chunks", "17 bytes after a full last chunk.",
         "trailing_data", two_full, [{"op": "append", "data": "ab" * 17}], {}),
        ("trailing-byte-after-short-last-chunk", "One byte after a short last chunk: the "
         "message's size catches it.", "size_mismatch", small,
         [{"op": "append", "data": "00"}], {"size": len(small_blob)}),
        ("wrong-key", "Another key, with its own valid commitment: the blob begins with "
         "this key's commitment, not that one's (the invisible-salamander shape).",
         "key_not_committed", small,
         [], {"key": other_key.hex(), "commitment": other_commit.hex()}),
        ("key-not-committed", "The right key with another key's commitment.",
         "key_not_committed", small, [], {"commitment": other_commit.hex()}),
        ("commitment-31-bytes", "A commitment one byte short.", "key_not_committed", small,
         [], {"commitment": commit[:31].hex()}),
        ("key-31-bytes", "A key one byte short.", "bad_key", small, [],
         {"key": key[:31].hex()}),
        ("wrong-sha256", "An intact blob, but the message names another SHA-256.",
         "hash_mismatch", small, [],
         {**small_checks, "sha256": hashlib.sha256(small_blob + b"x").hexdigest()}),
        ("blob-from-another-message", "Another attachment's blob of the same length, under "
         "this message's hash and size.", "hash_mismatch",
         attachment_source(other_key, 1000, 24), [], small_checks),
        ("tampered-with-hash-given", "An altered byte: the hash refuses it first.",
         "hash_mismatch", small, [{"op": "flip", "offset": 500, "bit": 1}], small_checks),
        ("wrong-size", "The message names a size one byte larger.", "size_mismatch", small,
         [], {**small_checks, "size": len(small_blob) + 1}),
    ]  # fmt: skip
    for name, desc, want, source, mutations, overrides in negatives:
        blob = attachment_blob(source)
        mutated = apply_mutations(blob, mutations)
        case = test_case(name, desc, want)
        case |= {
            "key": overrides.get("key", key.hex()),
            "commitment": overrides.get("commitment", commit.hex()),
            "blob_from": source,
            "blob_sha256": hashlib.sha256(blob).hexdigest(),
            "mutations": mutations,
            "mutated_sha256": hashlib.sha256(mutated).hexdigest(),
            "check_sha256": overrides.get("sha256"),
            "check_size": overrides.get("size"),
        }
        tests.append(case)
    return vector_file(
        "attachment", "Encrypted attachments: STREAM chunks, key commitment (§15).", tests
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def build_attachment_message() -> dict:
    """Fields of the message kind ``attachment`` (docs/messages.md) that must validate,
    with the exact plaintext both clients encode, and fields that must be refused."""
    stream = Stream("attachment-message")
    key = stream(32)
    jpeg = b"\xff\xd8\xff\xe0" + stream(60)
    webp = b"RIFF" + (96).to_bytes(4, "little") + b"WEBPVP8 " + stream(88)
    base = {
        "blob": b64url(stream(16)),  # 22 characters, as the relay makes them
        "key": b64url(key),
        "commit": b64url(attachment.commitment(key)),
        "sha256": stream(32).hex(),
        "size": attachment.ciphertext_size(123_456),
        "plain_size": 123_456,
        "type": "image/jpeg",
    }
    big = messages.MAX_ATTACHMENT_SIZE
    positives = [
        ("picture-minimal", "Only the required fields.", {}),
        ("picture-all-fields", "A picture with name, JPEG preview and dimensions.",
         {"name": "foto.jpg", "preview": b64url(jpeg), "width": 1600, "height": 1200}),
        ("video-webp-preview", "A video with a WebP preview, dimensions and duration.",
         {"type": "video/mp4", "preview": b64url(webp), "width": 720, "height": 1280,
          "duration_ms": 31_500}),
        ("voice-note", "A voice note with its duration.",
         {"type": "audio/ogg", "duration_ms": 4_200}),
        ("pdf-with-name", "A PDF leaflet with a 120-code-point name (emoji are one each).",
         {"type": "application/pdf", "name": "📄" * 119 + "x"}),
        ("empty-file", "An empty file: 48 bytes of blob.",
         {"type": "application/pdf", "plain_size": 0, "size": attachment.ciphertext_size(0)}),
        ("largest-file", "Exactly 25 MiB.",
         {"type": "video/webm", "plain_size": big, "size": attachment.ciphertext_size(big)}),
        ("preview-4096-bytes", "A preview of exactly 4 KB.",
         {"preview": b64url(jpeg[:4] + bytes(4092))}),
    ]  # fmt: skip
    tests = []
    for number, (name, desc, change) in enumerate(positives):
        fields = base | change
        message = messages.Message("attachment", fields, "acc_" + "x" * 8, T0 + number, name)
        case = test_case(name, desc, fields=fields)
        case |= {
            "message": {"id": message.id, "t": message.sent_at, "c": message.conversation},
            "plaintext": messages.encode(message).decode(),
        }
        tests.append(case)
    non_canonical = base["key"][:-1] + chr(ord(base["key"][-1]) ^ 1)  # a padding bit set
    bad = [
        ("missing-key", "No key.", {"key": None}),
        ("missing-commit", "No commitment.", {"commit": None}),
        ("key-31-bytes", "A key one byte short.", {"key": b64url(key[:31])}),
        ("key-padded", "A key with '=' padding.", {"key": base["key"] + "="}),
        ("key-non-canonical", "A key whose unused low bits are set.", {"key": non_canonical}),
        ("commit-33-bytes", "A commitment one byte long.", {"commit": b64url(key + b"x")}),
        ("sha256-upper-case", "Upper-case hex.", {"sha256": base["sha256"].upper()}),
        ("sha256-short", "63 hex digits.", {"sha256": base["sha256"][:63]}),
        ("unknown-type-html", "text/html is not allowed.", {"type": "text/html"}),
        ("unknown-type-svg", "SVG (scriptable) is not allowed.", {"type": "image/svg+xml"}),
        ("size-not-matching", "size is not the blob size for plain_size.",
         {"size": base["size"] + 1}),
        ("size-as-string", "size must be an integer.", {"size": str(base["size"])}),
        ("plain-size-negative", "plain_size -1.", {"plain_size": -1, "size": 15}),
        ("too-large", "25 MiB + 1 byte.", {"plain_size": big + 1,
         "size": attachment.ciphertext_size(big + 1)}),
        ("blob-id-with-slash", "A blob id that is a path.", {"blob": "../" + "a" * 19}),
        ("blob-id-empty", "An empty blob id.", {"blob": ""}),
        ("blob-id-21-characters", "A blob id one character short.",
         {"blob": base["blob"][:21]}),
        ("preview-oversized", "A preview of 4097 bytes.",
         {"preview": b64url(jpeg[:4] + bytes(4093))}),
        ("preview-gif", "A GIF preview.", {"preview": b64url(b"GIF89a" + bytes(40))}),
        ("preview-empty", "An empty preview.", {"preview": ""}),
        ("preview-on-voice-note", "A voice note cannot have a preview.",
         {"type": "audio/ogg", "preview": b64url(jpeg)}),
        ("width-zero", "Width 0.", {"width": 0}),
        ("width-true", "Width true (a boolean is not a number).", {"width": True}),
        ("height-on-pdf", "A PDF has no height.", {"type": "application/pdf", "height": 10}),
        ("duration-on-picture", "A picture has no duration.", {"duration_ms": 1000}),
        ("duration-negative", "Duration -1.", {"type": "audio/ogg", "duration_ms": -1}),
        ("name-121-code-points", "A name one too long.", {"name": "x" * 121}),
        ("name-empty", "An empty name.", {"name": ""}),
        ("name-null", "A name that is null.", {"name": None}),
        ("name-newline", "A control character in the name.", {"name": "a\nb.pdf"}),
        ("name-right-to-left-override", "U+202E makes 'gpj.exe' read 'exe.jpg'.",
         {"name": "foto\u202egpj.exe"}),
    ]  # fmt: skip
    required = set(messages.FIELDS["attachment"])
    for name, desc, change in bad:
        fields = base | change
        # None removes a required field; an optional one stays, as JSON null.
        fields = {k: v for k, v in fields.items() if not (v is None and k in required)}
        try:
            messages.validate("attachment", fields)
        except messages.InvalidMessage:
            pass
        else:
            raise AssertionError(f"{name} validates")
        tests.append(test_case(name, desc, "InvalidMessage", fields=fields))
    return vector_file(
        "attachment_message", "The attachment message kind (docs/messages.md).", tests
    )
