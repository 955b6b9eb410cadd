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
		Framing       int               `json:"framing"`
		Method        string            `json:"method"`
		Scheme        string            `json:"scheme"`
		Authority     string            `json:"authority"`
		Path          string            `json:"path"`
		Informational [][2]any          `json:"informational"`
		Status        int               `json:"status"`
		Headers       [][2]string       `json:"headers"`
		Content       string            `json:"content"`
		Trailers      [][2]string       `json:"trailers"`
		Padding       int               `json:"padding"`
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
