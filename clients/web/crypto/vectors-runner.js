// Runs one parsed tests/vectors/*.json file through the port, in the browser or in Node.
// The same checks as tests/crypto/test_crypto_vectors.py; schemas in tests/vectors/README.md.
//
//   import { runVectorFile } from '/app/crypto/vectors-runner.js';
//   const results = runVectorFile(json);   // [{ name, ok, error }], one per case, in order
//
// Test code only: the app never imports it. An unknown schema throws, so a new vector
// file cannot pass unnoticed; a case either passes or fails, it is never skipped.

import { sha256 } from '../vendor/noble-2.4.0.js';
import { InvalidMessage } from '../lib/errors.js';
import * as messages from '../lib/messages.js';
import {
  ciphertextSize,
  commitment,
  Decryptor,
  decryptBytes,
  Encryptor,
  encryptBytes,
} from './attachment.js';
import { bytesEqual, concat, fromHex, toHex } from './codec.js';
import { checkVectorCase } from '../lib/questionnaires.js';
import { decodeEnvelope } from './envelope.js';
import { AttachmentError, DecryptionError, PayloadTooLargeError } from './errors.js';
import { identityFingerprint, qrPayload, safetyNumber, verifyQrPayload } from './fingerprint.js';
import {
  DeviceKeys,
  IdentityKeyPair,
  OneTimePrekey,
  PrekeyBundle,
  SignedPrekey,
  verifyAuthChallenge,
} from './keys.js';
import {
  applyRecord,
  InvalidRecord,
  recordFromWire,
  verifyDeviceProof,
} from './group-log.js';
import { bucketSize, pad, unpad } from './padding.js';
import { x25519 } from './primitives.js';
import { acceptSession, Session, startSession } from './session.js';
import { initiate, respond } from './x3dh.js';

class VectorMismatch extends Error {}

function check(condition, what) {
  if (!condition) throw new VectorMismatch(what);
}

function equalHex(actual, expected, what) {
  const hex = typeof actual === 'string' ? actual : toHex(actual);
  check(hex === expected, `${what}: got ${hex.slice(0, 80)}, want ${expected.slice(0, 80)}`);
}

// Runs `action`, which must throw an instance of `ErrorClass`.
function expectError(ErrorClass, action, what) {
  try {
    action();
  } catch (error) {
    if (error instanceof ErrorClass) return;
    throw error;
  }
  throw new VectorMismatch(`${what}: no ${ErrorClass.name}`);
}

// An rng that returns the recorded values of one step, in order, sizes checked.
function scripted(values) {
  const queue = values.map(fromHex);
  const rng = (size) => {
    check(queue.length > 0, 'the step drew more randomness than the vector recorded');
    const value = queue.shift();
    check(
      value.length === size,
      `rng asked for ${size} bytes, the vector recorded ${value.length}`,
    );
    return value;
  };
  rng.remaining = () => queue.length;
  return rng;
}

function identityFrom(data) {
  return IdentityKeyPair.fromPrivate(fromHex(data.signing_seed), fromHex(data.agreement_private));
}

function deviceFrom(data) {
  const identity = identityFrom(data);
  const spk = data.signed_prekey;
  const signed = SignedPrekey.create(identity, spk.id, fromHex(spk.private), spk.created_at);
  const oneTime = data.one_time_prekeys.map((key) =>
    OneTimePrekey.create(key.id, fromHex(key.private)),
  );
  const nextId = Math.max(spk.id, ...data.one_time_prekeys.map((key) => key.id)) + 1;
  return new DeviceKeys(identity, [signed], oneTime, nextId);
}

function runKeys(test) {
  if (test.want_err) {
    expectError(
      DecryptionError,
      () => {
        if (!PrekeyBundle.fromBytes(fromHex(test.bundle)).verify()) throw new DecryptionError();
      },
      'bad bundle',
    );
    return;
  }
  const keys = deviceFrom(test.input);
  const expected = test.expected;
  const identity = keys.publicIdentity;
  equalHex(identity.signingKey, expected.signing_key, 'signing key');
  equalHex(identity.agreementKey, expected.agreement_key, 'agreement key');
  equalHex(identity.signature, expected.identity_signature, 'identity signature');
  equalHex(identity.encode(), expected.identity_encoding, 'identity encoding');
  equalHex(keys.signedPrekey.publicKey, expected.signed_prekey_public, 'signed prekey');
  equalHex(keys.signedPrekey.signature, expected.signed_prekey_signature, 'prekey signature');
  const publics = [...keys.oneTimePrekeys.values()].map((key) => toHex(key.publicKey));
  equalHex(publics.join(','), expected.one_time_prekey_publics.join(','), 'one-time prekeys');
  equalHex(keys.bundle(2).toBytes(), expected.bundle, 'bundle');
  equalHex(keys.bundle().toBytes(), expected.bundle_without_one_time_prekey, 'bundle without OPK');
  for (const encoded of [expected.bundle, expected.bundle_without_one_time_prekey]) {
    const bundle = PrekeyBundle.fromBytes(fromHex(encoded));
    check(bundle.verify(), 'decoded bundle verifies');
    equalHex(bundle.toBytes(), encoded, 'bundle round trip');
  }
  const challenge = fromHex(test.input.auth_challenge);
  const signature = keys.signAuthChallenge(challenge);
  equalHex(signature, expected.auth_signature, 'auth signature');
  check(verifyAuthChallenge(identity.signingKey, challenge, signature), 'auth signature verifies');
  const longer = Uint8Array.of(...challenge, 0x78);
  check(!verifyAuthChallenge(identity.signingKey, longer, signature), 'other challenge refused');
  // Serialised device keys survive a round trip byte for byte (§8.2).
  const saved = keys.toBytes();
  equalHex(DeviceKeys.fromBytes(saved).toBytes(), toHex(saved), 'device keys round trip');
}

function runX3dh(test) {
  const alice = identityFrom(test.alice);
  const ephemeral = fromHex(test.ephemeral_private);
  if (test.want_err) {
    expectError(
      DecryptionError,
      () => {
        initiate(alice, PrekeyBundle.fromBytes(fromHex(test.bundle)), ephemeral);
      },
      'bad bundle',
    );
    return;
  }
  const bundle = PrekeyBundle.fromBytes(fromHex(test.bundle));
  const result = initiate(alice, bundle, ephemeral);
  const expected = test.expected;
  equalHex(result.sharedSecret, expected.shared_secret, 'SK');
  equalHex(result.associatedData, expected.associated_data, 'AD');
  equalHex(result.ephemeralKey, expected.ephemeral_public, 'EK');
  equalHex(x25519(alice.agreementPrivate, bundle.signedPrekey), expected.dh1, 'DH1');
  const bob = deviceFrom(test.bob);
  const [sharedSecret, associatedData] = respond(
    bob,
    alice.public,
    result.ephemeralKey,
    bundle.signedPrekeyId,
    bundle.oneTimePrekeyId,
  );
  equalHex(sharedSecret, expected.shared_secret, "Bob's SK");
  equalHex(associatedData, expected.associated_data, "Bob's AD");
}

function runConversation(test) {
  const alice = identityFrom(test.alice);
  const bobKeys = deviceFrom(test.bob);
  const sessions = {};
  test.steps.forEach((step, index) => {
    const { op, party, now } = step;
    const where = `step ${index} (${op} by ${party})`;
    if (op === 'send_discarded') {
      for (let i = 0; i < step.count; i++) {
        sessions[party].encrypt(new Uint8Array(0), now, (size) => new Uint8Array(size));
      }
      return;
    }
    const rng = scripted(step.random);
    if (op === 'start') {
      const bundle = bobKeys.bundle(step.one_time_prekey_id);
      const [session, envelope] = startSession(alice, bundle, now, rng, fromHex(step.plaintext));
      equalHex(envelope, step.envelope, `${where} envelope`);
      sessions.alice = session;
    } else if (op === 'encrypt') {
      equalHex(sessions[party].encrypt(fromHex(step.plaintext), now, rng), step.envelope, where);
    } else if (op === 'accept' && step.want_err) {
      const before = bobKeys.toBytes();
      expectError(
        DecryptionError,
        () => acceptSession(bobKeys, fromHex(step.envelope), now, rng),
        where,
      );
      check(bytesEqual(bobKeys.toBytes(), before), `${where}: a failed accept changed the keys`);
      return;
    } else if (op === 'accept') {
      const [session, plaintext] = acceptSession(bobKeys, fromHex(step.envelope), now, rng);
      equalHex(plaintext, step.plaintext, `${where} plaintext`);
      sessions.bob = session;
    } else if (op === 'decrypt' && step.want_err) {
      const before = sessions[party].toBytes();
      expectError(
        DecryptionError,
        () => sessions[party].decrypt(fromHex(step.envelope), now, rng),
        where,
      );
      check(
        bytesEqual(sessions[party].toBytes(), before),
        `${where}: a failed decryption changed state`,
      );
      return;
    } else if (op === 'decrypt') {
      equalHex(sessions[party].decrypt(fromHex(step.envelope), now, rng), step.plaintext, where);
    } else {
      throw new VectorMismatch(`${where}: unknown op`);
    }
    check(rng.remaining() === 0, `${where}: drew less randomness than the vector recorded`);
    // Saved state reads back to the same bytes (§8.1), at every step of every script.
    const saved = sessions[party].toBytes();
    check(bytesEqual(Session.fromBytes(saved).toBytes(), saved), `${where}: session round trip`);
  });
}

function runPadding(test) {
  if ('plaintext' in test) {
    const plaintext = fromHex(test.plaintext);
    const padded = pad(plaintext);
    equalHex(padded, test.padded, 'padded');
    equalHex(unpad(padded), test.plaintext, 'unpadded');
  } else if (test.want_err === 'PayloadTooLargeError') {
    expectError(PayloadTooLargeError, () => pad(new Uint8Array(test.plaintext_size)), 'too large');
  } else if (test.want_err) {
    expectError(DecryptionError, () => unpad(fromHex(test.padded)), 'bad padding');
  } else {
    check(bucketSize(test.plaintext_size) === test.padded_size, 'bucket size');
    check(pad(new Uint8Array(test.plaintext_size)).length === test.padded_size, 'padded size');
  }
}

function runEnvelope(test) {
  const data = fromHex(test.envelope);
  if (test.want_err) {
    expectError(DecryptionError, () => decodeEnvelope(data), 'malformed envelope');
    return;
  }
  const decoded = decodeEnvelope(data);
  const expected = test.expected;
  check(data[0] === expected.version && data[1] === expected.type, 'version and type');
  const { header } = decoded;
  equalHex(header.dhPublic, expected.dh, 'DH');
  check(header.previousChainLength === expected.pn, 'PN');
  check(header.messageNumber === expected.n, 'N');
  equalHex(decoded.nonce, expected.nonce, 'nonce');
  equalHex(decoded.ciphertext, expected.ciphertext, 'ciphertext');
  equalHex(decoded.prefix, expected.authenticated_prefix, 'authenticated prefix');
  if (expected.initial === null) {
    check(decoded.initial === null, 'no initial header');
    return;
  }
  const { initial } = decoded;
  const want = expected.initial;
  check(initial !== null, 'initial header');
  equalHex(initial.identity.signingKey, want.signing_key, 'initial signing key');
  equalHex(initial.identity.agreementKey, want.agreement_key, 'initial agreement key');
  equalHex(initial.identity.signature, want.identity_signature, 'initial signature');
  equalHex(initial.ephemeralKey, want.ephemeral_key, 'initial ephemeral key');
  check(initial.signedPrekeyId === want.signed_prekey_id, 'signed prekey id');
  check(initial.oneTimePrekeyId === want.one_time_prekey_id, 'one-time prekey id');
}

function runFingerprint(test) {
  const local = fromHex(test.local_identity);
  const localId = fromHex(test.local_id);
  const remote = fromHex(test.remote_identity);
  const remoteId = fromHex(test.remote_id);
  if ('payload' in test) {
    const verified = verifyQrPayload(fromHex(test.payload), local, localId, remote, remoteId);
    check(verified === (test.want_err === null), `QR payload verified=${verified}`);
    return;
  }
  const expected = test.expected;
  equalHex(identityFingerprint(local, localId), expected.local_fingerprint, 'local fingerprint');
  equalHex(
    identityFingerprint(remote, remoteId),
    expected.remote_fingerprint,
    'remote fingerprint',
  );
  equalHex(safetyNumber(local, localId, remote, remoteId), expected.safety_number, 'safety number');
  equalHex(safetyNumber(remote, remoteId, local, localId), expected.safety_number, 'swapped');
  equalHex(qrPayload(local, localId, remote, remoteId), expected.qr_payload, 'QR payload');
}

function runGroupLog(test) {
  if (test.check === 'device_proof') {
    const valid = verifyDeviceProof(recordFromWire(test.record), test.handle, test.proof);
    check(valid === (test.want_err === null), `device proof valid=${valid}`);
    return;
  }
  check(test.check === 'log', `unknown check ${test.check}`);
  let state = null;
  test.steps.forEach((step, index) => {
    const last = index === test.steps.length - 1;
    if (test.want_err !== null && last) {
      let reason = null;
      try {
        applyRecord(state, recordFromWire(step.record), step.now);
      } catch (error) {
        if (!(error instanceof InvalidRecord)) throw error;
        reason = error.reason;
      }
      check(reason === test.want_err, `step ${index}: refused with ${reason}, want ${test.want_err}`);
      return;
    }
    state = applyRecord(state, recordFromWire(step.record), step.now);
  });
  if (test.want_err !== null) return;
  const want = test.want;
  check(state !== null, 'no state');
  check(state.group === want.group && state.seq === want.seq, 'group and seq');
  check(state.head === want.head, `head: got ${state.head}, want ${want.head}`);
  const members = [...state.members.values()]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((m) => ({
      id: m.id,
      role: m.role,
      handles: [...m.handles],
      muted_until: m.mutedUntil,
      joined_seq: m.joinedSeq,
    }));
  check(JSON.stringify(members) === JSON.stringify(want.members), 'members');
  check(JSON.stringify([...state.usedTickets].sort()) === JSON.stringify(want.used_tickets), 'used tickets');
  check(JSON.stringify([...state.retired].sort()) === JSON.stringify(want.retired), 'retired');
}

// attachment.json's recipes (tests/vectors/README.md): byte i of a plaintext is
// (start + i) mod 251; a must-fail blob is a made blob with its mutations applied.
function pattern(size, start) {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (start + i) % 251;
  return out;
}

function blobFrom(source) {
  return encryptBytes(fromHex(source.key), pattern(source.plaintext_size, source.plaintext_start));
}

function applyMutations(blob, mutations) {
  let out = blob.slice();
  for (const m of mutations) {
    if (m.op === 'flip') {
      out[m.offset] ^= 1 << m.bit;
    } else if (m.op === 'truncate') {
      out = out.slice(0, m.size);
    } else if (m.op === 'append') {
      out = concat(out, fromHex(m.data));
    } else if (m.op === 'swap') {
      const a = out.slice(m.a, m.a + m.length);
      out.copyWithin(m.a, m.b, m.b + m.length);
      out.set(a, m.b);
    } else if (m.op === 'splice') {
      out.set(blobFrom(m.from).subarray(m.from_offset, m.from_offset + m.length), m.offset);
    } else {
      throw new VectorMismatch(`unknown mutation ${m.op}`);
    }
  }
  return out;
}

// `data` cut at sizes that straddle chunk boundaries, as the Python test cuts it.
function pieces(data) {
  const sizes = [1, 7919, 65536, 100003];
  const out = [];
  for (let offset = 0, turn = 0; offset < data.length; turn++) {
    const size = sizes[turn % sizes.length];
    out.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return out;
}

function expectReason(reason, action, what) {
  try {
    action();
  } catch (error) {
    if (!(error instanceof AttachmentError)) throw error;
    check(error.reason === reason, `${what}: refused with ${error.reason}, want ${reason}`);
    return;
  }
  throw new VectorMismatch(`${what}: accepted, want ${reason}`);
}

function runAttachment(test) {
  const key = fromHex(test.key);
  const commit = fromHex(test.commitment);
  if (test.want_err) {
    const blob = blobFrom(test.blob_from);
    equalHex(sha256(blob), test.blob_sha256, 'blob before mutation');
    const mutated = applyMutations(blob, test.mutations);
    equalHex(sha256(mutated), test.mutated_sha256, 'mutated blob');
    const checks = { sha256: test.check_sha256, size: test.check_size };
    expectReason(test.want_err, () => decryptBytes(key, commit, mutated, checks), 'decryptBytes');
    if (test.check_sha256 === null && test.check_size === null) {
      expectReason(
        test.want_err,
        () => {
          const decryptor = new Decryptor(key, commit);
          for (const piece of pieces(mutated)) decryptor.push(piece);
          decryptor.finish();
        },
        'streaming',
      );
    }
    return;
  }
  const plaintext = pattern(test.plaintext_size, test.plaintext_start);
  equalHex(commitment(key), test.commitment, 'commitment');
  const blob = encryptBytes(key, plaintext);
  check(blob.length === test.blob_size, 'blob size');
  check(ciphertextSize(plaintext.length) === test.blob_size, 'ciphertextSize');
  equalHex(sha256(blob), test.blob_sha256, 'blob SHA-256');
  if (test.blob) equalHex(blob, test.blob, 'blob');
  const encryptor = new Encryptor(key);
  const streamed = concat(...pieces(plaintext).map((p) => encryptor.push(p)), encryptor.finish());
  check(bytesEqual(streamed, blob), 'streamed encryption');
  check(encryptor.sha256 === test.blob_sha256 && encryptor.size === test.blob_size, 'sha256, size');
  const checks = { sha256: test.blob_sha256, size: test.blob_size };
  check(bytesEqual(decryptBytes(key, commit, blob, checks), plaintext), 'decryptBytes');
  const decryptor = new Decryptor(key, commit);
  const released = concat(...pieces(blob).map((p) => decryptor.push(p)), decryptor.finish());
  check(bytesEqual(released, plaintext), 'streamed decryption');
}

function runAttachmentMessage(test) {
  const fields = test.fields;
  if (test.want_err) {
    expectError(InvalidMessage, () => messages.validate('attachment', fields), 'validate');
    const document = { v: 1, k: 'attachment', id: 'x', t: 1, c: 'acc_x', ...fields };
    const plaintext = new TextEncoder().encode(JSON.stringify(document));
    expectError(InvalidMessage, () => messages.decode(plaintext), 'decode');
    return;
  }
  const { id, t, c } = test.message;
  const message = messages.makeMessage('attachment', fields, c, t, id);
  const encoded = new TextDecoder().decode(messages.encode(message));
  check(encoded === test.plaintext, `plaintext: got ${encoded.slice(0, 120)}`);
  const decoded = messages.decode(new TextEncoder().encode(test.plaintext));
  check(JSON.stringify(decoded.fields) === JSON.stringify(fields), 'decoded fields');
}

// questionnaire.json (issue 18): the reason code clients/web/lib/questionnaires.js gives
// must be the case's want_err, as questionnaire_cases.py's check_case gives it in Python.
function runQuestionnaire(test) {
  const reason = checkVectorCase(test);
  check(reason === test.want_err, `reason ${reason}, want ${test.want_err}`);
}

const RUNNERS = {
  'steuntje-e2e/keys/v1': runKeys,
  'steuntje-e2e/x3dh/v1': runX3dh,
  'steuntje-e2e/ratchet/v1': runConversation,
  'steuntje-e2e/padding/v1': runPadding,
  'steuntje-e2e/envelope/v1': runEnvelope,
  'steuntje-e2e/fingerprint/v1': runFingerprint,
  'steuntje-e2e/group_log/v1': runGroupLog,
  'steuntje-e2e/questionnaire/v1': runQuestionnaire,
  'steuntje-e2e/attachment/v1': runAttachment,
  'steuntje-e2e/attachment_message/v1': runAttachmentMessage,
};

export const SCHEMAS = Object.freeze(Object.keys(RUNNERS));

// One result per case: { name, ok, error } (error is a message, null when ok).
export function runVectorFile(file) {
  const run = RUNNERS[file.schema];
  if (!run) throw new Error(`no runner for vector schema ${file.schema}`);
  return file.tests.map((test) => {
    try {
      run(test);
      return { name: test.name, ok: true, error: null };
    } catch (error) {
      return { name: test.name, ok: false, error: `${error.name}: ${error.message}` };
    }
  });
}
