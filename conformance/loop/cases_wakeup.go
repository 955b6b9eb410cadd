package loopsuite

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// Section 6: the wake-up PUT a callee's SimplePush URL receives, seen at
// a push sink the suite runs itself.

// sinkPut is one request the sink received.
type sinkPut struct {
	method, path, contentType, body string
}

// sink is an HTTP server standing in for a SimplePush endpoint.
type sink struct {
	url   string // base URL, as the target reaches it
	puts  chan sinkPut
	hold  chan struct{} // when not nil, requests wait until it closes
	ended chan struct{} // a held request ended before the release (the target gave up)
	stop  func()
}

// startSink listens on the push-sink host; hold makes every request wait
// until the case ends (a push server that does not answer).
func startSink(t *conformance.T, hold bool) *sink {
	host := t.Param(ParamPushSinkHost)
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Errorf("the push sink cannot listen on %s: %v", host, err)
	}
	s := &sink{url: "http://" + ln.Addr().String(), puts: make(chan sinkPut, 16), ended: make(chan struct{}, 16)}
	if hold {
		s.hold = make(chan struct{})
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
		select {
		case s.puts <- sinkPut{r.Method, r.URL.Path, r.Header.Get("Content-Type"), string(b)}:
		default:
		}
		if s.hold != nil {
			select {
			case <-s.hold:
			case <-r.Context().Done():
				s.ended <- struct{}{}
			}
		}
		w.WriteHeader(http.StatusOK)
	})}
	go srv.Serve(ln)
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			if s.hold != nil {
				close(s.hold)
			}
			srv.Close()
		})
	}
	return s
}

// next waits for the next request at path, failing the case at its
// timeout.
func (s *sink) next(ctx context.Context, t *conformance.T, path, expect string) sinkPut {
	for {
		select {
		case p := <-s.puts:
			t.Received("push sink: %s %s (%s) %s", p.method, p.path, p.contentType, p.body)
			if p.path == path {
				return p
			}
		case <-ctx.Done():
			t.Failf(expect, "no request reached the push sink at %s before the case timeout", path)
		}
	}
}

// expectWake checks a wake-up PUT: form-encoded version=N with N in
// [lo, hi]; it returns N.
func expectWake(t *conformance.T, p sinkPut, lo, hi int64) int64 {
	expect := fmt.Sprintf("PUT, Content-Type: application/x-www-form-urlencoded, version=<unix seconds in [%d, %d]>", lo, hi)
	v, ok := strings.CutPrefix(p.body, "version=")
	n, err := strconv.ParseInt(v, 10, 64)
	if p.method != http.MethodPut || !strings.HasPrefix(p.contentType, "application/x-www-form-urlencoded") || !ok || err != nil || n < lo || n > hi {
		t.Failf(expect, "%s (%s) %q", p.method, p.contentType, p.body)
	}
	return n
}

// registeredAs registers another session of identity (BrowserID) with a
// calls URL.
func registeredAs(ctx context.Context, t *conformance.T, identity, pushURL string) *session {
	tmpl := t.Param(ParamAssertion)
	body, _ := json.Marshal(map[string]any{"simplePushURL": pushURL})
	r := kit.Do(ctx, t, kit.Request{Method: "POST", URL: base(t) + "/registration", Body: body, Header: http.Header{
		"Authorization": {"BrowserID " + strings.ReplaceAll(tmpl, "{identity}", identity)}, "Content-Type": {"application/json"}}})
	r.ExpectStatus(t, "HTTP 200 and a Hawk-Session-Token", http.StatusOK)
	return sessionFrom(t, r)
}

func wakeupCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "loop/6/1",
		Title:       "a call PUTs version=<call timestamp> to the callee's calls URL, and GET /calls?version=<that> lists the call",
		Level:       must,
		Requirement: "On a new call every calls URL of the callee gets PUT, application/x-www-form-urlencoded, version=<the call's timestamp in unix seconds>; the client lists calls since that version.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			sk := startSink(t, false)
			defer sk.stop()
			path := "/calls-" + kit.NewID("w")
			s := callee(ctx, t, sk.url+path)
			cu := createCallURL(ctx, t, s, map[string]any{"callerId": "a"})
			lo := now() - 1
			c := placeCall(ctx, t, cu.token)
			hi := now() + 1
			v := expectWake(t, sk.next(ctx, t, path, "the wake-up PUT"), lo, hi)
			for _, it := range listCalls(ctx, t, s, v) {
				if str(it, "callId") == c.callID {
					return
				}
			}
			t.Failf(fmt.Sprintf("GET /calls?version=%d listing call %s", v, c.callID), "not listed")
		},
	}, {
		ID:          "loop/6/2",
		Title:       "the caller's answer does not wait for the push server: POST /calls/{token} answers while the PUT is still unanswered",
		Level:       must,
		Requirement: "The SimplePush notification is fire-and-forget: its outcome never delays or changes the caller's answer.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			sk := startSink(t, true)
			defer sk.stop()
			path := "/calls-" + kit.NewID("w")
			s := callee(ctx, t, sk.url+path)
			cu := createCallURL(ctx, t, s, map[string]any{"callerId": "a"})
			// The sink holds every request until the case ends: the answer
			// must come while the PUT is still open, not after the target
			// gave up on it.
			placeCall(ctx, t, cu.token)
			select {
			case <-sk.ended:
				t.Failf("the answer to the caller while the PUT is still unanswered", "the target answered the caller only after giving up on the push server")
			default:
			}
			sk.next(ctx, t, path, "the wake-up PUT (held unanswered)")
		},
	}, {
		ID:          "loop/6/3",
		Title:       "every device of a registered callee is woken: two sessions' calls URLs both get the PUT",
		Level:       must,
		Requirement: "Each Hawk session of a user keeps its own push URLs; a call wakes all of them.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			_, identity := assertion(t)
			sk := startSink(t, false)
			defer sk.stop()
			p1, p2 := "/dev1-"+kit.NewID("w"), "/dev2-"+kit.NewID("w")
			d1 := registeredAs(ctx, t, identity, sk.url+p1)
			registeredAs(ctx, t, identity, sk.url+p2)
			cu := createCallURL(ctx, t, d1, map[string]any{"callerId": "a"})
			lo := now() - 1
			placeCall(ctx, t, cu.token)
			hi := now() + 1
			seen := map[string]bool{}
			for len(seen) < 2 {
				var p sinkPut
				select {
				case p = <-sk.puts:
				case <-ctx.Done():
					t.Failf("a PUT at "+p1+" and at "+p2, "only %v before the case timeout", seen)
				}
				t.Received("push sink: %s %s %s", p.method, p.path, p.body)
				expectWake(t, p, lo, hi)
				seen[p.path] = true
			}
			if !seen[p1] || !seen[p2] {
				t.Failf("a PUT at "+p1+" and at "+p2, "%v", seen)
			}
		},
	}, {
		ID:          "loop/6/4",
		Title:       "creating a room PUTs version=<now> to the owner's rooms URL",
		Level:       must,
		Requirement: "Room changes wake the owner's devices through their rooms push URLs.",
		Run: func(ctx context.Context, t *conformance.T) {
			sk := startSink(t, false)
			defer sk.stop()
			path := "/rooms-" + kit.NewID("w")
			s := newSession(ctx, t, map[string]any{"simplePushURLs": map[string]string{"calls": discardPush, "rooms": sk.url + path}})
			lo := now() - 1
			createRoom(ctx, t, s, 2)
			expectWake(t, sk.next(ctx, t, path, "the rooms wake-up PUT"), lo, now()+1)
		},
	}}
}
