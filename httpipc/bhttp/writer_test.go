package bhttp

import (
	"bytes"
	"reflect"
	"testing"
)

// TestWriterFigure11 rebuilds RFC 9292 Figure 11 with the streaming
// encoder, byte for byte.
func TestWriterFigure11(t *testing.T) {
	want := mustVector(t, "fig_indeterminate_length_response")
	r, err := DecodeResponse(want, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, in := range r.Informational {
		if err := w.WriteInformational(in.Status, in.Header); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteResponseHead(r.Status, r.Header); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(r.Body); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("got\n%x\nwant\n%x", buf.Bytes(), want)
	}
}

// TestWriterRequestChunks writes a request in several chunks, small and
// large, with trailer and padding, and decodes it back.
func TestWriterRequestChunks(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.Padding = 3
	head := &Request{Method: "PUT", Scheme: "https", Authority: "example.com", Path: "/f",
		Header: Fields{{"content-type", "application/octet-stream"}}}
	if err := w.WriteRequestHead(head); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("x"), 2000)
	for _, p := range [][]byte{[]byte("ab"), nil, big} {
		if _, err := w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.CloseWithTrailer(Fields{{"x-digest", "d"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("late")); err == nil {
		t.Fatal("Write after Close succeeded")
	}
	got, err := DecodeRequest(buf.Bytes(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := *head
	want.Indeterminate, want.Body, want.Trailer, want.Padding = true, append([]byte("ab"), big...), Fields{{"x-digest", "d"}}, 3
	if !reflect.DeepEqual(got, &want) {
		t.Fatalf("got %+v\nwant %+v", got, &want)
	}
}

// TestWriterRejects checks invalid parts and misordered calls write nothing.
func TestWriterRejects(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write before head succeeded")
	}
	if err := w.WriteResponseHead(200, Fields{{"a", "b\r\nc: d"}}); !isSentinel(err, ErrFieldValue) {
		t.Errorf("CRLF value: %v", err)
	}
	if err := w.WriteInformational(200, nil); !isSentinel(err, ErrStatus) {
		t.Errorf("informational 200: %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %x for rejected parts", buf.Bytes())
	}
	if err := w.WriteResponseHead(204, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteInformational(103, nil); err == nil {
		t.Error("informational after final head succeeded")
	}
}
