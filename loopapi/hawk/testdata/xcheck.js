// Cross-check driver for xcheck_test.go: reads {"ops":[...]} on stdin,
// runs each op against the npm hawk library, prints [results] as JSON.
"use strict";
const Hawk = require("hawk");
const Crypto = require("crypto");

function creds(op) {
  return { id: op.id, key: op.key, algorithm: op.algorithm || "sha256" };
}

function boom(err) {
  if (!err.isBoom) throw err;
  return {
    statusCode: err.output.statusCode,
    payload: err.output.payload,
    wwwAuthenticate: err.output.headers["WWW-Authenticate"] || "",
    message: err.message,
  };
}

async function run(op) {
  switch (op.op) {
    case "header": {
      const o = { credentials: creds(op), timestamp: op.ts, nonce: op.nonce };
      if (op.ext) o.ext = op.ext;
      if (op.payload !== undefined) { o.payload = op.payload; o.contentType = op.contentType; }
      const r = Hawk.client.header(op.uri, op.method, o);
      return { header: r.header, artifacts: r.artifacts };
    }
    case "authenticate": {
      const req = { method: op.method, url: op.url, host: op.host, port: op.port,
        authorization: op.authorization, contentType: op.contentType || "" };
      const o = { localtimeOffsetMsec: op.nowMs - Date.now() };
      if (op.payload !== undefined) o.payload = op.payload;
      try {
        const r = await Hawk.server.authenticate(req, async (id) => (id === op.id ? creds(op) : null), o);
        const out = { ok: true, artifacts: r.artifacts };
        if (op.response) {
          const ro = {};
          if (op.response.payload !== undefined) { ro.payload = op.response.payload; ro.contentType = op.response.contentType; }
          if (op.response.ext) ro.ext = op.response.ext;
          out.serverAuthorization = Hawk.server.header(r.credentials, r.artifacts, ro);
        }
        return out;
      } catch (err) {
        return { ok: false, error: boom(err) };
      }
    }
    case "clientAuthenticate": {
      const headers = { "server-authorization": op.serverAuthorization, "content-type": op.contentType || "" };
      if (op.wwwAuthenticate) headers["www-authenticate"] = op.wwwAuthenticate;
      const o = { required: true };
      if (op.payload !== undefined) o.payload = op.payload;
      try {
        Hawk.client.authenticate({ headers }, creds(op), op.artifacts, o);
        return { ok: true };
      } catch (err) {
        return { ok: false, message: err.message };
      }
    }
    case "hkdf": {
      const km = Buffer.from(Crypto.hkdfSync("sha256", Buffer.from(op.token, "hex"), Buffer.alloc(0),
        "identity.mozilla.com/picl/v1/sessionToken", 64));
      return { id: km.subarray(0, 32).toString("hex"), key: km.subarray(32).toString("hex") };
    }
    case "parse": {
      try {
        return { ok: true, attributes: Hawk.utils.parseAuthorizationHeader(op.header) };
      } catch (err) {
        return { ok: false, error: boom(err) };
      }
    }
  }
  throw new Error("unknown op " + op.op);
}

let input = "";
process.stdin.on("data", (d) => (input += d)).on("end", async () => {
  const ops = JSON.parse(input).ops;
  const out = [];
  for (const op of ops) out.push(await run(op));
  process.stdout.write(JSON.stringify(out));
});
