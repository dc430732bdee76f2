"""The relay's side of Web Push that touches key material, kept out of relay/ (which holds
no secret keys of its own code, docs/design.md) the way audit/ keeps the audit key:

- vapid.py: the relay's VAPID key (RFC 8292), made once, and the JWT it signs per push;
- encryption.py: RFC 8291 `aes128gcm` encryption of a push to a browser's subscription keys.

Both lean on well-kept libraries (py_vapid, http_ece, from the web-push-libs project);
nothing here does network I/O or reads the clock.
"""
