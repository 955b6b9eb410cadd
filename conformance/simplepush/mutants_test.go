package spsuite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/internal/conformancetest"
	"github.com/appwire/appwire/simplepush"
)

// Mutants: the reference server with ONE behaviour flipped, by a frame
// proxy (WebSocket), a handler wrapper (endpoint), a Store wrapper, or
// options set against the profile. Each says what a broken server would
// do; TestProof checks each is caught.

type mutant struct {
	name    string
	profile string
	short   bool // also run with -short
	start   func(t *testing.T) string
}

func mutants() []conformancetest.Mutant {
	var out []conformancetest.Mutant
	for _, m := range spMutants() {
		start := m.start
		out = append(out, conformancetest.Mutant{Name: m.name, Profile: m.profile, Short: m.short,
			Start: func(t *testing.T) conformance.Target { return target(start(t)) }})
	}
	return out
}

// ---- JSON plumbing for rewriting messages.

type obj = map[string]json.RawMessage

func decode(p []byte) (obj, bool) {
	var m obj
	if json.Unmarshal(p, &m) != nil || m == nil {
		return nil, false
	}
	return m, true
}

func encode(m obj) []byte {
	b, _ := json.Marshal(m)
	return b
}

func jstr(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

func quote(s string) json.RawMessage { b, _ := json.Marshal(s); return b }

func typeOf(m obj) string { return jstr(m["messageType"]) }

type dir = conformancetest.Direction

const (
	toServer = conformancetest.ToServer
	toClient = conformancetest.ToClient
)

// hook rewrites one text message; it returns the messages to send
// instead. A new hook is made per WebSocket connection.
type hook func(d dir, p []byte) [][]byte

var one = conformancetest.One

// ---- Ways to start a mutant.

// opts starts the reference server of profile with options edited.
func opts(name, profile string, edit func(o *simplepush.Options)) mutant {
	return mutant{name: name, profile: profile, start: func(t *testing.T) string {
		o := optionsOf(profile)
		edit(&o)
		return startServer(t, o, nil)
	}}
}

// store starts the reference server of profile on a wrapped store.
func store(name, profile string, wrap func(s simplepush.Store) simplepush.Store) mutant {
	return opts(name, profile, func(o *simplepush.Options) {
		o.Store = wrap(simplepush.NewMemoryStore(simplepush.MemoryStoreOptions{}))
	})
}

// handler starts the reference server of profile behind wrap.
func handler(name, profile string, wrap func(h http.Handler) http.Handler) mutant {
	return mutant{name: name, profile: profile, start: func(t *testing.T) string {
		return startServer(t, optionsOf(profile), wrap)
	}}
}

// frames starts the reference server of profile behind a frame proxy
// whose per-connection hook newHook makes.
func frames(name, profile string, newHook func() hook) mutant {
	return proxy(name, profile, func() conformancetest.FrameProxy {
		return conformancetest.TextProxy(func() func(dir, []byte) [][]byte { return newHook() })
	})
}

// proxy starts the reference server of profile behind the proxy mk makes.
func proxy(name, profile string, mk func() conformancetest.FrameProxy) mutant {
	return mutant{name: name, profile: profile, start: func(t *testing.T) string {
		p := mk()
		p.Backend = startServer(t, optionsOf(profile), nil)
		return conformancetest.StartFrameProxy(t, p)
	}}
}

// stateless adapts a hook without per-connection state.
func stateless(h hook) func() hook { return func() hook { return h } }

// onType rewrites messages of one type going one way.
func onType(want dir, typ string, f func(m obj) [][]byte) func() hook {
	return stateless(func(d dir, p []byte) [][]byte {
		if d != want {
			return one(p)
		}
		m, ok := decode(p)
		if !ok || !strings.EqualFold(typeOf(m), typ) {
			return one(p)
		}
		return f(m)
	})
}

// ---- Endpoint plumbing.

func isEndpoint(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, simplepush.DefaultEndpointPath)
}

func responses(f func(r *http.Request, resp *conformancetest.Response)) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return conformancetest.RewriteResponses(h, func(r *http.Request, resp *conformancetest.Response) {
			if isEndpoint(r) {
				f(r, resp)
			}
		})
	}
}

func statusMap(from, to int) func(http.Handler) http.Handler {
	return responses(func(_ *http.Request, resp *conformancetest.Response) {
		if resp.Status == from {
			resp.Status = to
		}
	})
}

// forms rewrites the form body of every endpoint request.
func forms(f func(r *http.Request, form url.Values)) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return conformancetest.RewriteRequests(h, func(r *http.Request) {
			if !isEndpoint(r) || r.Body == nil {
				return
			}
			b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			form, err := url.ParseQuery(string(b))
			if err == nil {
				f(r, form)
				b = []byte(form.Encode())
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
			r.ContentLength = int64(len(b))
		})
	}
}

// ---- Store wrappers.

type storeWrap struct {
	simplepush.Store
	register   func(s simplepush.Store, uaid, chid string) error
	unregister func(s simplepush.Store, uaid, chid string) error
	ack        func(s simplepush.Store, uaid, chid string, v uint64) error
	update     func(s simplepush.Store, uaid, chid string, v uint64) (bool, error)
	pending    func(s simplepush.Store, uaid string, dst []simplepush.Update) ([]simplepush.Update, error)
}

func (w *storeWrap) Register(ctx ctxT, uaid, chid string) error {
	if w.register != nil {
		return w.register(w.Store, uaid, chid)
	}
	return w.Store.Register(ctx, uaid, chid)
}

func (w *storeWrap) Unregister(ctx ctxT, uaid, chid string) error {
	if w.unregister != nil {
		return w.unregister(w.Store, uaid, chid)
	}
	return w.Store.Unregister(ctx, uaid, chid)
}

func (w *storeWrap) Ack(ctx ctxT, uaid, chid string, v uint64) error {
	if w.ack != nil {
		return w.ack(w.Store, uaid, chid, v)
	}
	return w.Store.Ack(ctx, uaid, chid, v)
}

func (w *storeWrap) Update(ctx ctxT, uaid, chid string, v uint64) (bool, error) {
	if w.update != nil {
		return w.update(w.Store, uaid, chid, v)
	}
	return w.Store.Update(ctx, uaid, chid, v)
}

func (w *storeWrap) Pending(ctx ctxT, uaid string, dst []simplepush.Update) ([]simplepush.Update, error) {
	if w.pending != nil {
		return w.pending(w.Store, uaid, dst)
	}
	return w.Store.Pending(ctx, uaid, dst)
}

// ---- The mutants.

func spMutants() []mutant {
	ms := []mutant{
		// §1
		proxy("no-subprotocol-echo", ProfilePushgo, func() conformancetest.FrameProxy {
			return conformancetest.FrameProxy{Response: func(_ *http.Request, resp *http.Response) {
				resp.Header.Del("Sec-WebSocket-Protocol")
			}}
		}),
		handler("requires-subprotocol", ProfilePushgo, func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !isEndpoint(r) && r.Header.Get("Sec-WebSocket-Protocol") == "" {
					http.Error(w, "subprotocol required", http.StatusBadRequest)
					return
				}
				h.ServeHTTP(w, r)
			})
		}),
		// §2, §3.1
		frames("uaid-dashed-upper-case", ProfilePushgo, onType(toClient, "hello", func(m obj) [][]byte {
			if u := jstr(m["uaid"]); len(u) == 32 {
				m["uaid"] = quote(strings.ToUpper(dashed(u)))
			}
			return one(encode(m))
		})),
		opts("dialect-autopush", ProfilePushgo, func(o *simplepush.Options) { o.Dialect = simplepush.DialectAutopush }),
		opts("dialect-pushgo", ProfileAutopush, func(o *simplepush.Options) { o.Dialect = simplepush.DialectPushgo }),
		opts("resend-after-ack", ProfileAppwire, func(o *simplepush.Options) { o.ResendPendingOnAck = true }),
		frames("hello-no-status", ProfilePushgo, onType(toClient, "hello", func(m obj) [][]byte {
			delete(m, "status")
			return one(encode(m))
		})),
		frames("constant-uaid", ProfilePushgo, onType(toServer, "hello", func(m obj) [][]byte {
			if jstr(m["uaid"]) == "" {
				m["uaid"] = quote("0123456789abcdef0123456789abcdef")
			}
			return one(encode(m))
		})),
		frames("uaid-echoed", ProfilePushgo, echoUAID),
		frames("uaid-echoed-autopush", ProfileAutopush, echoUAID),
		frames("uaid-ignored", ProfilePushgo, onType(toServer, "hello", func(m obj) [][]byte {
			m["uaid"] = quote("")
			return one(encode(m))
		})),
		opts("max-channels-unlimited", ProfilePushgo, func(o *simplepush.Options) { o.MaxChannels = 1 << 20 }),
		frames("type-case-sensitive", ProfilePushgo, stateless(func(d dir, p []byte) [][]byte {
			if m, ok := decode(p); ok && d == toServer && typeOf(m) != strings.ToLower(typeOf(m)) {
				m["messageType"] = quote("x-" + typeOf(m))
				return one(encode(m))
			}
			return one(p)
		})),
		frames("repeated-hello-any-uaid", ProfilePushgo, func() hook {
			hellos := 0
			return func(d dir, p []byte) [][]byte {
				if m, ok := decode(p); ok && d == toServer && typeOf(m) == "hello" {
					if hellos++; hellos > 1 {
						m["uaid"] = quote("")
						return one(encode(m))
					}
				}
				return one(p)
			}
		}),
		frames("non-string-uaid-ignored", ProfilePushgo, onType(toServer, "hello", func(m obj) [][]byte {
			if v, ok := m["uaid"]; ok && len(v) > 0 && v[0] != '"' {
				delete(m, "uaid")
			}
			return one(encode(m))
		})),
		frames("member-names-trimmed", ProfilePushgo, stateless(func(d dir, p []byte) [][]byte {
			m, ok := decode(p)
			if !ok || d != toServer {
				return one(p)
			}
			out := obj{}
			for k, v := range m {
				out[strings.TrimSpace(k)] = v
			}
			return one(encode(out))
		})),
		frames("implicit-hello", ProfilePushgo, implicitHello),
		frames("implicit-hello-autopush", ProfileAutopush, implicitHello),
		store("no-flush", ProfilePushgo, func(s simplepush.Store) simplepush.Store {
			return &storeWrap{Store: s, pending: func(_ simplepush.Store, _ string, dst []simplepush.Update) ([]simplepush.Update, error) {
				return dst, nil
			}}
		}),
		{name: "no-eviction", profile: ProfilePushgo, start: startNoEviction},
		opts("no-hello-timeout", ProfilePushgo, func(o *simplepush.Options) { o.HelloTimeout = -1 }),
		// §3.2, §3.3
		frames("relative-endpoint", ProfilePushgo, onType(toClient, "register", func(m obj) [][]byte {
			if u, err := url.Parse(jstr(m["pushEndpoint"])); err == nil {
				m["pushEndpoint"] = quote(u.Path)
			}
			return one(encode(m))
		})),
		frames("register-no-uaid", ProfilePushgo, onType(toClient, "register", func(m obj) [][]byte {
			delete(m, "uaid")
			return one(encode(m))
		})),
		store("register-once", ProfilePushgo, func(s simplepush.Store) simplepush.Store {
			var mu sync.Mutex
			seen := map[string]bool{}
			return &storeWrap{Store: s, register: func(s simplepush.Store, uaid, chid string) error {
				mu.Lock()
				dup := seen[uaid+chid]
				seen[uaid+chid] = true
				mu.Unlock()
				if dup {
					return fmt.Errorf("already registered")
				}
				return s.Register(bg(), uaid, chid)
			}}
		}),
		frames("lenient-channel-ids", ProfilePushgo, lenientChannelIDs),
		frames("lenient-channel-ids-autopush", ProfileAutopush, lenientChannelIDs),
		frames("unregister-fails-registered", ProfilePushgo, func() hook {
			reg := map[string]bool{}
			return func(d dir, p []byte) [][]byte {
				m, ok := decode(p)
				if !ok {
					return one(p)
				}
				switch {
				case d == toServer && typeOf(m) == "register":
					reg[jstr(m["channelID"])] = true
				case d == toClient && typeOf(m) == "unregister" && reg[jstr(m["channelID"])]:
					m["status"] = json.RawMessage("500")
					return one(encode(m))
				}
				return one(p)
			}
		}),
		store("unregister-any-owner", ProfilePushgo, func(s simplepush.Store) simplepush.Store {
			var mu sync.Mutex
			owner := map[string]string{}
			return &storeWrap{Store: s,
				register: func(s simplepush.Store, uaid, chid string) error {
					mu.Lock()
					if _, ok := owner[chid]; !ok {
						owner[chid] = uaid
					}
					mu.Unlock()
					return s.Register(bg(), uaid, chid)
				},
				unregister: func(s simplepush.Store, uaid, chid string) error {
					mu.Lock()
					if o, ok := owner[chid]; ok {
						uaid = o
					}
					mu.Unlock()
					return s.Unregister(bg(), uaid, chid)
				}}
		}),
		store("unregister-keeps-channel", ProfilePushgo, keepChannel),
		store("unregister-keeps-channel-autopush", ProfileAutopush, keepChannel),
		// §3.4, §3.5
		frames("version-as-string", ProfilePushgo, onType(toClient, "notification", func(m obj) [][]byte {
			var ups []obj
			_ = json.Unmarshal(m["updates"], &ups)
			for _, u := range ups {
				u["version"] = quote(string(u["version"]))
			}
			m["updates"], _ = json.Marshal(ups)
			return one(encode(m))
		})),
		frames("flush-split", ProfilePushgo, onType(toClient, "notification", func(m obj) [][]byte {
			var ups []json.RawMessage
			_ = json.Unmarshal(m["updates"], &ups)
			var out [][]byte
			for _, u := range ups {
				m["updates"] = json.RawMessage("[" + string(u) + "]")
				out = append(out, encode(m))
			}
			return out
		})),
		store("ack-ignored", ProfilePushgo, func(s simplepush.Store) simplepush.Store {
			return &storeWrap{Store: s, ack: func(simplepush.Store, string, string, uint64) error { return nil }}
		}),
		store("ack-clears-any-version", ProfileAutopush, func(s simplepush.Store) simplepush.Store {
			return &storeWrap{Store: s, ack: func(s simplepush.Store, uaid, chid string, _ uint64) error {
				return s.Ack(bg(), uaid, chid, ^uint64(0))
			}}
		}),
		frames("no-flush-after-ack", ProfilePushgo, func() hook {
			acked := false
			return func(d dir, p []byte) [][]byte {
				m, ok := decode(p)
				switch {
				case ok && d == toServer && typeOf(m) == "ack":
					acked = true
				case ok && d == toClient && typeOf(m) == "notification" && acked:
					acked = false
					return nil
				}
				return one(p)
			}
		}),
		frames("ack-answered", ProfilePushgo, onType(toServer, "ack", func(m obj) [][]byte {
			return [][]byte{encode(m), []byte(`{"messageType":"unregister","channelID":"00000000-0000-4000-8000-000000000000"}`)}
		})),
		frames("purge-closes", ProfilePushgo, onType(toServer, "purge", func(obj) [][]byte { return one([]byte("purge?")) })),
		// §3.6, §3.7, §7
		frames("no-pong", ProfilePushgo, stateless(func(d dir, p []byte) [][]byte {
			if d == toClient && string(p) == "{}" {
				return nil
			}
			return one(p)
		})),
		opts("no-ping-limit", ProfilePushgo, func(o *simplepush.Options) { o.MinPingInterval = -1 }),
		opts("no-ping-limit-autopush", ProfileAutopush, func(o *simplepush.Options) { o.MinPingInterval = -1 }),
		opts("ping-limit-longer-than-said", ProfilePushgo, func(o *simplepush.Options) { o.MinPingInterval = time.Hour }),
		frames("non-json-answered", ProfilePushgo, stateless(func(d dir, p []byte) [][]byte {
			if _, ok := decode(p); d == toServer && !ok {
				return one([]byte(`{"messageType":"bogus"}`))
			}
			return one(p)
		})),
		frames("unknown-type-ignored", ProfilePushgo, stateless(func(d dir, p []byte) [][]byte {
			if m, ok := decode(p); ok && d == toServer && typeOf(m) == "frobnicate" {
				return one([]byte(fmt.Sprintf(`{"messageType":"unregister","channelID":%q}`, newChID())))
			}
			return one(p)
		})),
		frames("extras-refused", ProfilePushgo, onType(toServer, "hello", func(m obj) [][]byte {
			if _, ok := m["connect"]; ok {
				return one([]byte(`{"messageType":"hello","uaid":1,"channelIDs":[]}`))
			}
			return one(encode(m))
		})),
		// §4
		handler("delivered-as-202", ProfilePushgo, statusMap(200, 202)),
		handler("stored-as-200", ProfilePushgo, statusMap(202, 200)),
		handler("any-method", ProfilePushgo, func(h http.Handler) http.Handler {
			return conformancetest.RewriteRequests(h, func(r *http.Request) {
				if isEndpoint(r) {
					r.Method = http.MethodPut
				}
			})
		}),
		handler("bad-token-400", ProfilePushgo, statusMap(404, 400)),
		handler("bad-version-ignored", ProfilePushgo, forms(func(_ *http.Request, f url.Values) {
			if v := f.Get("version"); v != "" && strings.Trim(v, "0123456789") != "" {
				f.Del("version")
			}
		})),
		handler("data-truncated", ProfilePushgo, forms(func(_ *http.Request, f url.Values) {
			if d := f.Get("data"); len(d) > 4096 {
				f.Set("data", d[:4096])
			}
		})),
		handler("content-type-required", ProfilePushgo, func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if isEndpoint(r) && r.Header.Get("Content-Type") == "" {
					http.Error(w, "Content-Type required", http.StatusUnsupportedMediaType)
					return
				}
				h.ServeHTTP(w, r)
			})
		}),
		handler("missing-version-is-1", ProfilePushgo, forms(func(r *http.Request, f url.Values) {
			if f.Get("version") == "" && r.URL.Query().Get("version") == "" {
				f.Set("version", "1")
			}
		})),
		handler("data-dropped", ProfilePushgo, forms(func(_ *http.Request, f url.Values) { f.Del("data") })),
		{name: "clear-tokens", profile: ProfilePushgo, start: startClearTokens},
		handler("unregistered-stored", ProfilePushgo, statusMap(410, 202)),
		handler("query-ignored", ProfilePushgo, func(h http.Handler) http.Handler {
			return conformancetest.RewriteRequests(h, func(r *http.Request) {
				if isEndpoint(r) {
					r.URL.RawQuery = ""
				}
			})
		}),
		handler("empty-bodies", ProfilePushgo, responses(func(_ *http.Request, resp *conformancetest.Response) {
			if resp.Status < 300 {
				resp.Body = nil
			}
		})),
		// §5
		store("last-write-wins", ProfileAutopush, func(s simplepush.Store) simplepush.Store {
			var mu sync.Mutex
			last := map[string]uint64{}
			return &storeWrap{Store: s,
				update: func(s simplepush.Store, uaid, chid string, v uint64) (bool, error) {
					ok, err := s.Update(bg(), uaid, chid, v)
					if err == nil {
						mu.Lock()
						last[uaid+chid] = v
						mu.Unlock()
					}
					return ok, err
				},
				pending: func(s simplepush.Store, uaid string, dst []simplepush.Update) ([]simplepush.Update, error) {
					out, err := s.Pending(bg(), uaid, dst)
					mu.Lock()
					defer mu.Unlock()
					for i := range out {
						if v, ok := last[uaid+out[i].ChannelID]; ok {
							out[i].Version = v
						}
					}
					return out, err
				}}
		}),
		store("flush-every-version", ProfilePushgo, func(s simplepush.Store) simplepush.Store {
			var mu sync.Mutex
			hist := map[string][]uint64{}
			return &storeWrap{Store: s,
				update: func(s simplepush.Store, uaid, chid string, v uint64) (bool, error) {
					ok, err := s.Update(bg(), uaid, chid, v)
					if err == nil {
						mu.Lock()
						hist[uaid+chid] = append(hist[uaid+chid], v)
						mu.Unlock()
					}
					return ok, err
				},
				pending: func(s simplepush.Store, uaid string, dst []simplepush.Update) ([]simplepush.Update, error) {
					out, err := s.Pending(bg(), uaid, dst)
					mu.Lock()
					defer mu.Unlock()
					var all []simplepush.Update
					for _, u := range out {
						for _, v := range hist[uaid+u.ChannelID] {
							if v < u.Version {
								all = append(all, simplepush.Update{ChannelID: u.ChannelID, Version: v})
							}
						}
						all = append(all, u)
					}
					return all, err
				}}
		}),
		opts("no-retransmit", ProfilePushgo, func(o *simplepush.Options) { o.RetransmitInterval = -1 }),
	}
	// Under -short: one of each way to break the server (options, a store
	// wrapper, a frame proxy, a request-rewriting proxy, a handler
	// wrapper), in both profiles, among those caught within a second.
	for _, short := range []string{"dialect-pushgo", "register-once", "version-as-string", "clear-tokens",
		"delivered-as-202", "lenient-channel-ids-autopush", "last-write-wins"} {
		for i := range ms {
			if ms[i].name == short {
				ms[i].short = true
			}
		}
	}
	return ms
}

// keepChannel is a store whose unregister does nothing.
func keepChannel(s simplepush.Store) simplepush.Store {
	return &storeWrap{Store: s, unregister: func(simplepush.Store, string, string) error { return nil }}
}

// echoUAID answers hello with the uaid the client sent, whatever it was.
func echoUAID() hook {
	var sent json.RawMessage
	return func(d dir, p []byte) [][]byte {
		m, ok := decode(p)
		if !ok || typeOf(m) != "hello" {
			return one(p)
		}
		if d == toServer {
			sent = m["uaid"]
			return one(p)
		}
		if jstr(sent) != "" && m["uaid"] != nil {
			m["uaid"] = sent
		}
		return one(encode(m))
	}
}

// implicitHello says hello for a client whose first message is another
// command.
func implicitHello() hook {
	first := true
	return func(d dir, p []byte) [][]byte {
		if d != toServer || !first {
			return one(p)
		}
		first = false
		if m, ok := decode(p); ok && len(m) > 0 && !strings.EqualFold(typeOf(m), "hello") {
			return [][]byte{[]byte(`{"messageType":"hello","uaid":"","channelIDs":[]}`), p}
		}
		return one(p)
	}
}

// lenientChannelIDs replaces a missing or malformed channelID in register
// and unregister with a fresh valid one.
func lenientChannelIDs() hook {
	return func(d dir, p []byte) [][]byte {
		m, ok := decode(p)
		if !ok || d != toServer || (typeOf(m) != "register" && typeOf(m) != "unregister") {
			return one(p)
		}
		v, ok := m["channelID"]
		if !ok || !isUUID(jstr(v)) || jstr(v) != strings.ToLower(jstr(v)) || len(jstr(v)) != 36 {
			m["channelID"] = quote(newChID())
		}
		return one(encode(m))
	}
}
