"""Signed questionnaires in the Python client: the same format as the web app.

A worker sends a questionnaire (`send_questionnaire`); a caregiver reads it
(`read_questionnaire`), fills it in and signs it with this device's identity key
(`answer_questionnaire`); the worker checks what came back (`check_answer`): signed by the
device that sent it, for that questionnaire message and that exact version. A worker who
compared a caregiver's safety number in person signs that the caregiver's device is theirs
(`onboarding_statement_for`). Everything cryptographic is in the pure `questionnaires`
package; this module only moves it through messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from questionnaires.document import encode_document, parse_document, questionnaire_hash
from questionnaires.statements import (
    Signed,
    StatementError,
    answers_statement,
    onboarding_statement,
    open_answers,
    sign_answers,
    sign_onboarding,
    verify_answers,
)
from steuntje_client.messages import Message
from steuntje_client.secure import Received, SecureClient


@dataclass(frozen=True, slots=True)
class Questionnaire:
    """A questionnaire as received: its document and the id of the message that carried it."""

    document: dict[str, Any]
    message_id: str

    @property
    def hash(self) -> str:
        return questionnaire_hash(self.document)

    def __repr__(self) -> str:
        return f"Questionnaire(id={self.document['id']!r}, message={self.message_id!r})"


async def send_questionnaire(
    client: SecureClient, account_id: str, document: dict[str, Any]
) -> Message:
    return await client.send(account_id, "questionnaire", doc=encode_document(document).decode())


def read_questionnaire(received: Received) -> Questionnaire:
    """The questionnaire in a received `questionnaire` message (QuestionnaireError if bad)."""
    if received.kind != "questionnaire":
        raise StatementError("not a questionnaire message")
    return Questionnaire(parse_document(received.message.fields["doc"]), received.message.id)


def choice(item: str, option: int) -> dict[str, Any]:
    """An answer to a choice item: the option's number, 1 = the first."""
    return {"item": item, "choice": option}


def text(item: str, value: str) -> dict[str, Any]:
    return {"item": item, "text": value}


def sign(
    client: SecureClient,
    questionnaire: Questionnaire,
    answers: list[dict[str, Any]],
    *,
    share_with_funder: bool,
    now: int,
) -> Signed:
    """The caregiver's signed answers: "Ik heb dit zelf ingevuld en onderteken het"."""
    seed = client.keys.identity.signing_seed
    statement = answers_statement(
        questionnaire.document,
        questionnaire.message_id,
        answers,
        client.device_id,
        "funder" if share_with_funder else "worker",
        now,
    )
    return sign_answers(seed, statement)


async def answer_questionnaire(
    client: SecureClient,
    worker_account: str,
    questionnaire: Questionnaire,
    answers: list[dict[str, Any]],
    *,
    share_with_funder: bool,
    now: int,
) -> Message:
    signed = sign(client, questionnaire, answers, share_with_funder=share_with_funder, now=now)
    return await client.send(
        worker_account,
        "questionnaire_answer",
        statement=signed.statement,
        signature=signed.signature,
    )


def check_answer(received: Received, sent: Questionnaire) -> dict[str, Any]:
    """The statement of a received answer, if it answers `sent` and its sender signed it.

    Raises StatementError otherwise: another device signed it than the one that sent it,
    it answers another questionnaire message (a replay) or another version of it.
    """
    if received.kind != "questionnaire_answer":
        raise StatementError("not a questionnaire answer")
    signed = Signed(received.message.fields["statement"], received.message.fields["signature"])
    statement = open_answers(signed)
    if statement["device"] != received.sender_device or not verify_answers(signed):
        raise StatementError("not signed by the device that sent it")
    if statement["message"] != sent.message_id:
        raise StatementError("answers another questionnaire message")
    if statement["questionnaire"] != sent.hash:
        raise StatementError("answers another version of the questionnaire")
    return statement


def onboarding_statement_for(
    client: SecureClient, org: str, caregiver_account: str, caregiver_device: str, now: int
) -> Signed:
    """The worker's signed word, after comparing the safety number in person, that
    `caregiver_device` is the device of `caregiver_account`."""
    statement = onboarding_statement(
        org, caregiver_account, caregiver_device, client.account_id, client.device_id, now
    )
    return sign_onboarding(client.keys.identity.signing_seed, statement)
