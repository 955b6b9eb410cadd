package conformance_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/appwire/appwire/conformance"
)

// A suite of one case that checks a server answers GET /ping with "pong",
// run against two servers: one right, one wrong.
func ExampleRunner() {
	suite := &conformance.Suite{
		Name:     "ping",
		Title:    "Ping protocol",
		Sections: map[string]string{"1": "Ping"},
		Cases: []conformance.Case{{
			ID:          "ping/1/1",
			Title:       "GET /ping answers pong",
			Level:       conformance.Must,
			Requirement: "A server MUST answer GET /ping with the body pong.",
			Run: func(ctx context.Context, t *conformance.T) {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, t.URL()+"/ping", nil)
				t.Sent("GET /ping")
				resp, err := http.DefaultClient.Do(req)
				t.Check(err, "GET /ping")
				defer resp.Body.Close()
				body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
				t.Received("%d %s", resp.StatusCode, body)
				if string(body) != "pong" {
					t.Failf("body pong", "body %q", body)
				}
			},
		}},
	}
	for _, answer := range []string{"pong", "pang"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, answer)
		}))
		rep, err := (&conformance.Runner{}).Run(context.Background(), suite, conformance.Target{URL: srv.URL})
		srv.Close()
		if err != nil {
			fmt.Println(err)
			return
		}
		res := rep.Results[0]
		if res.Verdict == conformance.Fail {
			fmt.Println(res.ID, res.Verdict, "expected:", strings.Join(res.Expected, " or "), "actual:", res.Actual)
		} else {
			fmt.Println(res.ID, res.Verdict)
		}
	}
	// Output:
	// ping/1/1 PASS
	// ping/1/1 FAIL expected: body pong actual: body "pang"
}

// The console report of a run, as "appwire conform" prints it.
func ExampleWriteText() {
	rep := &conformance.Report{
		Title: "Ping protocol", Target: "http://127.0.0.1:8080",
		Results: []conformance.Result{{
			ID: "ping/1/1", Section: "1", Title: "GET /ping answers pong", Level: conformance.Must,
			Requirement: "A server MUST answer GET /ping with the body pong.",
			Verdict:     conformance.Fail, Expected: []string{"body pong"}, Actual: `body "pang"`,
		}},
	}
	_ = conformance.WriteText(os.Stdout, rep, conformance.TextOptions{Sections: map[string]string{"1": "Ping"}})
	// Output:
	// Ping protocol against http://127.0.0.1:8080
	//
	//   1. Ping
	//     × FAIL  ping/1/1         GET /ping answers pong
	//
	// Failures:
	//
	//   FAIL ping/1/1 [MUST] GET /ping answers pong
	//     -> A server MUST answer GET /ping with the body pong.
	//     Expected: body pong
	//       Actual: body "pang"
	//
	// Finished in 0.00 seconds
	// 1 tests, 0 passed, 0 skipped, 1 failed, 0 info, 0 errors
}
