package afbproto

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// NewHelloAPI returns the "hello" demo API. Its verbs answer as those of
// upstream's hello3 sample binding (afb-daemon 2019, the binding scripts
// written for the daemon call), so such a script runs unchanged against
// this binder. Values are read as afb_req_value reads them (Request.Value:
// over HTTP the query and form fields only; over WebSocket the members of
// the args object), and a "data" or "args" value is parsed as JSON
// (invalid JSON or null: no data). Errors have status "failed" unless said.
//
//	ping                   response "Some String", info "Ping Binder Daemon tag=pingSample count=N query=ARGS"
//	pingfail               fails, info "Ping Binder Daemon fails"
//	pingnull               no response, info as ping with tag=pingNull
//	pingJson               a fixed object {"myString","myInt","eobj":{...}}, tag=pingJson
//	pingevent              broadcasts hello/event with the args, replies them as response, tag=event
//	eventadd   tag, name   creates hello/<name> known as tag ("bad arguments", "creation error")
//	eventdel   tag         deletes it ("bad arguments", "deletion error"); safe here, it crashed V6-2019
//	eventsub   tag         subscribes the WebSocket ("bad arguments", "subscription error", always over HTTP)
//	eventunsub tag         unsubscribes ("bad arguments", "unsubscription error")
//	eventpush  tag, data   pushes data, no response ("bad arguments", "push error")
//	broadcast  tag | name, data  broadcasts the tagged event, else hello/<name> ("bad arguments", "broadcast error")
//	subcall, subcallreq, subcallsync  api, verb, args: calls api/verb; the response is the
//	                       callee's whole afb-reply object, a failure "failed" with that object as info
//	call, callsync         api, verb, args: calls api/verb and answers its reply as is
//	verbose                success, nothing else
//	hasperm    perm        "permission P granted" (no permission backend: all are granted)
//	appid                  info "application is ?" (no peer credentials over TCP)
//	uid                    response -1, info "uid is -1"
//	close                  (session close) info "session closed"
//	set-loa    LOA         needs a valid token ("denied", "authorisation refused"); info "LOA set to N"
//	has-loa-1..3           success if the LOA is at least 1..3
//	setctx, setctxif       args: stores them as the session's context (setctxif only if none); replies them, "context set"
//	getctx                 the stored context, info "returning the context"
//	checktok, reftok       token check; reftok also refreshes the token
//	info                   {"uuid":..., "LOA":n} of the session
//	reply-count  N         replies N times (the first answer counts)
//	get        name        info "found for 'NAME': VALUE" ("invalid", "the parameter 'name' is missing")
//	ref, queue             success
//	mute                   does not reply (answered by the binder as any verb that does not reply)
//	settings               {} (no settings)
//
// Not provided: pingbug, exit, eventloop, dbus, rootdir, locale, api,
// mutebug and after, which test the daemon's internals rather than the
// protocol. Extra verbs, under names hello3 does not use:
//
//	echo                   the args as response
//	async                  replies from another goroutine after the verb returned
//	sleep      ms          replies after ms milliseconds (at most 60000); a way to see "aborted"
//	setloa     level       sets the LOA (flag Check) and replies {"loa":n}
//	session                {"uuid":..., "loa":n}
//	apis                   every API and verb of the binder, with their info lines
//
// Mount a fresh value per Binder.
func NewHelloAPI() API {
	h := &hello{events: make(map[string]*Event)}
	ok := func(r *Request) { r.Reply(nil, "") }
	return API{
		Name: "hello",
		Info: "upstream's hello3 sample, and a few extra verbs",
		Verbs: []Verb{
			{Name: "ping", Info: "success with a count", Handler: func(r *Request) {
				h.ping(r, json.RawMessage(`"Some String"`), "pingSample")
			}},
			{Name: "pingfail", Info: `fails with status "failed"`, Handler: func(r *Request) {
				r.Fail(StatusFailed, "Ping Binder Daemon fails")
			}},
			{Name: "pingnull", Info: "success, no response", Handler: func(r *Request) { h.ping(r, nil, "pingNull") }},
			{Name: "pingJson", Info: "a fixed JSON object", Handler: func(r *Request) {
				h.ping(r, json.RawMessage(`{"myString":"Some String","myInt":1234,"eobj":{"subObjString":"Some String","subObjInt":5678}}`), "pingJson")
			}},
			{Name: "pingevent", Info: "broadcasts hello/event with the args", Handler: h.pingevent},
			{Name: "subcall", Info: "args api, verb, args: subcall", Handler: h.subcall},
			{Name: "subcallreq", Info: "args api, verb, args: subcall", Handler: h.subcall},
			{Name: "subcallsync", Info: "args api, verb, args: subcall", Handler: h.subcall},
			{Name: "eventadd", Info: "args tag, name: create hello/<name>", Handler: h.eventadd},
			{Name: "eventdel", Info: "args tag: delete the event", Handler: h.eventdel},
			{Name: "eventsub", Info: "args tag: subscribe", Handler: h.eventsub},
			{Name: "eventunsub", Info: "args tag: unsubscribe", Handler: h.eventunsub},
			{Name: "eventpush", Info: "args tag, data: push", Handler: h.eventpush},
			{Name: "call", Info: "args api, verb, args: call", Handler: h.call},
			{Name: "callsync", Info: "args api, verb, args: call", Handler: h.call},
			{Name: "verbose", Info: "success", Handler: ok},
			{Name: "broadcast", Info: "args tag or name, data: broadcast", Handler: h.broadcast},
			{Name: "hasperm", Info: "arg perm: permission check", Handler: func(r *Request) {
				r.Reply(nil, "permission "+valueOr(r, "perm", "(null)")+" granted")
			}},
			{Name: "appid", Info: "the client's application id", Handler: func(r *Request) { r.Reply(nil, "application is ?") }},
			{Name: "uid", Info: "the client's uid", Handler: func(r *Request) { r.Reply(-1, "uid is -1") }},
			{Name: "close", Info: "closes the session", Session: SessionClose, Handler: func(r *Request) { r.Reply(nil, "session closed") }},
			{Name: "set-loa", Info: "args LOA: sets the LOA (valid token)", Handler: h.setLOA},
			{Name: "has-loa-1", Info: "LOA >= 1", Session: SessionLOA1, Handler: ok},
			{Name: "has-loa-2", Info: "LOA >= 2", Session: SessionLOA2, Handler: ok},
			{Name: "has-loa-3", Info: "LOA >= 3", Session: SessionLOA3, Handler: ok},
			{Name: "setctx", Info: "stores the args as context", Handler: func(r *Request) { h.setctx(r, true) }},
			{Name: "setctxif", Info: "stores the args as context if none", Handler: func(r *Request) { h.setctx(r, false) }},
			{Name: "getctx", Info: "the stored context", Handler: func(r *Request) {
				raw, _ := r.SessionData().(json.RawMessage)
				r.Reply(raw, "returning the context")
			}},
			{Name: "checktok", Info: "token check", Session: SessionCheck, Handler: ok},
			{Name: "reftok", Info: "token check and refresh", Session: SessionCheck | SessionRefresh, Handler: ok},
			{Name: "info", Info: "the session's uuid and LOA", Handler: func(r *Request) {
				r.Reply(json.RawMessage(`{"uuid":`+string(appendString(nil, r.SessionUUID()))+`,"LOA":`+strconv.Itoa(r.LOA())+`}`), "")
			}},
			{Name: "reply-count", Info: "replies N times", Handler: func(r *Request) {
				n, _ := strconv.Atoi(string(r.Args()))
				for ; n > 0; n-- {
					r.Reply(nil, "")
				}
			}},
			{Name: "get", Info: "arg name: looks the value up", Handler: func(r *Request) {
				name, ok := r.Value("name")
				if !ok {
					r.Fail("invalid", "the parameter 'name' is missing")
					return
				}
				v, ok := r.Value(name)
				if !ok {
					v = "NULL"
				}
				r.Reply(nil, "found for '"+name+"': "+v)
			}},
			{Name: "ref", Info: "success", Handler: ok},
			{Name: "mute", Info: "does not reply", Handler: func(*Request) {}},
			{Name: "queue", Info: "replies from a queued job", Handler: func(r *Request) {
				r.Async()
				go r.Reply(nil, "")
			}},
			{Name: "settings", Info: "the api settings", Handler: func(r *Request) { r.Reply(json.RawMessage(`{}`), "") }},

			// Extra verbs, not in hello3.
			{Name: "echo", Info: "echoes the args", Handler: func(r *Request) { r.Reply(r.Args(), "") }},
			{Name: "async", Info: "replies after returning", Handler: func(r *Request) {
				r.Async()
				go r.Reply("async reply", "")
			}},
			{Name: "sleep", Info: "replies after ms milliseconds", Handler: h.sleep},
			{Name: "setloa", Info: "args level: set the LOA", Session: SessionCheck, Handler: h.setloa},
			{Name: "session", Info: "the caller's session", Handler: func(r *Request) {
				r.Reply(map[string]any{"uuid": r.SessionUUID(), "loa": r.LOA()}, "")
			}},
			{Name: "apis", Info: "list the APIs and verbs", Handler: h.apis},
		},
	}
}

type hello struct {
	pings  atomic.Int64
	mu     sync.Mutex
	events map[string]*Event // tag -> event
}

// ping answers as hello3's ping helper: response, and an info line with
// the tag, a count shared by the ping verbs, and the args as json-c
// prints them.
func (h *hello) ping(r *Request, response json.RawMessage, tag string) {
	n := h.pings.Add(1)
	r.Reply(response, fmt.Sprintf("Ping Binder Daemon tag=%s count=%d query=%s", tag, n, jsoncSpaced(argsOrNull(r.Args()))))
}

func argsOrNull(a json.RawMessage) json.RawMessage {
	if len(a) == 0 {
		return json.RawMessage("null")
	}
	return a
}

func (h *hello) pingevent(r *Request) {
	args := r.Args()
	if isNull(args) {
		args = nil
	}
	r.Binder().Broadcast(r.API(), "event", args)
	h.ping(r, args, "event")
}

func (h *hello) sleep(r *Request) {
	ms, _ := strconv.Atoi(valueOr(r, "ms", "0"))
	ms = min(max(ms, 0), 60000)
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		r.Reply(map[string]int{"slept": ms}, "")
	case <-r.Context().Done():
	}
}

// lookup returns the event of tag, or nil (h.mu held).
func (h *hello) lookup(tag string) *Event { return h.events[tag] }

func (h *hello) eventadd(r *Request) {
	tag, ok1 := r.Value("tag")
	name, ok2 := r.Value("name")
	h.mu.Lock()
	defer h.mu.Unlock()
	if !ok1 || !ok2 {
		r.Fail(StatusFailed, "bad arguments")
		return
	}
	if h.lookup(tag) != nil {
		r.Fail(StatusFailed, "creation error")
		return
	}
	ev, err := r.Binder().NewEvent(r.API(), name)
	if err != nil {
		r.Fail(StatusFailed, "creation error")
		return
	}
	h.events[tag] = ev
	r.Reply(nil, "")
}

func (h *hello) eventdel(r *Request) {
	tag, ok := r.Value("tag")
	h.mu.Lock()
	defer h.mu.Unlock()
	if !ok {
		r.Fail(StatusFailed, "bad arguments")
		return
	}
	ev := h.lookup(tag)
	if ev == nil {
		r.Fail(StatusFailed, "deletion error")
		return
	}
	delete(h.events, tag)
	ev.Close()
	r.Reply(nil, "")
}

func (h *hello) eventsub(r *Request) { h.subscription(r, r.Subscribe, "subscription error") }

func (h *hello) eventunsub(r *Request) { h.subscription(r, r.Unsubscribe, "unsubscription error") }

// subscription applies op to the event named by the "tag" argument, with
// hello3's error texts.
func (h *hello) subscription(r *Request, op func(*Event) error, failure string) {
	tag, ok := r.Value("tag")
	h.mu.Lock()
	defer h.mu.Unlock()
	if !ok {
		r.Fail(StatusFailed, "bad arguments")
		return
	}
	if ev := h.lookup(tag); ev == nil || op(ev) != nil {
		r.Fail(StatusFailed, failure)
		return
	}
	r.Reply(nil, "")
}

func (h *hello) eventpush(r *Request) {
	tag, ok := r.Value("tag")
	data := valueJSON(r, "data")
	h.mu.Lock()
	defer h.mu.Unlock()
	if !ok {
		r.Fail(StatusFailed, "bad arguments")
		return
	}
	ev := h.lookup(tag)
	if ev == nil {
		r.Fail(StatusFailed, "push error")
		return
	}
	if _, err := ev.Push(data); err != nil {
		r.Fail(StatusFailed, "push error")
		return
	}
	r.Reply(nil, "")
}

func (h *hello) broadcast(r *Request) {
	data := valueJSON(r, "data")
	if tag, ok := r.Value("tag"); ok {
		h.mu.Lock()
		ev := h.lookup(tag)
		h.mu.Unlock()
		if ev == nil {
			r.Fail(StatusFailed, "broadcast error")
			return
		}
		if _, err := ev.Broadcast(data); err != nil {
			r.Fail(StatusFailed, "broadcast error")
			return
		}
		r.Reply(nil, "")
		return
	}
	name, ok := r.Value("name")
	if !ok {
		r.Fail(StatusFailed, "bad arguments")
		return
	}
	if _, err := r.Binder().Broadcast(r.API(), name, data); err != nil {
		r.Fail(StatusFailed, "broadcast error")
		return
	}
	r.Reply(nil, "")
}

// callArgs reads the api, verb and args values of the call verbs; args
// must be JSON.
func callArgs(r *Request) (api, verb string, args json.RawMessage, ok bool) {
	api, ok1 := r.Value("api")
	verb, ok2 := r.Value("verb")
	args = valueJSON(r, "args")
	return api, verb, args, ok1 && ok2 && args != nil
}

// subcall answers as hello3's legacy subcalls: the callee's whole
// afb-reply object as response, or "failed" with that object, printed by
// json-c, as info.
func (h *hello) subcall(r *Request) {
	api, verb, args, ok := callArgs(r)
	if !ok {
		r.Fail(StatusFailed, "bad arguments")
		return
	}
	r.Async()
	go func() {
		rep, err := r.Subcall(r.Context(), api, verb, args)
		if err != nil {
			return // answered "aborted" by the binder
		}
		obj := AppendReply(nil, &Reply{Response: rep.Response, Status: rep.Status, Info: rep.Info}, DialectV6)
		if !rep.OK() {
			r.Fail(StatusFailed, jsoncSpaced(obj))
			return
		}
		r.Reply(json.RawMessage(obj), "")
	}()
}

// call answers with the callee's reply as is.
func (h *hello) call(r *Request) {
	api, verb, args, _ := callArgs(r)
	r.Async()
	go func() {
		rep, err := r.Subcall(r.Context(), api, verb, args)
		if err != nil {
			return
		}
		if rep.OK() {
			r.Reply(rep.Response, rep.Info)
		} else {
			r.finish(&Reply{Response: rep.Response, Status: rep.Status, Info: rep.Info})
		}
	}()
}

func (h *hello) setLOA(r *Request) {
	if !r.validated {
		r.Fail(StatusDenied, "authorisation refused")
		return
	}
	loa := jsonInt(r.Args())
	r.SetLOA(loa) // out of range: ignored, as upstream's session refuses it
	r.Reply(nil, "LOA set to "+strconv.Itoa(loa))
}

func (h *hello) setctx(r *Request, replace bool) {
	args := r.Args()
	if !replace {
		if cur, ok := r.SessionData().(json.RawMessage); ok {
			r.Reply(cur, "context set")
			return
		}
	}
	r.SetSessionData(append(json.RawMessage(nil), args...))
	r.Reply(args, "context set")
}

func (h *hello) setloa(r *Request) {
	level, err := strconv.Atoi(valueOr(r, "level", ""))
	if err == nil {
		err = r.SetLOA(level)
	}
	if err != nil {
		r.Fail(StatusFailed, "bad level")
		return
	}
	r.Reply(map[string]int{"loa": level}, "")
}

func (h *hello) apis(r *Request) {
	type verb struct {
		Verb    string `json:"verb"`
		Info    string `json:"info,omitempty"`
		Session uint8  `json:"session,omitempty"`
	}
	type api struct {
		API   string `json:"api"`
		Info  string `json:"info,omitempty"`
		Verbs []verb `json:"verbs"`
	}
	var out []api
	for _, a := range r.Binder().APIs() {
		x := api{API: a.Name, Info: a.Info}
		for _, v := range a.Verbs {
			x.Verbs = append(x.Verbs, verb{v.Name, v.Info, uint8(v.Session)})
		}
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].API < out[j].API })
	r.Reply(out, "")
}

func valueOr(r *Request, name, def string) string {
	if v, ok := r.Value(name); ok {
		return v
	}
	return def
}

// valueJSON parses the value name as JSON (json_tokener_parse of
// afb_req_value): nil when absent, not JSON, or null.
func valueJSON(r *Request, name string) json.RawMessage {
	v, ok := r.Value(name)
	if !ok || !json.Valid([]byte(v)) || isNull([]byte(v)) {
		return nil
	}
	return json.RawMessage(v)
}

// jsonInt is json-c's json_object_get_int: an integer (or a number,
// truncated), a string holding one, true as 1; anything else 0.
func jsonInt(raw json.RawMessage) int {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return 0
	}
	switch v := v.(type) {
	case float64:
		return int(v)
	case bool:
		if v {
			return 1
		}
	case string:
		n, _ := strconv.Atoi(v)
		return n
	}
	return 0
}

// jsoncSpaced formats a JSON value the way json-c's spaced mode does, as
// upstream's hello/ping info shows: { "x": "1" }, [ 1, 2 ].
func jsoncSpaced(raw []byte) string {
	if !json.Valid(raw) {
		return string(raw)
	}
	var b []byte
	var walk func(v []byte)
	walk = func(v []byte) {
		v = v[skipSpace(v, 0):]
		switch v[0] {
		case '{':
			b = append(b, '{')
			n := 0
			eachMember(v, func(key, val []byte) bool {
				if n > 0 {
					b = append(b, ',')
				}
				b = append(b, ' ')
				b = append(b, key...)
				b = append(b, ':', ' ')
				walk(val)
				n++
				return true
			})
			b = append(b, ' ', '}')
		case '[':
			b = append(b, '[')
			i := skipSpace(v, 1)
			for n := 0; v[i] != ']'; n++ {
				if n > 0 {
					b = append(b, ',')
				}
				b = append(b, ' ')
				e := skipValue(v, i)
				walk(v[i:e])
				i = skipSpace(v, e)
				if v[i] == ',' {
					i = skipSpace(v, i+1)
				}
			}
			b = append(b, ' ', ']')
		default:
			b = append(b, v[:skipValue(v, 0)]...)
		}
	}
	walk(raw)
	return string(b)
}
