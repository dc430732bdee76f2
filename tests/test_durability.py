"""The relay as a real process: nothing it acknowledged is lost when it is killed, nothing
is delivered twice, and SIGTERM shuts it down cleanly."""

from __future__ import annotations

import asyncio

from steuntje_client import ConnectionLost, DeviceKey, RelayClient, RelayRefused

WAIT = 20
MARKER = "final-marker"


class Collector:
    """Records delivered envelope ids; `marker` is set when the last one arrives."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.marker = asyncio.Event()

    def __call__(self, envelope) -> None:
        self.ids.append(envelope.id)
        if envelope.id == MARKER:
            self.marker.set()


async def onboard(url: str, admin_invite: str) -> tuple[RelayClient, RelayClient, RelayClient]:
    admin = RelayClient(url, DeviceKey.generate())
    await admin.register(admin_invite)
    worker = RelayClient(url, DeviceKey.generate())
    await worker.register((await admin.create_invite("worker"))["link"])
    caregiver = RelayClient(url, DeviceKey.generate())
    await caregiver.register((await worker.create_invite("caregiver"))["link"])
    return admin, worker, caregiver


async def send_until_lost(
    sender: RelayClient, to: str, ids: list[str], acknowledged: set[str], killed: asyncio.Event
) -> list[str]:
    """Send in windows of 8; return the ids whose acknowledgement never came."""
    unanswered: list[str] = []
    for start in range(0, len(ids), 8):
        window = ids[start : start + 8]
        results = await asyncio.gather(
            *(sender.send(to, eid.encode(), envelope_id=eid) for eid in window),
            return_exceptions=True,
        )
        for eid, result in zip(window, results, strict=True):
            if isinstance(result, BaseException):
                assert isinstance(result, ConnectionLost | RelayRefused), result
                unanswered.append(eid)
            else:
                acknowledged.add(eid)
        if unanswered:
            return unanswered + ids[start + 8 :]
        if len(acknowledged) >= 200 and not killed.is_set():
            killed.set()
    return unanswered


async def test_sigkill_mid_stream_loses_nothing_acknowledged_and_duplicates_nothing(
    relay_process,
):
    url = relay_process.url
    admin, worker, caregiver = await onboard(url, relay_process.admin_invite)
    received = Collector()
    receiver = RelayClient(url, caregiver.key, on_envelope=received)
    await caregiver.close()
    await receiver.connect()

    ids = [f"envelope-{i:05}" for i in range(2000)]
    acknowledged: set[str] = set()
    kill_now = asyncio.Event()
    sending = asyncio.ensure_future(
        send_until_lost(worker, caregiver.device_id, ids, acknowledged, kill_now)
    )
    await asyncio.wait_for(kill_now.wait(), WAIT)
    await relay_process.kill()
    unanswered = await asyncio.wait_for(sending, WAIT)
    assert unanswered, "the kill should have interrupted the stream"

    await relay_process.start()  # same data folder, same port
    last_seq = receiver.last_seq
    for client in (worker, receiver):
        await client.close()
    worker = RelayClient(url, worker.key)
    await worker.connect()
    receiver = RelayClient(url, caregiver.key, last_seq=last_seq, on_envelope=received)
    await receiver.connect()
    # Resend everything not acknowledged, with the same ids: some of it did reach the disk.
    for start in range(0, len(unanswered), 64):
        await asyncio.gather(
            *(
                worker.send(caregiver.device_id, eid.encode(), envelope_id=eid)
                for eid in unanswered[start : start + 64]
            )
        )
    await worker.send(caregiver.device_id, b"marker", envelope_id=MARKER)
    await asyncio.wait_for(received.marker.wait(), WAIT)

    assert acknowledged <= set(received.ids), "an acknowledged envelope was lost"
    assert len(received.ids) == len(set(received.ids)), "an envelope was delivered twice"
    assert set(received.ids) == set(ids) | {MARKER}
    for client in (admin, worker, receiver):
        await client.close()


async def test_sigterm_commits_what_is_in_flight_and_exits_cleanly(relay_process):
    url = relay_process.url
    admin, worker, caregiver = await onboard(url, relay_process.admin_invite)
    await caregiver.close()
    ids = [f"graceful-{i:04}" for i in range(300)]
    sends = [
        asyncio.ensure_future(worker.send(caregiver.device_id, eid.encode(), envelope_id=eid))
        for eid in ids
    ]
    await asyncio.wait(sends, return_when=asyncio.FIRST_COMPLETED)
    code = await relay_process.terminate()
    assert code == 0
    assert any("stopped cleanly" in line for line in relay_process.stdout_lines)
    results = await asyncio.gather(*sends, return_exceptions=True)
    acknowledged = {eid for eid, r in zip(ids, results, strict=True) if r == eid}
    assert acknowledged, "some sends were acknowledged before the shutdown"

    await relay_process.start()
    received = Collector()
    receiver = RelayClient(url, caregiver.key, on_envelope=received)
    await receiver.connect()
    marker_sender = RelayClient(url, worker.key)
    await marker_sender.connect()
    await marker_sender.send(caregiver.device_id, b"marker", envelope_id=MARKER)
    await asyncio.wait_for(received.marker.wait(), WAIT)
    assert acknowledged <= set(received.ids)
    assert len(received.ids) == len(set(received.ids))
    for client in (admin, worker, receiver, marker_sender):
        await client.close()
