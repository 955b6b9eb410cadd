package kit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// A case over HTTP: one request on a fresh connection, then assertions
// that end the case with Fail and say what was expected.
func ExampleDo() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id": 1, "name": "room"}`)
	}))
	defer srv.Close()

	suite := &conformance.Suite{Name: "demo", Cases: []conformance.Case{{
		ID: "demo/1/1", Title: "POST /rooms gives 201 with the room", Level: conformance.Must,
		Requirement: "A created room is answered 201 with its JSON.",
		Run: func(ctx context.Context, t *conformance.T) {
			r := kit.Do(ctx, t, kit.Request{Method: "POST", URL: t.URL() + "/rooms", Body: []byte(`{"name":"room"}`),
				Header: http.Header{"Content-Type": {"application/json"}}})
			r.ExpectStatus(t, "", http.StatusCreated)
			r.ExpectHeader(t, "Content-Type", "application/json")
			r.ExpectJSON(t, `{"name":"room","id":1}`)
		},
	}}}
	var r conformance.Runner
	rep, _ := r.Run(context.Background(), suite, conformance.Target{URL: srv.URL})
	fmt.Println(rep.Results[0].ID, rep.Results[0].Verdict)
	// Output: demo/1/1 PASS
}
