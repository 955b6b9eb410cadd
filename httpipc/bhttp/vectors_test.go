package bhttp

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The RFC 9292 §5 figures, as .bin files and as the decoded JSON the
// httpipc spec author produced with an independent parser.
type vectorJSON struct {
	Len     int    `json:"len"`
	Hex     string `json:"hex"`
	Decoded struct {
		Framing       int         `json:"framing"`
		Method        string      `json:"method"`
		Scheme        string      `json:"scheme"`
		Authority     string      `json:"authority"`
		Path          string      `json:"path"`
		Informational [][2]any    `json:"informational"`
		Status        int         `json:"status"`
		Headers       [][2]string `json:"headers"`
		Content       string      `json:"content"`
		Trailers      [][2]string `json:"trailers"`
		Padding       int         `json:"padding"`
	} `json:"decoded"`
}

func loadVectors(t testing.TB) map[string]vectorJSON {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "rfc9292", "rfc9292_vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]vectorJSON
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func pairs(ps [][2]string) Fields {
	var fs Fields
	for _, p := range ps {
		fs = append(fs, Field{p[0], p[1]})
	}
	return fs
}

func infoPairs(t *testing.T, in [][2]any) []InfoResponse {
	var out []InfoResponse
	for _, x := range in {
		ir := InfoResponse{Status: int(x[0].(float64))}
		for _, p := range x[1].([]any) {
			pp := p.([]any)
			ir.Header = append(ir.Header, Field{pp[0].(string), pp[1].(string)})
		}
		out = append(out, ir)
	}
	return out
}

func body(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// TestVectors decodes every RFC figure, compares it with the independently
// decoded JSON, and re-encodes it to the identical bytes.
func TestVectors(t *testing.T) {
	for name, v := range loadVectors(t) {
		t.Run(name, func(t *testing.T) {
			b, err := hex.DecodeString(v.Hex)
			if err != nil || len(b) != v.Len {
				t.Fatalf("bad vector: %v len %d", err, len(b))
			}
			if bin, err := os.ReadFile(filepath.Join("testdata", "rfc9292", name+".bin")); err == nil && !bytes.Equal(bin, b) {
				t.Fatalf(".bin differs from JSON hex")
			}
			dec := v.Decoded
			var got []byte
			if dec.Framing%2 == 0 {
				r, err := DecodeRequest(b, Limits{})
				if err != nil {
					t.Fatal(err)
				}
				want := &Request{Indeterminate: dec.Framing == 2, Method: dec.Method, Scheme: dec.Scheme,
					Authority: dec.Authority, Path: dec.Path, Header: pairs(dec.Headers),
					Body: body(dec.Content), Trailer: pairs(dec.Trailers), Padding: dec.Padding}
				if !reflect.DeepEqual(r, want) {
					t.Fatalf("decoded\n%+v\nwant\n%+v", r, want)
				}
				got, err = AppendRequest(nil, r)
				if err != nil {
					t.Fatal(err)
				}
			} else {
				r, err := DecodeResponse(b, Limits{})
				if err != nil {
					t.Fatal(err)
				}
				want := &Response{Indeterminate: dec.Framing == 3, Informational: infoPairs(t, dec.Informational),
					Status: dec.Status, Header: pairs(dec.Headers), Body: body(dec.Content),
					Trailer: pairs(dec.Trailers), Padding: dec.Padding}
				if !reflect.DeepEqual(r, want) {
					t.Fatalf("decoded\n%+v\nwant\n%+v", r, want)
				}
				if name == "min_response_all_truncated" {
					// Header-section truncation is accepted but never produced.
					got, err = AppendResponse(nil, r)
					if want := "0140c8000000"; hex.EncodeToString(got) != want || err != nil {
						t.Fatalf("re-encoded %x, %v; want %s", got, err, want)
					}
					return
				}
				got, err = AppendResponse(nil, r)
				if err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(got, b) {
				t.Fatalf("re-encoded\n%x\nwant\n%x", got, b)
			}
		})
	}
}

func mustVector(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "rfc9292", name+".bin"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVectorsStream decodes every figure through the streaming readers,
// byte by byte, and expects what DecodeRequest/DecodeResponse give.
func TestVectorsStream(t *testing.T) {
	for name, v := range loadVectors(t) {
		b, _ := hex.DecodeString(v.Hex)
		if v.Decoded.Framing%2 == 0 {
			want, err1 := DecodeRequest(b, Limits{})
			got, err2 := streamRequest(b, Limits{})
			if err1 != nil || err2 != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: stream %+v, %v; want %+v, %v", name, got, err2, want, err1)
			}
		} else {
			want, err1 := DecodeResponse(b, Limits{})
			got, err2 := streamResponse(b, Limits{})
			if err1 != nil || err2 != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: stream %+v, %v; want %+v, %v", name, got, err2, want, err1)
			}
		}
	}
}

// TestVectorsTruncation checks RFC 9292 §5.1: dropping up to 2 (Figure 8)
// or 12 (Figure 9) trailing bytes keeps the meaning; dropping one more
// cuts into the header section and is invalid.
func TestVectorsTruncation(t *testing.T) {
	for name, maxCut := range map[string]int{"fig_known_length_request": 2, "fig_indeterminate_length_request": 12} {
		b := mustVector(t, name)
		full, err := DecodeRequest(b, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		for cut := 1; cut <= maxCut+1; cut++ {
			r, err := DecodeRequest(b[:len(b)-cut], Limits{})
			if cut > maxCut {
				if !isSentinel(err, ErrTruncated) {
					t.Errorf("%s cut %d: err %v, want ErrTruncated", name, cut, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s cut %d: %v", name, cut, err)
			}
			r.Padding = full.Padding
			if !reflect.DeepEqual(r, full) {
				t.Errorf("%s cut %d: %+v", name, cut, r)
			}
		}
	}
}
