package afb

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// Spec §2.2 and §4.3: events, through the hello sample binding's verbs
// eventadd {tag,name}, eventsub {tag}, eventunsub {tag}, eventpush
// {tag,data} and broadcast {tag,name,data}. Tags and names are random so that
// cases running at once do not share events.

// eventData is what the cases push.
const eventData = `{"x":[1,"a/b"]}`

// helloOK calls hello/verb with args on w and fails unless it succeeds;
// it skips when the target has no hello API.
func helloOK(t *conformance.T, w *wsClient, id, verb, args string) *wsReply {
	r := w.call(id, "hello/"+verb, args)
	skipUnknownAPI(t, r.reply, "hello")
	if r.Status != "success" {
		t.Failf(fmt.Sprintf("hello/%s succeeds", verb), "%.300s", r.frame.Raw)
	}
	return r
}

// newEvent creates an event on w and subscribes w to it; it returns the
// tag and the event's full name (hello/<name>).
func newEvent(t *conformance.T, w *wsClient) (tag, name string) {
	tag, n := newID("tag"), newID("ev")
	helloOK(t, w, "add", "eventadd", fmt.Sprintf(`{"tag":%q,"name":%q}`, tag, n))
	helloOK(t, w, "sub", "eventsub", fmt.Sprintf(`{"tag":%q}`, tag))
	return tag, "hello/" + n
}

func push(t *conformance.T, w *wsClient, id, tag string) *wsReply {
	return helloOK(t, w, id, "eventpush", fmt.Sprintf(`{"tag":%q,"data":%s}`, tag, eventData))
}

// findEvent returns the first of events named name, or nil.
func findEvent(events []*frame, name string) *frame {
	for _, e := range events {
		if len(e.El) > 1 && str(e.El[1]) == name {
			return e
		}
	}
	return nil
}

// awaitEvent reads until an event named name.
func awaitEvent(t *conformance.T, w *wsClient, name string) *frame {
	for {
		f := w.readFrame(fmt.Sprintf("an event [5,%q,...]", name))
		if f.Code == 5 && len(f.El) > 1 && str(f.El[1]) == name {
			return f
		}
	}
}

func eventShapeCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "afb/2.2/1",
		Title:       `a pushed event is [5,"hello/<name>",{"event":"hello/<name>","data":<data>,"jtype":"afb-event"}], members in that order`,
		Level:       must,
		Profiles:    jsonC,
		Requirement: `event S→C [5,"api/event",EVENTOBJ]; event payload {"event":"<api>/<name>","data":<any, omitted when absent>,"jtype":"afb-event"}. Event names are always prefixed with the api of the binding that created them. Event must have exactly 3 elements. Needs the hello sample binding.`,
		Run: func(ctx context.Context, t *conformance.T) {
			w := dialWS(ctx, t, tokenQuery(t))
			defer w.Close()
			tag, name := newEvent(t, w)
			r := push(t, w, "push", tag)
			e := findEvent(r.Events, name)
			if e == nil {
				e = awaitEvent(t, w, name)
			}
			obj := fmt.Sprintf(`{"event":%q,"data":%s,"jtype":"afb-event"}`, name, eventData)
			want := fmt.Sprintf(`[5,%q,%s]`, name, obj)
			if len(e.El) != 3 {
				t.Failf(want, "%.300s", e.Raw)
			}
			members, err := kit.MemberOrder(e.El[2])
			if err != nil || !slices.Equal(members, []string{"event", "data", "jtype"}) || !kit.JSONEqual(e.El[2], []byte(obj)) {
				t.Failf(want, "%.300s (members %s)", e.Raw, strings.Join(members, ", "))
			}
		},
	}, {
		ID:          "afb/2.2/2",
		Title:       `a pushed event is [5,"hello/<name>",{"jtype":"afb-event","event":"hello/<name>","data":<data>}], members in that order`,
		Level:       must,
		Profiles:    libafbOnly,
		Requirement: `libafb: {"jtype":"afb-event","event":"...","data":...}. Needs the hello sample binding.`,
		Run: func(ctx context.Context, t *conformance.T) {
			w := dialWS(ctx, t, tokenQuery(t))
			defer w.Close()
			tag, name := newEvent(t, w)
			r := push(t, w, "push", tag)
			e := findEvent(r.Events, name)
			if e == nil {
				e = awaitEvent(t, w, name)
			}
			obj := fmt.Sprintf(`{"jtype":"afb-event","event":%q,"data":%s}`, name, eventData)
			want := fmt.Sprintf(`[5,%q,%s]`, name, obj)
			if len(e.El) != 3 {
				t.Failf(want, "%.300s", e.Raw)
			}
			members, err := kit.MemberOrder(e.El[2])
			if err != nil || !slices.Equal(members, []string{"jtype", "event", "data"}) || !kit.JSONEqual(e.El[2], []byte(obj)) {
				t.Failf(want, "%.300s (members %s)", e.Raw, strings.Join(members, ", "))
			}
		},
	}}
}

func eventCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "afb/4.3/1",
		Title:       "hello/eventpush on a subscribed connection: the event arrives before the eventpush reply",
		Level:       compat,
		Requirement: "A binding verb calls afb_req_subscribe(req, event) while handling a call; that attaches the WebSocket connection to the event. Order seen: an event pushed inside a verb is written before that verb's reply. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			w := dialWS(ctx, t, tokenQuery(t))
			defer w.Close()
			tag, name := newEvent(t, w)
			if r := push(t, w, "push", tag); findEvent(r.Events, name) == nil {
				t.Failf(fmt.Sprintf(`[5,%q,...] before [3,"push",...]`, name), "the reply came first: %.200s", r.frame.Raw)
			}
		},
	}, {
		ID:          "afb/4.3/2",
		Title:       "a push from connection A reaches connection B subscribed to the same event",
		Level:       compat,
		Requirement: "Push goes to every subscribed connection. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			a := dialWS(ctx, t, tokenQuery(t))
			defer a.Close()
			b := dialWS(ctx, t, tokenQuery(t))
			defer b.Close()
			tag, name := newEvent(t, a)
			helloOK(t, b, "subB", "eventsub", fmt.Sprintf(`{"tag":%q}`, tag))
			push(t, a, "push", tag)
			awaitEvent(t, b, name)
		},
	}, {
		ID:          "afb/4.3/3",
		Title:       "hello/broadcast {tag,name,data} of an event made by connection A reaches connection B with no subscription",
		Level:       compat,
		Requirement: "Broadcast goes to every connection, with no subscription needed. The event is one the hello binding made with eventadd and is broadcast by its tag: the 2019 daemon's sample crashes on a broadcast by name alone, and the name sent too keeps the event hello/<name> for samples that broadcast by name. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			a := dialWS(ctx, t, tokenQuery(t))
			defer a.Close()
			b := dialWS(ctx, t, tokenQuery(t))
			defer b.Close()
			helloOK(t, b, "ready", "ping", "null") // b is attached before the broadcast
			tag, n := newID("tag"), newID("bc")
			helloOK(t, a, "add", "eventadd", fmt.Sprintf(`{"tag":%q,"name":%q}`, tag, n))
			helloOK(t, a, "bc", "broadcast", fmt.Sprintf(`{"tag":%q,"name":%q,"data":%s}`, tag, n, eventData))
			e := awaitEvent(t, b, "hello/"+n)
			if len(e.El) != 3 || !kit.JSONEqual(e.El[2], fmt.Appendf(nil, `{"event":"hello/%s","data":%s,"jtype":"afb-event"}`, n, eventData)) {
				t.Failf(fmt.Sprintf(`[5,"hello/%s",{"event":"hello/%s","data":%s,"jtype":"afb-event"}]`, n, n, eventData), "%.300s", e.Raw)
			}
		},
	}, {
		ID:          "afb/4.3/4",
		Title:       "after hello/eventunsub, hello/eventpush delivers nothing to the connection",
		Level:       compat,
		Requirement: "After unsubscribe, nothing more is received. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			w := dialWS(ctx, t, tokenQuery(t))
			defer w.Close()
			tag, name := newEvent(t, w)
			helloOK(t, w, "unsub", "eventunsub", fmt.Sprintf(`{"tag":%q}`, tag))
			r := push(t, w, "push", tag)
			after := helloOK(t, w, "after", "ping", "null") // anything late shows up before this reply
			if e := findEvent(append(r.Events, after.Events...), name); e != nil {
				t.Failf("no event after eventunsub", "%.300s", e.Raw)
			}
		},
	}, {
		ID:          "afb/4.3/5",
		Title:       "over HTTP, hello/eventsub of an existing event fails",
		Level:       compat,
		Requirement: "Over HTTP, subscribe and unsubscribe fail. The hello sample then replies failed / subscription error. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			tag := newID("tag")
			_, r := call(ctx, t, request{Path: "hello/eventadd", Query: map[string][]string{"tag": {tag}, "name": {newID("ev")}}})
			skipUnknownAPI(t, r, "hello")
			expectStatus(t, r, "success")
			_, r = call(ctx, t, request{Path: "hello/eventsub", Query: map[string][]string{"tag": {tag}}})
			if r.Status == "success" {
				t.Failf(`a failure (hello: status "failed", info "subscription error")`, "%s", r.brief())
			}
		},
	}}
}
