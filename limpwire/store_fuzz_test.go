package limpwire

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzParseUpdate checks update compilation on arbitrary JSON objects: it
// fails with ErrInvalidDoc or compiles; applying a compiled update to
// stored documents never panics, fails only with ErrInvalidDoc, and leaves
// a document that can still be stored, with its _id unchanged.
func FuzzParseUpdate(f *testing.F) {
	for _, s := range []string{
		`{"a":1}`, `{"n":{"$add":2}}`, `{"n":{"$multiply":-1.5}}`, `{"t":{"$append":"x","$unique":true}}`,
		`{"t":{"$remove":["x",1]}}`, `{"s.k":{"$add":1}}`, `{"t.0":"z"}`, `{"a":1,"a.b":2}`,
		`{"_id":"x"}`, `{"x":{"$push":1}}`, `{"m":{"k":{"$gt":1}}}`,
	} {
		f.Add([]byte(s))
	}
	var docs []Doc
	for _, s := range []string{
		`{"_id":"5f1e2d3c4b5a69788796a5b4","n":1,"s":"str","t":["x","y"],"m":{"k":2}}`,
		`{"_id":"5f1e2d3c4b5a69788796a5b5","n":null,"t":[],"s":{"k":[1]}}`, `{"_id":"5f1e2d3c4b5a69788796a5b6"}`,
	} {
		var d Doc
		if err := json.Unmarshal([]byte(s), &d); err != nil {
			f.Fatal(err)
		}
		stored, _, err := PrepareDoc(d)
		if err != nil {
			f.Fatal(err)
		}
		docs = append(docs, stored)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var raw map[string]any
		if json.Unmarshal(data, &raw) != nil || raw == nil {
			return
		}
		u, err := ParseUpdate(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidDoc) {
				t.Fatalf("ParseUpdate error %v does not match ErrInvalidDoc", err)
			}
			return
		}
		for _, d := range docs {
			c := deepCopy(d).(Doc)
			if err := u.Apply(c); err != nil {
				if !errors.Is(err, ErrInvalidDoc) {
					t.Fatalf("Apply error %v does not match ErrInvalidDoc", err)
				}
				continue
			}
			if c["_id"] != d["_id"] {
				t.Fatalf("update changed _id: %v", c["_id"])
			}
			if _, _, err := PrepareDoc(c); err != nil {
				t.Fatalf("updated document cannot be stored: %v\n%v", err, c)
			}
		}
	})
}
