package limpwire_test

import (
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/appwire/appwire/internal/nodetest"
	"github.com/appwire/appwire/limpwire"
	"github.com/appwire/appwire/limpwire/limpwiretest"
)

// ngScript behaves on the wire as the Angular SDK ng-limp 6.0 does (its
// payload member order, call ids, awaitAuth leak, hash 5.6 with
// jsrsasign, chunked upload with the index as a string, heartbeat), and
// reports what the server answered.
const ngScript = `
const rs = require('jsrsasign');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const ANON_SID = 'f00000000000000000000012', ANON_TOKEN = '__ANON_TOKEN_' + ANON_SID;
const header = JSON.stringify({alg: 'HS256', typ: 'JWT'});
let session = null;
const pending = new Map();
const out = {greeting: null, replies: {}};
const ws = new WebSocket(input.url);
const timer = setTimeout(() => { out.error = 'timeout'; finish(); }, 15000);
function finish() { clearTimeout(timer); process.stdout.write(JSON.stringify(out)); ws.close(); process.exit(0); }
function call(endpoint, args) {
  const iat = Math.round(Date.now() / 1000);
  const callArgs = {
    endpoint: endpoint, doc: args.doc || {}, sid: session ? session._id : ANON_SID,
    token: session ? session.token : ANON_TOKEN, query: args.query || [], awaitAuth: false,
    call_id: Math.random().toString(36).substring(7) || 'x', iat: iat, exp: iat + 86400,
  };
  const token = rs.KJUR.jws.JWS.sign('HS256', header, JSON.stringify(callArgs), {utf8: session ? session.token : ANON_TOKEN});
  ws.send(JSON.stringify({token: token, call_id: callArgs.call_id}));
  return new Promise((resolve) => pending.set(callArgs.call_id, resolve));
}
function hash(attr, val, password) {
  return rs.KJUR.jws.JWS.sign('HS256', header, JSON.stringify({hash: [attr, val, password, ANON_TOKEN]}), {utf8: password}).split('.')[1];
}
async function upload(endpoint, attr, bytes, chunkSize) {
  const total = Math.ceil(bytes.length / chunkSize);
  const acks = [];
  for (let chunk = 1; chunk <= total; chunk++) {
    const part = bytes.slice((chunk - 1) * chunkSize, chunk * chunkSize);
    const r = await call('file/upload', {doc: {attr: attr, index: '0', chunk: chunk, total: total,
      file: {name: 'photo.bin', size: bytes.length, type: 'application/octet-stream', lastModified: 1700000000000, content: part.join(',')}}});
    acks.push(r.msg);
  }
  const r = await call(endpoint, {doc: {[attr]: [{}]}});
  return {acks: acks, reply: r};
}
async function run() {
  out.replies.verify = await call('conn/verify', {doc: {app: input.app}});
  out.replies.heartbeat = await call('heart/beat', {});
  const auth = await call('session/auth', {doc: {email: input.email, hash: hash('email', input.email, input.password)}});
  out.replies.auth = auth;
  if (auth.status === 200) session = auth.args.session;
  out.replies.read = await call('user/read', {query: [{_id: session && session.user._id}]});
  const bytes = Array.from({length: 2500}, (_, i) => i % 256);
  out.upload = await upload('blob/create', 'files', bytes, 1000);
  out.replies.signout = await call('session/signout', {query: [{_id: session._id}]});
  session = null;
  out.replies.anonRead = await call('user/read', {});
  finish();
}
ws.onmessage = (ev) => {
  const res = JSON.parse(ev.data);
  if (!out.greeting) { out.greeting = res; run(); return; }
  const resolve = pending.get(res.args && res.args.call_id);
  if (resolve) { pending.delete(res.args.call_id); resolve(res); }
};
ws.onerror = (e) => { out.error = String(e.message || e); finish(); };
`

// TestAngularSDKWire drives the reference server the way the Angular SDK
// does, from Node with jsrsasign: greeting, verify, heartbeat, auth at
// hash level 5.6, a read as the user, a chunked upload with the index as
// a string, signout.
func TestAngularSDKWire(t *testing.T) {
	node := nodetest.Require(t, "jsrsasign")
	if exec.Command("node", "-e", "process.exit(typeof WebSocket === 'undefined' ? 1 : 0)").Run() != nil {
		t.Setenv("NODE_OPTIONS", "--experimental-websocket") // Node 20 and 21
	}
	srv := limpwiretest.Start(t, limpwire.Options{ClientApps: []limpwire.ClientApp{{ID: "ng-app"}}})
	in, _ := json.Marshal(map[string]string{"url": srv.URL, "app": "ng-app", "email": limpwiretest.AdminEmail, "password": limpwiretest.AdminPassword})
	var out struct {
		Error    string
		Greeting limpwire.Reply
		Replies  map[string]struct {
			Status int
			Msg    string
			Args   map[string]any
		}
		Upload struct {
			Acks  []string
			Reply struct {
				Status int
				Args   map[string]any
			}
		}
	}
	b := node.Run(t, ngScript, in)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if out.Error != "" {
		t.Fatalf("node: %s (%s)", out.Error, b)
	}
	if out.Greeting.Status != 200 || out.Greeting.Args["code"] != limpwire.CodeConnReady {
		t.Errorf("greeting %+v", out.Greeting)
	}
	for name, want := range map[string]struct {
		status int
		code   string
	}{
		"verify": {200, limpwire.CodeConnOK}, "heartbeat": {200, limpwire.CodeHeartbeat}, "auth": {200, ""},
		"read": {200, ""}, "signout": {200, ""}, "anonRead": {403, "CORE_SESSION_FORBIDDEN"},
	} {
		r := out.Replies[name]
		if r.Status != want.status || want.code != "" && r.Args["code"] != want.code {
			t.Errorf("%s: %+v", name, r)
		}
	}
	if r := out.Replies["read"]; r.Args["count"] != 1.0 {
		t.Errorf("read as the user: %+v", r)
	}
	if got := out.Upload.Acks; len(got) != 3 || got[0] != "Chunk accepted" || got[2] != "Last chunk accepted" {
		t.Errorf("upload acks %v", got)
	}
	docs, _ := out.Upload.Reply.Args["docs"].([]any)
	if len(docs) != 1 {
		t.Fatalf("upload reply %+v", out.Upload.Reply)
	}
	files, _ := docs[0].(map[string]any)["files"].([]any)
	if len(files) != 1 || files[0].(map[string]any)["size"] != 2500.0 {
		t.Errorf("assembled files %+v", files)
	}
}
