package limpsuite

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/internal/conformancetest"
	"github.com/appwire/appwire/limpwire"
	"github.com/gobwas/ws"
)

// Mutants: the reference server with ONE behaviour flipped, by an option,
// a Store wrapper, or a WebSocket frame proxy that rewrites replies or
// re-signs edited calls (so the server sees what a broken server would
// have accepted). TestProof checks that each is caught and that every
// case catches one.

type dir = conformancetest.Direction

const (
	toServer = conformancetest.ToServer
	toClient = conformancetest.ToClient
)

type obj = map[string]any

func decode(p []byte) (obj, bool) {
	d := json.NewDecoder(bytes.NewReader(p))
	d.UseNumber()
	var m obj
	if d.Decode(&m) != nil || m == nil {
		return nil, false
	}
	return m, true
}

func encode(v any) []byte {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	_ = e.Encode(v)
	return bytes.TrimSpace(b.Bytes())
}

// serve starts a reference server with opts; proxy, when set, sits in
// front of it. It returns the target.
func serve(t *testing.T, opts limpwire.Options, proxy *conformancetest.FrameProxy) conformance.Target {
	url := startServer(t, opts, nil)
	if proxy == nil {
		return target(url)
	}
	proxy.Backend = strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), "/ws")
	return target("ws://" + conformancetest.StartFrameProxy(t, *proxy) + "/ws")
}

// callEdit is a proxy that lets edit change every call whose token
// verifies with the connection's current key (tracked from the replies,
// as the server switches it), then signs it again with that key. edit
// gets the frame's header and claims; it returns whether it changed
// anything. resignAll signs every call again, verified or not.
func callEdit(edit func(header obj, claims obj) bool, resignAll bool) *conformancetest.FrameProxy {
	p := conformancetest.TextProxy(func() func(d dir, p []byte) [][]byte {
		key := limpwire.AnonToken
		return func(d dir, p []byte) [][]byte {
			if d == toClient {
				if m, ok := decode(p); ok {
					if args, ok := m["args"].(obj); ok {
						if s, ok := args["session"].(obj); ok {
							if s["_id"] == limpwire.AnonSID {
								key = limpwire.AnonToken
							} else if tok, ok := s["token"].(string); ok {
								key = tok
							}
						}
					}
				}
				return conformancetest.One(p)
			}
			f, ok := decode(p)
			if !ok {
				return conformancetest.One(p)
			}
			tok, _ := f["token"].(string)
			parts := strings.Split(tok, ".")
			if len(parts) != 3 {
				return conformancetest.One(p)
			}
			m := hmac.New(sha256.New, []byte(key))
			m.Write([]byte(parts[0] + "." + parts[1]))
			valid := b64(m.Sum(nil)) == parts[2]
			if !valid && !resignAll {
				return conformancetest.One(p)
			}
			hb, err1 := b64dec(parts[0])
			pb, err2 := b64dec(parts[1])
			header, ok1 := decode(hb)
			claims, ok2 := decode(pb)
			if err1 != nil || err2 != nil || !ok1 || !ok2 {
				return conformancetest.One(p)
			}
			if !edit(header, claims) && valid {
				return conformancetest.One(p)
			}
			f["token"] = signJWT(encode(header), encode(claims), key)
			return conformancetest.One(encode(f))
		}
	})
	return &p
}

// corrupt replaces a call's signature when bad says so: a server that
// refuses what the spec accepts.
func corrupt(bad func(header obj, claims obj) bool) *conformancetest.FrameProxy {
	p := conformancetest.TextProxy(func() func(d dir, p []byte) [][]byte {
		return func(d dir, p []byte) [][]byte {
			f, ok := decode(p)
			if d != toServer || !ok {
				return conformancetest.One(p)
			}
			tok, _ := f["token"].(string)
			parts := strings.Split(tok, ".")
			if len(parts) != 3 {
				return conformancetest.One(p)
			}
			hb, _ := b64dec(parts[0])
			pb, _ := b64dec(parts[1])
			h, _ := decode(hb)
			c, _ := decode(pb)
			if h != nil && c != nil && bad(h, c) {
				f["token"] = parts[0] + "." + parts[1] + ".AAAA"
				return conformancetest.One(encode(f))
			}
			return conformancetest.One(p)
		}
	})
	return &p
}

// replyEdit is a proxy that lets edit change every server message.
func replyEdit(edit func(m obj)) *conformancetest.FrameProxy {
	p := conformancetest.TextProxy(func() func(d dir, p []byte) [][]byte {
		return func(d dir, p []byte) [][]byte {
			m, ok := decode(p)
			if d != toClient || !ok {
				return conformancetest.One(p)
			}
			edit(m)
			return conformancetest.One(encode(m))
		}
	})
	return &p
}

// dropReplies drops server messages for which drop is true.
func dropReplies(drop func(m obj) bool) *conformancetest.FrameProxy {
	p := conformancetest.TextProxy(func() func(d dir, p []byte) [][]byte {
		return func(d dir, p []byte) [][]byte {
			if m, ok := decode(p); ok && d == toClient && drop(m) {
				return nil
			}
			return conformancetest.One(p)
		}
	})
	return &p
}

func argsOf(m obj) obj {
	a, _ := m["args"].(obj)
	if a == nil {
		a = obj{}
		m["args"] = a
	}
	return a
}

func renameCode(code string) func(m obj) {
	return func(m obj) {
		if a := argsOf(m); a["code"] == code {
			a["code"] = code + "_X"
		}
	}
}

func renameMsgs(pairs ...string) func(m obj) {
	return func(m obj) {
		msg, _ := m["msg"].(string)
		for i := 0; i < len(pairs); i += 2 {
			if strings.HasPrefix(msg, pairs[i]) {
				m["msg"] = pairs[i+1] + msg[len(pairs[i]):]
			}
		}
	}
}

// walk applies f to every object inside v (v included).
func walk(v any, f func(o obj)) {
	switch v := v.(type) {
	case obj:
		f(v)
		for _, e := range v {
			walk(e, f)
		}
	case []any:
		for _, e := range v {
			walk(e, f)
		}
	}
}

// queryEdit edits the query of calls (every object inside it).
func queryEdit(f func(o obj) bool) *conformancetest.FrameProxy {
	return callEdit(func(_ obj, c obj) bool {
		changed := false
		walk(c["query"], func(o obj) {
			if f(o) {
				changed = true
			}
		})
		return changed
	}, false)
}

// renameOp renames operator from to to wherever it is an operator key.
func renameOp(from, to string) func(o obj) bool {
	return func(o obj) bool {
		v, ok := o[from]
		if !ok || len(o) != 1 {
			return false
		}
		delete(o, from)
		o[to] = v
		return true
	}
}

// docEdit edits the doc of calls (the top-level attributes).
func docEdit(f func(attr string, v any, doc obj) bool) *conformancetest.FrameProxy {
	return callEdit(func(_ obj, c obj) bool {
		doc, _ := c["doc"].(obj)
		changed := false
		for k, v := range doc {
			if f(k, v, doc) {
				changed = true
			}
		}
		return changed
	}, false)
}

// softNoop is a Store whose soft delete does nothing (but reports the
// documents as deleted).
type softNoop struct{ limpwire.Store }

func (s softNoop) Delete(ctx context.Context, coll string, q *limpwire.Query, soft bool) ([]string, error) {
	if !soft {
		return s.Store.Delete(ctx, coll, q, soft)
	}
	res, err := s.Store.Read(ctx, coll, q)
	var ids []string
	for _, d := range res.Docs {
		ids = append(ids, d["_id"].(string))
	}
	return ids, err
}

type mutant struct {
	name    string
	profile string
	short   bool
	opts    func(o *limpwire.Options)
	proxy   func() *conformancetest.FrameProxy
}

func limpMutants() []mutant {
	codeMutant := func(code string, profile string) mutant {
		return mutant{name: "code-" + strings.ToLower(code), profile: profile,
			proxy: func() *conformancetest.FrameProxy { return replyEdit(renameCode(code)) }}
	}
	ms := []mutant{
		// Options.
		{name: "frame-limit-8MiB", short: true, opts: func(o *limpwire.Options) { o.MaxFrameSize = 8 << 20 }},
		{name: "no-connection-quota", opts: func(o *limpwire.Options) { o.QuotaAnon = -1 }},
		{name: "no-idle-close", opts: func(o *limpwire.Options) { o.ConnTimeout = -1 }},
		{name: "any-client-app", opts: func(o *limpwire.Options) { o.ClientApps = nil }},
		{name: "soft-delete-noop", opts: func(o *limpwire.Options) { o.Store = softNoop{limpwire.NewMemoryStore()} }},

		// Replies.
		{name: "spelling-fixed", short: true, proxy: func() *conformancetest.FrameProxy {
			return replyEdit(renameMsgs("Connection establised", "Connection established", "You were succefully", "You were successfully",
				"Singout", "Signout"))
		}},
		{name: "greeting-of-the-docs", proxy: func() *conformancetest.FrameProxy {
			return replyEdit(renameMsgs("Connection ready", "Connection established."))
		}},
		{name: "data-messages-reworded", proxy: func() *conformancetest.FrameProxy {
			return replyEdit(renameMsgs("Found ", "Got ", "Created ", "Made ", "Updated ", "Changed ", "Deleted ", "Removed ",
				"Detected ", "Saw ", "Watch task deleted.", "Watch deleted."))
		}},
		{name: "session-messages-reworded", proxy: func() *conformancetest.FrameProxy {
			return replyEdit(renameMsgs("You were successfully authed.", "Authed.", "You are successfully signed-out.", "Signed out.",
				"Heartbeat received.", "Heartbeat.", "You have hit calls quota.", "Quota.", "Request missing endpoint.", "No endpoint.",
				"Endpoint module is invalid.", "Bad module.", "Endpoint method is invalid.", "Bad method."))
		}},
		{name: "last-chunk-of-the-docs", proxy: func() *conformancetest.FrameProxy {
			return replyEdit(renameMsgs("Last chunk accepted", "Last Chunk accepted"))
		}},
		{name: "outer-call-id-dropped", proxy: func() *conformancetest.FrameProxy {
			return replyEdit(func(m obj) {
				if a := argsOf(m); a["code"] == "CORE_REQ_INVALID_TOKEN" {
					delete(a, "call_id")
				}
			})
		}},
		{name: "total-after-limit", proxy: func() *conformancetest.FrameProxy {
			return replyEdit(func(m obj) {
				if a := argsOf(m); a["total"] != nil {
					a["total"] = a["count"]
				}
			})
		}},
		{name: "count-off-by-one", proxy: func() *conformancetest.FrameProxy {
			return replyEdit(func(m obj) {
				if a := argsOf(m); a["docs"] != nil {
					if n, ok := a["count"].(json.Number); ok {
						i, _ := n.Int64()
						a["count"] = i + 1
					}
				}
			})
		}},
		{name: "auth-token-dropped", proxy: func() *conformancetest.FrameProxy {
			return replyEdit(func(m obj) {
				if s, ok := argsOf(m)["session"].(obj); ok && m["msg"] == "You were successfully authed." {
					s["token"] = "short"
				}
			})
		}},
		{name: "auth-hash-leaked", proxy: func() *conformancetest.FrameProxy {
			return replyEdit(func(m obj) {
				if s, ok := argsOf(m)["session"].(obj); ok {
					if u, ok := s["user"].(obj); ok {
						u["email_hash"] = "x"
					}
				}
			})
		}},
		{name: "reauth-other-session", proxy: func() *conformancetest.FrameProxy {
			return replyEdit(func(m obj) {
				if s, ok := argsOf(m)["session"].(obj); ok && m["msg"] == "You were succefully reauthed." {
					s["_id"] = "bbbbbbbbbbbbbbbbbbbbbbbb"
				}
			})
		}},
		{name: "signout-keeps-session", proxy: func() *conformancetest.FrameProxy {
			return replyEdit(func(m obj) {
				if s, ok := argsOf(m)["session"].(obj); ok && s["_id"] == limpwire.AnonSID {
					s["_id"] = "bbbbbbbbbbbbbbbbbbbbbbbb"
				}
			})
		}},
		{name: "watch-changes-dropped", proxy: func() *conformancetest.FrameProxy {
			return dropReplies(func(m obj) bool { s, _ := m["msg"].(string); return strings.HasPrefix(s, "Detected") })
		}},

		// Calls: what the server accepts or how it reads them.
		{name: "signature-not-checked", short: true, proxy: func() *conformancetest.FrameProxy {
			return callEdit(func(h obj, _ obj) bool { h["alg"] = "HS256"; return true }, true)
		}},
		{name: "exp-not-checked", proxy: func() *conformancetest.FrameProxy {
			return callEdit(func(_ obj, c obj) bool {
				if n, ok := c["exp"].(json.Number); ok {
					if e, _ := n.Int64(); e < time.Now().Unix() {
						delete(c, "exp")
						return true
					}
				}
				return false
			}, false)
		}},
		{name: "aud-ignored", proxy: func() *conformancetest.FrameProxy {
			return callEdit(func(_ obj, c obj) bool { _, ok := c["aud"]; delete(c, "aud"); return ok }, false)
		}},
		{name: "nbf-ignored", proxy: func() *conformancetest.FrameProxy {
			return callEdit(func(_ obj, c obj) bool { _, ok := c["nbf"]; delete(c, "nbf"); return ok }, false)
		}},
		{name: "sdk-header-only", proxy: func() *conformancetest.FrameProxy {
			return corrupt(func(h obj, _ obj) bool { _, kid := h["kid"]; return kid || len(h) != 2 })
		}},
		{name: "exp-required", proxy: func() *conformancetest.FrameProxy {
			return corrupt(func(_ obj, c obj) bool { _, ok := c["exp"]; return !ok && c["endpoint"] != nil })
		}},
		{name: "reply-always-sent", proxy: func() *conformancetest.FrameProxy {
			return callEdit(func(_ obj, c obj) bool {
				if c["call_id"] == "" || c["call_id"] == "__TEST__" {
					c["call_id"] = "sent1"
					return true
				}
				return false
			}, false)
		}},
		{name: "conn-close-ignored", proxy: func() *conformancetest.FrameProxy {
			return callEdit(func(_ obj, c obj) bool {
				if c["endpoint"] == "conn/close" {
					c["endpoint"] = "heart/beat"
					return true
				}
				return false
			}, false)
		}},
		{name: "endpoint-not-lowercased", proxy: func() *conformancetest.FrameProxy {
			return callEdit(func(_ obj, c obj) bool {
				if e, _ := c["endpoint"].(string); e == "SESSION/AUTH" {
					c["endpoint"] = "nosuch/auth"
					return true
				}
				return false
			}, false)
		}},
		{name: "heartbeat-case-insensitive", proxy: func() *conformancetest.FrameProxy {
			return callEdit(func(_ obj, c obj) bool {
				if c["endpoint"] == "HEART/BEAT" {
					c["endpoint"] = "heart/beat"
					return true
				}
				return false
			}, false)
		}},
		{name: "watch-delete-ignored", proxy: func() *conformancetest.FrameProxy {
			return callEdit(func(_ obj, c obj) bool {
				if q, _ := c["query"].([]any); c["endpoint"] == "watch/delete" && len(q) == 1 && !strings.Contains(string(encode(q)), "nosuch") {
					c["endpoint"] = "heart/beat"
					return true
				}
				return false
			}, false)
		}},
		{name: "binary-read-as-text", proxy: func() *conformancetest.FrameProxy {
			return &conformancetest.FrameProxy{Frame: func(d dir, f ws.Frame) []ws.Frame {
				if d == toServer && f.Header.OpCode == ws.OpBinary {
					return []ws.Frame{ws.NewTextFrame(f.Payload)}
				}
				return []ws.Frame{f}
			}}
		}},
		{name: "upload-chunks-emptied", proxy: func() *conformancetest.FrameProxy {
			return docEdit(func(attr string, v any, doc obj) bool {
				if attr != "file" || doc["chunk"] == json.Number("1") {
					return false
				}
				if f, ok := v.(obj); ok {
					f["content"] = ""
					return true
				}
				return false
			})
		}},

		// Queries and updates.
		{name: "or-takes-first", proxy: func() *conformancetest.FrameProxy {
			return callEdit(func(_ obj, c obj) bool {
				q, _ := c["query"].([]any)
				changed := false
				for i, s := range q {
					if l, ok := s.([]any); ok && len(l) > 1 {
						q[i] = l[0]
						changed = true
					}
				}
				return changed
			}, false)
		}},
		{name: "and-keeps-first-step", proxy: func() *conformancetest.FrameProxy {
			return callEdit(func(_ obj, c obj) bool {
				q, _ := c["query"].([]any)
				if len(q) == 2 {
					if o, ok := q[1].(obj); ok && len(o) == 1 && o["n"] != nil {
						if _, isOp := o["n"].(obj); !isOp {
							c["query"] = q[:1]
							return true
						}
					}
				}
				return false
			}, false)
		}},
		{name: "or-key-ignored", proxy: func() *conformancetest.FrameProxy {
			return queryEdit(func(o obj) bool { _, ok := o["__or"]; delete(o, "__or"); return ok })
		}},
		{name: "eq-ne-swapped", proxy: func() *conformancetest.FrameProxy {
			return queryEdit(func(o obj) bool {
				return renameOp("$eq", "$nex")(o) || renameOp("$ne", "$eq")(o) || renameOp("$nex", "$ne")(o)
			})
		}},
		{name: "gt-as-gte", proxy: func() *conformancetest.FrameProxy { return queryEdit(renameOp("$gt", "$gte")) }},
		{name: "gte-as-gt", proxy: func() *conformancetest.FrameProxy { return queryEdit(renameOp("$gte", "$gt")) }},
		{name: "lt-as-lte", proxy: func() *conformancetest.FrameProxy { return queryEdit(renameOp("$lt", "$lte")) }},
		{name: "lte-as-lt", proxy: func() *conformancetest.FrameProxy { return queryEdit(renameOp("$lte", "$lt")) }},
		{name: "bet-exclusive", proxy: func() *conformancetest.FrameProxy {
			return queryEdit(func(o obj) bool {
				l, ok := o["$bet"].([]any)
				if !ok || len(l) != 2 {
					return false
				}
				a, _ := l[0].(json.Number).Float64()
				b, _ := l[1].(json.Number).Float64()
				o["$bet"] = []any{a + 0.5, b - 0.5}
				return true
			})
		}},
		{name: "in-nin-swapped", proxy: func() *conformancetest.FrameProxy {
			return queryEdit(func(o obj) bool {
				return renameOp("$in", "$ninx")(o) || renameOp("$nin", "$in")(o) || renameOp("$ninx", "$nin")(o)
			})
		}},
		{name: "all-as-in", proxy: func() *conformancetest.FrameProxy { return queryEdit(renameOp("$all", "$in")) }},
		{name: "regex-case-sensitive", proxy: func() *conformancetest.FrameProxy {
			return queryEdit(func(o obj) bool {
				s, ok := o["$regex"].(string)
				if ok {
					o["$regex"] = "(?-i)" + s
				}
				return ok
			})
		}},
		{name: "sort-ignored", proxy: func() *conformancetest.FrameProxy {
			return queryEdit(func(o obj) bool { _, ok := o["$sort"]; delete(o, "$sort"); return ok })
		}},
		{name: "attrs-ignored", proxy: func() *conformancetest.FrameProxy {
			return queryEdit(func(o obj) bool { _, ok := o["$attrs"]; delete(o, "$attrs"); return ok })
		}},
		{name: "default-sort-ascending", proxy: func() *conformancetest.FrameProxy {
			return callEdit(func(_ obj, c obj) bool {
				q, _ := c["query"].([]any)
				if e, _ := c["endpoint"].(string); !strings.HasSuffix(e, "/read") || strings.Contains(string(encode(q)), "$sort") {
					return false
				}
				c["query"] = append(q, obj{"$sort": obj{"_id": 1}})
				return true
			}, false)
		}},
		{name: "nested-special-keys-ignored", proxy: func() *conformancetest.FrameProxy {
			return queryEdit(func(o obj) bool {
				if len(o) < 2 {
					return false
				}
				changed := false
				for k := range o {
					if strings.HasPrefix(k, "$") && k != "$sort" {
						delete(o, k)
						changed = true
					}
				}
				return changed
			})
		}},
		{name: "add-sets", proxy: func() *conformancetest.FrameProxy {
			return docEdit(func(attr string, v any, doc obj) bool {
				if o, ok := v.(obj); ok && o["$add"] != nil {
					doc[attr] = o["$add"]
					return true
				}
				return false
			})
		}},
		{name: "multiply-adds", proxy: func() *conformancetest.FrameProxy {
			return docEdit(func(attr string, v any, doc obj) bool {
				if o, ok := v.(obj); ok {
					return renameOp("$multiply", "$add")(o)
				}
				return false
			})
		}},
		{name: "unique-ignored", proxy: func() *conformancetest.FrameProxy {
			return docEdit(func(attr string, v any, doc obj) bool {
				if o, ok := v.(obj); ok && o["$unique"] != nil {
					delete(o, "$unique")
					return true
				}
				return false
			})
		}},
		{name: "remove-ignored", proxy: func() *conformancetest.FrameProxy {
			return docEdit(func(attr string, v any, doc obj) bool {
				if o, ok := v.(obj); ok && o["$remove"] != nil {
					delete(doc, attr)
					return true
				}
				return false
			})
		}},
	}
	for _, code := range []string{
		"CORE_CONN_READY", "CORE_CONN_OK", "CORE_REQ_NO_VERIFY", "CORE_REQ_INVALID_TOKEN", "CORE_SERVER_ERROR",
		"CORE_REQ_INVALID_PATH", "CORE_REQ_INVALID_MODULE", "CORE_SESSION_FORBIDDEN", "CORE_SESSION_INVALID_DOC",
		"CORE_SESSION_INVALID_QUERY", "CORE_SESSION_INVALID_CREDS", "CORE_SESSION_ALREADY_AUTHED",
		"CORE_SESSION_INVALID_SESSION", "CORE_WATCH_OK", "CORE_WATCH_INVALID_WATCH",
	} {
		ms = append(ms, codeMutant(code, ""))
	}
	for _, code := range []string{"CORE_REQ_INVALID_CALL", "CORE_FILE_INVALID_UPLOAD", "CORE_USER_INVALID_QUERY"} {
		ms = append(ms, codeMutant(code, ProfileAppwire))
	}
	return ms
}

func mutants() []conformancetest.Mutant {
	var out []conformancetest.Mutant
	for _, m := range limpMutants() {
		out = append(out, conformancetest.Mutant{Name: m.name, Profile: m.profile, Short: m.short,
			Start: func(t *testing.T) conformance.Target {
				opts := refOptions()
				if m.opts != nil {
					m.opts(&opts)
				}
				var p *conformancetest.FrameProxy
				if m.proxy != nil {
					p = m.proxy()
				}
				return serve(t, opts, p)
			}})
	}
	return out
}

// TestProof proves the suite: the reference server passes every case in
// both profiles, every mutant fails at least one case, and every case
// fails against at least one mutant.
func TestProof(t *testing.T) {
	conformancetest.Prove(t, Suite(), runner(), func(t *testing.T, profile string) conformance.Target {
		return serve(t, refOptions(), nil)
	}, mutants())
}

func b64dec(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
