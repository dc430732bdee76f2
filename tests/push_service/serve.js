// The tests' push service: web-push-testing (an independent implementation of the push
// service side: subscriptions, VAPID JWT checks, RFC 8291 decryption) on 127.0.0.1 only,
// on a port the system picks. It prints "listening PORT" once ready. Beside the package's
// own API it records, per subscription, what the relay sent on the wire but the package
// does not keep: the body size and the TTL, Urgency and Topic headers
// (POST /wire {clientHash}).
'use strict';

const WebPushTestingServer = require('web-push-testing/src/server.js');
const {PushApiModel} = require('web-push-testing/src/PushApiModel.js');

const model = new PushApiModel();
const server = new WebPushTestingServer(model, 0);
const wire = {};

server._app.use((req, res, next) => {
	const match = /^\/notify\/([0-9a-f]+)$/.exec(req.path);
	if (req.method === 'POST' && match) {
		// Runs after the package's body parsers: the raw body is a Buffer by now.
		(wire[match[1]] = wire[match[1]] || []).push({
			size: Buffer.isBuffer(req.body) ? req.body.length : -1,
			ttl: req.get('TTL') || null,
			urgency: req.get('Urgency') || null,
			topic: req.get('Topic') || null,
		});
	}

	next();
});
server._app.post('/wire', (req, res) => {
	res.status(200).send({data: wire[req.body.clientHash] || []});
});
server.setRequestHandlers();

const listener = server._app.listen(0, '127.0.0.1', () => {
	const {port} = listener.address();
	model.notifyUrl = `http://127.0.0.1:${port}/notify/`;
	console.log(`listening ${port}`);
});
