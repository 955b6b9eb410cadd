package loopapi_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/appwire/appwire/loopapi"
)

// FuzzRequestValidation: any body, JSON or form, either parses to Params
// or is a 400 errno 106; every validator then answers a value or an
// *Error whose code and errno are in the errno table, never a panic.
func FuzzRequestValidation(f *testing.F) {
	for _, s := range []string{
		`{"callerId":"alice","expiresIn":"12abc","issuer":"Bob","subject":"s"}`,
		`{"callType":"audio-video","subject":null,"channel":"beta"}`,
		`{"calleeId":["a@b",{"phoneNumber":"+33","mcc":208}],"callType":"audio"}`,
		`{"simplePushURLs":{"calls":"http://x","rooms":5},"simple_push_url":"http://y"}`,
		`{"roomName":"r","roomOwner":"o","maxSize":"3","expiresIn":1e3,"context":{"value":"v","alg":"a","wrappedKey":"k"}}`,
		`{"action":"join","displayName":"d","clientMaxSize":-1}`,
		`callerId=a&expiresIn=5`, `[]`, `{"a":1}{}`, "",
	} {
		f.Add(s, s[:min(1, len(s))] == "c")
	}
	f.Fuzz(func(t *testing.T, body string, form bool) {
		ct := "application/json"
		if form {
			ct = "application/x-www-form-urlencoded"
		}
		p, e := loopapi.ParseParams(ct, []byte(body))
		if e != nil {
			if e.Code != 400 || e.Errno != loopapi.ErrnoBadJSON {
				t.Fatalf("parse error %+v", e)
			}
			return
		}
		check := func(what string, e *loopapi.Error) {
			if e == nil {
				return
			}
			switch {
			case e.Code == 400 && (e.Errno == loopapi.ErrnoInvalidParameters || e.Errno == loopapi.ErrnoMissingParameters):
			case e.Code == 413 && e.Errno == loopapi.ErrnoRequestTooLarge:
			default:
				t.Fatalf("%s: unexpected error %+v", what, e)
			}
			if e.Text == "" {
				t.Fatalf("%s: error without text", what)
			}
			b, _ := json.Marshal(e)
			var back loopapi.Error
			if err := json.Unmarshal(b, &back); err != nil || back.Code != e.Code || back.Errno != e.Errno || back.Text != e.Text {
				t.Fatalf("%s: error body %s does not round-trip", what, b)
			}
		}
		r, e := loopapi.ParseCallURLRequest(p, true, 720, 720)
		check("call-url", e)
		if e == nil && r.ExpiresIn > 720 {
			t.Fatalf("expiresIn %d above the maximum", r.ExpiresIn)
		}
		_, e = loopapi.ValidateCallType(p)
		check("callType", e)
		s, e := loopapi.ValidateSubject(p, 124)
		check("subject", e)
		if e == nil && len([]rune(s)) > 124 {
			t.Fatal("subject above the maximum")
		}
		urls, e := loopapi.ParseRegistration(p, "")
		check("registration", e)
		for topic, u := range urls {
			if len(u) < 4 || u[:4] != "http" {
				t.Fatalf("accepted push URL %s=%q", topic, u)
			}
		}
		_, e = loopapi.CalleeIDs(p)
		check("calleeId", e)
		lim := loopapi.RoomLimits{MaxSize: 5, MaxTTLHours: 1344, DefTTLHours: 1344, MaxNameSize: 100, MaxOwnerSize: 100, MaxContext: 8192}
		for _, create := range []bool{true, false} {
			rr, e := loopapi.ParseRoomRequest(p, create, lim)
			check("room", e)
			if e == nil && (rr.MaxSize > 5 || rr.ExpiresIn > 1344) {
				t.Fatalf("room request beyond limits: %+v", rr)
			}
		}
		_, e = loopapi.ParseRoomAction(p, 5)
		check("room action", e)
	})
}

// FuzzParseWSMessage: a message that parses re-encodes to one that
// parses to the same value; a refusal is a WSError.
func FuzzParseWSMessage(f *testing.F) {
	for _, s := range []string{
		`{"messageType":"hello","callId":"c","auth":"t"}`,
		`{"messageType":"action","event":"terminate","reason":"busy"}`,
		`{"messageType":"action","event":"accept"}`,
		`{"messageType":"echo","echo":{"x":[1]}}`,
		`{"messageType":"action","event":"terminate","reason":"no way"}`,
		`{"messageType":1}`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := loopapi.ParseWSMessage(b)
		if err != nil {
			var we loopapi.WSError
			if !errors.As(err, &we) || we == "" {
				t.Fatalf("error %v is not a WSError", err)
			}
			return
		}
		if m.MessageType == loopapi.MsgAction && m.Event == loopapi.EventTerminate && m.Reason != "" && !loopapi.ValidReason(m.Reason) {
			t.Fatalf("accepted reason %q", m.Reason)
		}
		again, _ := json.Marshal(m)
		m2, err := loopapi.ParseWSMessage(again)
		if err != nil {
			t.Fatalf("re-encoded %s: %v", again, err)
		}
		if len(m.Echo) > 0 { // compare echo as JSON values
			var a, b any
			_ = json.Unmarshal(m.Echo, &a)
			_ = json.Unmarshal(m2.Echo, &b)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("echo %s became %s", m.Echo, m2.Echo)
			}
			m.Echo, m2.Echo = nil, nil
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("%+v became %+v", m, m2)
		}
	})
}
