"""One function per client event: `async def on_<event>(ctx, conn, data) -> reply`.

`relay.namespace` dispatches to them through `HANDLERS`, after checking the connection's
state; each handler validates its own data and raises `RelayError` for anything wrong.
"""
