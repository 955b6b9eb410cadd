package kit

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/internal/testserver"
	"github.com/appwire/appwire/internal/wsconn"
)

// runCase runs one case against url and returns its result.
func runCase(t *testing.T, url string, run func(ctx context.Context, t *conformance.T)) conformance.Result {
	t.Helper()
	s := &conformance.Suite{Name: "kit", Cases: []conformance.Case{{
		ID: "kit/1/1", Title: "t", Level: conformance.Must, Requirement: "r", Run: run}}}
	r := conformance.Runner{Timeout: time.Second}
	rep, err := r.Run(context.Background(), s, conformance.Target{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	return rep.Results[0]
}

func expect(t *testing.T, r conformance.Result, v conformance.Verdict, text string) {
	t.Helper()
	all := r.Message + " | " + r.Actual + " | " + strings.Join(r.Expected, " ")
	if r.Verdict != v || !strings.Contains(all, text) {
		t.Errorf("verdict %v (%s), want %v containing %q", r.Verdict, all, v, text)
	}
}

// echoServer upgrades /ws offering "echo" and echoes text messages; the
// message "close" closes with 4000, "drop" drops the connection. Other
// paths answer with the status in the path ("/status/404").
func echoServer(t *testing.T) string {
	var (
		mu    sync.Mutex
		conns []*wsconn.Conn
	)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/ws" && r.URL.Query().Get("refuse") != "":
			http.Error(w, "no", http.StatusForbidden)
		case r.URL.Path == "/ws":
			c, err := wsconn.Upgrade(w, r, wsconn.UpgradeOptions{Protocol: "echo"})
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() {
				ctx := context.Background()
				for {
					_, msg, err := c.ReadMessage(ctx, nil)
					if err != nil {
						c.CloseNow()
						return
					}
					switch string(msg) {
					case "close":
						c.Close(ctx, 4000, "bye")
						return
					case "drop":
						c.CloseNow()
						return
					case "silence":
						continue
					}
					c.WriteText(ctx, msg)
				}
			}()
		case r.URL.Path == "/json":
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write([]byte(`{"b":2, "a":[1,2]}`))
		case r.URL.Path == "/big":
			w.Write([]byte(strings.Repeat("x", 3*MaxMessage)))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
	return testserver.Serve(t, h, func(context.Context) {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.CloseNow()
		}
	})
}

func TestWS(t *testing.T) {
	base := echoServer(t)
	ws := "ws" + strings.TrimPrefix(base, "http") + "/ws"
	down := "ws://" + testserver.ClosedAddr(t) + "/ws"

	t.Run("unreachable is an error", func(t *testing.T) {
		r := runCase(t, down, func(ctx context.Context, t *conformance.T) {
			Dial(ctx, t, t.URL(), DialOptions{}, "101")
		})
		expect(t, r, conformance.Error, "cannot reach the target")
	})
	t.Run("refused upgrade fails", func(t *testing.T) {
		r := runCase(t, ws+"?refuse=1", func(ctx context.Context, t *conformance.T) {
			Dial(ctx, t, t.URL(), DialOptions{}, "101 please")
		})
		expect(t, r, conformance.Fail, "HTTP 403")
	})
	t.Run("a peer that is not HTTP fails", func(t *testing.T) {
		addr := testserver.StartHostile(t, testserver.Garbage([]byte("\x00garbage\r\n\r\n")))
		r := runCase(t, "ws://"+addr+"/", func(ctx context.Context, t *conformance.T) {
			Dial(ctx, t, t.URL(), DialOptions{}, "101")
		})
		expect(t, r, conformance.Fail, "101")
	})
	t.Run("echo and close code", func(t *testing.T) {
		r := runCase(t, ws, func(ctx context.Context, t *conformance.T) {
			w := Dial(ctx, t, t.URL(), DialOptions{Protocols: []string{"echo"}}, "101")
			if w.Protocol() != "echo" {
				t.Failf("echo", "%q", w.Protocol())
			}
			w.SendJSON(map[string]int{"n": 1})
			if got := w.Read("echo"); string(got) != `{"n":1}` {
				t.Failf(`{"n":1}`, "%s", got)
			}
			w.Send("close")
			w.ExpectClose(4000, "close 4000", nil)
		})
		expect(t, r, conformance.Pass, "")
		if len(r.Wire) < 4 || !strings.Contains(r.Wire[0].Text, "Sec-WebSocket-Protocol: echo") {
			t.Errorf("wire log %+v", r.Wire)
		}
	})
	t.Run("wrong close code fails", func(t *testing.T) {
		r := runCase(t, ws, func(ctx context.Context, t *conformance.T) {
			w := Dial(ctx, t, t.URL(), DialOptions{Protocols: []string{"echo"}}, "101")
			w.Send("close")
			w.ExpectClose(1008, "close 1008", nil)
		})
		expect(t, r, conformance.Fail, "connection closed with code 4000")
	})
	t.Run("drop is not a close frame", func(t *testing.T) {
		r := runCase(t, ws, func(ctx context.Context, t *conformance.T) {
			w := Dial(ctx, t, t.URL(), DialOptions{Protocols: []string{"echo"}}, "101")
			w.Send("drop")
			w.Read("a reply")
		})
		expect(t, r, conformance.Fail, "connection dropped without a close frame")
	})
	t.Run("drop is a close for any code", func(t *testing.T) {
		r := runCase(t, ws, func(ctx context.Context, t *conformance.T) {
			w := Dial(ctx, t, t.URL(), DialOptions{Protocols: []string{"echo"}}, "101")
			w.Send("skip me")
			w.Send("drop")
			w.ExpectClose(-1, "the connection ends", func(m []byte) bool { return string(m) == "skip me" })
		})
		expect(t, r, conformance.Pass, "")
	})
	t.Run("timeout", func(t *testing.T) {
		r := runCase(t, ws, func(ctx context.Context, t *conformance.T) {
			w := Dial(ctx, t, t.URL(), DialOptions{Protocols: []string{"echo"}}, "101")
			w.Send("silence")
			if _, err := w.ReadWithin(50 * time.Millisecond); !TimedOut(ctx, err) && !strings.Contains(err.Error(), "deadline") {
				t.Failf("a timeout", "%v", err)
			}
			w.Read("a reply")
		})
		expect(t, r, conformance.Fail, "")
	})
	t.Run("case timeout while waiting for a close", func(t *testing.T) {
		r := runCase(t, ws, func(ctx context.Context, t *conformance.T) {
			w := Dial(ctx, t, t.URL(), DialOptions{Protocols: []string{"echo"}}, "101")
			w.ExpectClose(1000, "closed", nil)
		})
		expect(t, r, conformance.Fail, "still open at the case timeout")
	})
}

func TestHTTP(t *testing.T) {
	base := echoServer(t)
	t.Run("status header json", func(t *testing.T) {
		r := runCase(t, base, func(ctx context.Context, t *conformance.T) {
			resp := Do(ctx, t, Request{URL: t.URL() + "/json"})
			resp.ExpectStatus(t, "", 200)
			resp.ExpectHeader(t, "Content-Type", "application/json")
			resp.ExpectHeader(t, "X-None", "")
			resp.ExpectJSON(t, `{"a":[1,2],"b":2}`)
			var v struct{ B int }
			resp.JSON(t, &v)
			if v.B != 2 {
				t.Failf("b 2", "%d", v.B)
			}
		})
		expect(t, r, conformance.Pass, "")
	})
	t.Run("wrong status", func(t *testing.T) {
		r := runCase(t, base, func(ctx context.Context, t *conformance.T) {
			Do(ctx, t, Request{Method: "POST", URL: t.URL() + "/nothing", Body: []byte("x")}).ExpectStatus(t, "", 200, 204)
		})
		expect(t, r, conformance.Fail, "HTTP 200 OK or 204 No Content")
	})
	t.Run("wrong json", func(t *testing.T) {
		r := runCase(t, base, func(ctx context.Context, t *conformance.T) {
			Do(ctx, t, Request{URL: t.URL() + "/json"}).ExpectJSON(t, `{"a":[2,1],"b":2}`)
		})
		expect(t, r, conformance.Fail, "the JSON body")
	})
	t.Run("bounded body", func(t *testing.T) {
		r := runCase(t, base, func(ctx context.Context, t *conformance.T) {
			if n := len(Do(ctx, t, Request{URL: t.URL() + "/big", MaxBody: 1000}).Body); n != 1000 {
				t.Failf("1000 bytes", "%d", n)
			}
		})
		expect(t, r, conformance.Pass, "")
	})
	t.Run("unreachable", func(t *testing.T) {
		r := runCase(t, "http://"+testserver.ClosedAddr(t), func(ctx context.Context, t *conformance.T) {
			Do(ctx, t, Request{URL: t.URL() + "/json"})
		})
		expect(t, r, conformance.Error, "cannot reach the target")
	})
	t.Run("silent peer times out as a failure", func(t *testing.T) {
		addr := testserver.StartHostile(t, testserver.Silent)
		r := runCase(t, "http://"+addr, func(ctx context.Context, t *conformance.T) {
			Do(ctx, t, Request{URL: t.URL() + "/json"})
		})
		expect(t, r, conformance.Fail, "no response before the case timeout")
	})
	t.Run("raw", func(t *testing.T) {
		r := runCase(t, base, func(ctx context.Context, t *conformance.T) {
			host := strings.TrimPrefix(t.URL(), "http://")
			Do := DoRaw(ctx, t, host, "GET /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			Do.ExpectStatus(t, "", 200)
		})
		expect(t, r, conformance.Pass, "")
	})
	t.Run("raw to a peer that is not HTTP", func(t *testing.T) {
		addr := testserver.StartHostile(t, func(c net.Conn) { c.Write([]byte("nope\r\n\r\n")) })
		r := runCase(t, "http://"+addr, func(ctx context.Context, t *conformance.T) {
			DoRaw(ctx, t, addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		})
		expect(t, r, conformance.Fail, "no valid HTTP response")
	})
}

func TestJSON(t *testing.T) {
	if !JSONEqual([]byte(`{"a":1,"b":[true,null]}`), []byte(` {"b":[true,null],"a":1.0}`)) {
		t.Error("equal values differ")
	}
	for _, pair := range [][2]string{{`{"a":1}`, `{"a":2}`}, {`[1,2]`, `[2,1]`}, {`{}`, `nope`}} {
		if JSONEqual([]byte(pair[0]), []byte(pair[1])) {
			t.Errorf("%s == %s", pair[0], pair[1])
		}
	}
	names, err := MemberOrder([]byte(`{"z":1,"a":{"y":2},"m":[1]}`))
	if err != nil || strings.Join(names, ",") != "z,a,m" {
		t.Errorf("MemberOrder: %v %v", names, err)
	}
	for _, bad := range []string{`[1]`, `{"a":1} x`, `{"a":1}{}`, `{"a":}`, ``} {
		if _, err := Members([]byte(bad)); err == nil {
			t.Errorf("Members(%q) accepted", bad)
		}
	}
	ms, _ := Members([]byte(`{"b":1.50,"a":"x"}`))
	if got := string(JoinMembers(ms)); got != `{"b":1.50,"a":"x"}` {
		t.Errorf("JoinMembers: %s", got)
	}
	if Str([]byte(`"x"`)) != "x" || Str([]byte(`1`)) != "" || Str(nil) != "" {
		t.Error("Str")
	}
	u := NewUUID()
	if len(u) != 32 || !IsUUID(u) || !IsUUID(Dashed(u)) || !IsUUID(strings.ToUpper(u)) || IsUUID(u[1:]) || u[12] != '4' {
		t.Errorf("uuid %q", u)
	}
	if a, b := NewID("p-"), NewID("p-"); a == b || !strings.HasPrefix(a, "p-") || len(a) != 18 {
		t.Errorf("ids %q %q", a, b)
	}
}
