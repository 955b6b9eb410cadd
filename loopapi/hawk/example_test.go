package hawk_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/appwire/appwire/loopapi/hawk"
)

// A server that knows one session, and a client that signs with it and
// checks the signed answer.
func Example() {
	token := "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	creds, _ := hawk.DeriveSessionCredentials(token)

	lookup := func(_ context.Context, id string) (hawk.Credentials, error) {
		if id != creds.ID {
			return hawk.Credentials{}, hawk.ErrUnknownCredentials
		}
		return creds, nil
	}
	verifier := hawk.NewServer(lookup, hawk.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth, err := verifier.Authenticate(r.Context(), r)
		var he *hawk.Error
		if errors.As(err, &he) {
			if c := he.WWWAuthenticate(); c != "" {
				w.Header().Set("WWW-Authenticate", c)
			}
			w.WriteHeader(he.Status)
			return
		}
		body := []byte(`{"calls":[]}`)
		ct := "application/json; charset=utf-8"
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Server-Authorization", auth.ResponseHeader(hawk.ResponseOptions{HashPayload: true, ContentType: ct, Payload: body}))
		w.Write(body)
	}))
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/calls?version=0", nil)
	art, _ := hawk.Sign(req, creds, hawk.RequestOptions{})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	err = hawk.VerifyResponse(creds, art, resp.Header.Get("Server-Authorization"), hawk.ResponseCheck{
		Required: true, CheckPayload: true, ContentType: resp.Header.Get("Content-Type"), Payload: body})
	fmt.Println(resp.StatusCode, string(body), err)

	// The same request again is a replay.
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	// Output:
	// 200 {"calls":[]} <nil>
	// 401 Hawk error="Invalid nonce"
}

func ExampleDeriveSessionCredentials() {
	c, _ := hawk.DeriveSessionCredentials("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf")
	fmt.Println(c.ID)
	fmt.Println(string(c.Key))
	// Output:
	// c0a29dcf46174973da1378696e4c82ae10f723cf4f4d9f75e39f4ae3851595ab
	// 9d8f22998ee7f5798b887042466b72d53e56ab0c094388bf65831f702d2febc0
}

// The Boom payload loop-server puts in its error body for a Hawk failure.
func ExampleError_Payload() {
	b, _ := hawk.ErrBadMAC.(*hawk.Error).MarshalJSON()
	fmt.Println(string(b))
	fmt.Println(hawk.ErrBadMAC.(*hawk.Error).WWWAuthenticate())
	// Output:
	// {"statusCode":401,"error":"Unauthorized","message":"Bad mac","attributes":{"error":"Bad mac"}}
	// Hawk error="Bad mac"
}
