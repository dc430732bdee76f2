"""Signed questionnaires (issue 18): the Python client fills one in and signs it through the
real relay, the worker checks what came back, and an evidence bundle verifies with
`steuntje questionnaire verify` after `vouch`, and fails with a clear reason when changed."""

from __future__ import annotations

import ast
import asyncio
import copy
import json
from pathlib import Path

import pytest

from crypto import DeviceKeys
from helpers import WAIT
from questionnaires.canonical import CanonicalError, encode, parse
from questionnaires.document import QuestionnaireError, questionnaire_hash, validate
from questionnaires.evidence import make_bundle, verify_bundle
from questionnaires.statements import StatementError
from relay import questionnaire_cli
from relay.cli import main as relay_main
from steuntje_client import questionnaires as client_questionnaires
from steuntje_client.questionnaires import choice, text
from steuntje_client.secure import SecureClient

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "questionnaires" / "examples" / "hoe-gaat-het-mantelzorger.json"
NOW = 1_790_000_000


def example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_the_package_is_pure_and_shared():
    """Like groups/: the relay's CLI uses it, so no crypto/, relay/ or I/O modules."""
    allowed = {"__future__", "base64", "binascii", "hashlib", "json", "re", "typing"}
    allowed |= {"dataclasses", "nacl.bindings", "nacl.exceptions"}
    for path in (ROOT / "questionnaires").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                ours = name.split(".")[0] in {"questionnaires", "audit"}
                assert ours or name in allowed, (path.name, name)
                assert not name.startswith(("audit.bundle", "relay", "crypto")), (path.name, name)


def test_the_example_is_valid_and_its_hash_is_its_exact_version():
    document = example()
    validate(document)
    assert 6 <= len(document["items"]) <= 8
    first = questionnaire_hash(document)
    reworded = copy.deepcopy(document)
    reworded["items"][2]["options"][1]["en"] = "Now and then"
    assert questionnaire_hash(reworded) != first
    extra = copy.deepcopy(document)
    extra["items"][0]["hint"] = "an unknown key is refused, not ignored: it would be signed"
    with pytest.raises(QuestionnaireError, match="item 1"):
        validate(extra)


@pytest.mark.parametrize(
    "spelling",
    ['{"b":1,"a":2}', '{"a": 1}', '{"a":1,"a":1}', '{"a":1.0}', '{"a":true}', '{"a":"\\u0041"}'],
)
def test_only_the_canonical_spelling_is_read(spelling):
    with pytest.raises(CanonicalError):
        parse(spelling)


def test_canonical_encoding_refuses_what_javascript_would_spell_differently():
    assert encode({"b": [1, "é\n"], "a": {}}) == '{"a":{},"b":[1,"é\\n"]}'.encode()
    for value in ({"a": 2**53}, {"a": "\ud800"}, {"a": "\x01"}, {"é": 1}, {"a": None}):
        with pytest.raises(CanonicalError):
            encode(value)


async def onboarded(relay):
    admin = relay.client()
    await admin.register(await relay.invite("admin"))
    worker = SecureClient(relay.url, DeviceKeys.generate(NOW))
    await worker.register((await admin.create_invite("worker"))["link"])
    caregiver = SecureClient(relay.url, DeviceKeys.generate(NOW))
    await caregiver.register((await worker.relay.create_invite("caregiver"))["link"])
    return admin, worker, caregiver


async def test_the_python_client_fills_in_and_signs_and_the_bundle_verifies(relay, tmp_path):
    admin, worker, caregiver = await onboarded(relay)
    document = example()
    sent = await client_questionnaires.send_questionnaire(worker, caregiver.account_id, document)
    received = await asyncio.wait_for(caregiver.messages.get(), WAIT)
    questionnaire = client_questionnaires.read_questionnaire(received)
    assert questionnaire.message_id == sent.id and questionnaire.hash == questionnaire_hash(
        document
    )
    answers = [choice(item["id"], 3) for item in document["items"][:-1]]
    answers.append(text("wens", "Een middag per week vrij."))
    await client_questionnaires.answer_questionnaire(
        caregiver, worker.account_id, questionnaire, answers, share_with_funder=True, now=NOW
    )
    answer = await asyncio.wait_for(worker.messages.get(), WAIT)
    statement = client_questionnaires.check_answer(answer, questionnaire)
    assert statement["device"] == caregiver.device_id and statement["answers"] == answers
    other = client_questionnaires.Questionnaire(document, "c29tZU90aGVyTWVzc2FnZQ")
    with pytest.raises(StatementError, match="another questionnaire message"):
        client_questionnaires.check_answer(answer, other)  # a replay to another one

    onboarding = client_questionnaires.onboarding_statement_for(
        worker, relay.ctx.org_id, caregiver.account_id, caregiver.device_id, NOW - 60
    )
    signed = answer.message.fields
    entry = {"participant": "Deelnemer 1", "message": sent.id, "answers": signed}
    entry["onboarding"] = onboarding.to_json()
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(make_bundle([document], [entry], NOW)), encoding="utf-8")
    org_key = await relay.ctx.storage.audit_verifier_key()
    assert questionnaire_cli.verify_file(path, org_key) == 1  # not vouched for yet

    config = relay.ctx.config
    assert await questionnaire_cli.vouch_file(config, path, path) == 0
    assert relay_main(["questionnaire", "verify", str(path), "--org-key", org_key]) == 0
    bundle = json.loads(path.read_text(encoding="utf-8"))
    assert [v.reason for v in verify_bundle(bundle, org_key)] == [None]
    for mutate, reason in MUTATIONS:
        changed = copy.deepcopy(bundle)
        mutate(changed)
        assert [v.reason for v in verify_bundle(changed, org_key)] == [reason], reason
    for client in (worker, caregiver):
        await client.close()


def _change_answer(bundle):
    part = bundle["entries"][0]["answers"]
    statement = json.loads(part["statement"])
    statement["answers"][0]["choice"] = 1
    part["statement"] = encode(statement).decode()


def _change_questionnaire(bundle):
    bundle["questionnaires"][0]["items"][0]["text"]["nl"] = "Had u wat tijd voor uzelf?"


def _other_device(bundle):
    """Another device signs the same answers and names itself: the signature holds, but
    the organisation onboarded another device for this person."""
    from questionnaires.statements import Signed, device_id_of, open_answers, sign_answers

    seed = bytes(range(32))
    part = bundle["entries"][0]["answers"]
    statement = open_answers(Signed(part["statement"], part["signature"]))
    statement["device"] = device_id_of(seed)
    bundle["entries"][0]["answers"] = sign_answers(seed, statement).to_json()


def _replay(bundle):
    bundle["entries"][0]["message"] = "YW5vdGhlclF1ZXN0aW9ubmFpcmU"


def _no_onboarding(bundle):
    del bundle["entries"][0]["onboarding"]


def _no_vouch(bundle):
    bundle["vouches"] = []


MUTATIONS = [
    (_change_answer, "answers_changed"),
    (_change_questionnaire, "questionnaire_changed"),
    (_other_device, "other_device"),
    (_replay, "replay"),
    (_no_onboarding, "no_onboarding"),
    (_no_vouch, "worker_not_vouched"),
]


def test_the_web_app_ships_the_same_example():
    """clients/web/app/parts/questionnaire-examples.js holds the example as a literal: it
    must be the very document of questionnaires/examples/ (the same exact version)."""
    source = (ROOT / "clients/web/app/parts/questionnaire-examples.js").read_text(encoding="utf-8")
    literal = source.split("Object.freeze([", 1)[1].split("]);\n", 1)[0].rstrip().rstrip(",")
    assert questionnaire_hash(json.loads(literal)) == questionnaire_hash(example())


async def test_the_organisation_vouches_only_for_its_workers_devices(relay, tmp_path):
    """A caregiver who signs an "onboarding statement" for their own phone, posing as the
    worker, gets no vouch: the relay's records say that device is no worker's."""
    admin, worker, caregiver = await onboarded(relay)
    document = example()
    questionnaire = client_questionnaires.Questionnaire(document, "c2VsZlZvdWNoZWRNZXNzYWdl")
    answers = [choice(item["id"], 1) for item in document["items"][:-1]] + [text("wens", "")]
    signed = client_questionnaires.sign(
        caregiver, questionnaire, answers, share_with_funder=True, now=NOW
    )
    self_made = client_questionnaires.onboarding_statement_for(
        caregiver, relay.ctx.org_id, caregiver.account_id, caregiver.device_id, NOW
    )
    entry = {"participant": "Deelnemer 1", "message": questionnaire.message_id}
    entry |= {"answers": signed.to_json(), "onboarding": self_made.to_json()}
    path = tmp_path / "self.json"
    path.write_text(json.dumps(make_bundle([document], [entry], NOW)), encoding="utf-8")
    assert await questionnaire_cli.vouch_file(relay.ctx.config, path, path) == 1
    bundle = json.loads(path.read_text(encoding="utf-8"))
    assert bundle["vouches"] == []
    org_key = await relay.ctx.storage.audit_verifier_key()
    assert [v.reason for v in verify_bundle(bundle, org_key)] == ["worker_not_vouched"]
    for client in (worker, caregiver):
        await client.close()
