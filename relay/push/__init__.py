"""Content-free Web Push: waking a closed phone without telling anyone what arrived.

- settings.py: the knobs (delay, interval, TTL) and which push services may be called;
- service.py: builds the pieces for one node (the VAPID key comes from webpush/vapid.py,
  made on first start beside the other keys);
- payload.py: what a push carries (no I/O): a version, a type and an opaque hint, padded
  to one fixed size, and the quiet-hours arithmetic;
- sender.py: the POST to the push service (RFC 8030), encrypted by webpush/encryption.py;
- scheduler.py: when to push: after a delay, only if the envelope is still unacknowledged,
  once per interval per device, never in the device's quiet hours.

docs/notifications.md describes the whole; SECURITY.md what a push service learns.
"""
