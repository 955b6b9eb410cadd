package bhttp

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/iotest"
)

// streamRequest decodes b through a RequestReader, one byte per Read from
// the underlying reader, so every element crosses read boundaries.
func streamRequest(b []byte, lim Limits) (*Request, error) {
	rr := NewRequestReader(iotest.OneByteReader(bytes.NewReader(b)), lim)
	r, err := rr.Head()
	if err != nil {
		return nil, err
	}
	if r.Body, err = io.ReadAll(rr); err != nil {
		return nil, err
	}
	if len(r.Body) == 0 {
		r.Body = nil
	}
	if r.Trailer, err = rr.Trailer(); err != nil {
		return nil, err
	}
	r.Padding = rr.padding
	return r, nil
}

func streamResponse(b []byte, lim Limits) (*Response, error) {
	rr := NewResponseReader(iotest.OneByteReader(bytes.NewReader(b)), lim)
	r, err := rr.Head()
	if err != nil {
		return nil, err
	}
	if r.Body, err = io.ReadAll(rr); err != nil {
		return nil, err
	}
	if len(r.Body) == 0 {
		r.Body = nil
	}
	if r.Trailer, err = rr.Trailer(); err != nil {
		return nil, err
	}
	r.Padding = rr.padding
	return r, nil
}

// TestStreamHeadBeforeBody shows the head is available while the content
// has not arrived yet: the reader is fed through a pipe that has only
// delivered the head when Head returns.
func TestStreamHeadBeforeBody(t *testing.T) {
	msg, err := AppendRequest(nil, &Request{Indeterminate: true, Method: "POST", Scheme: "https",
		Path: "/up", Header: Fields{{"content-type", "text/plain"}}, Body: []byte("hello"),
		Trailer: Fields{{"x-sum", "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	headLen := bytes.Index(msg, []byte("plain")) + len("plain") + 1
	pr, pw := io.Pipe()
	go func() {
		pw.Write(msg[:headLen])
		pw.Write(msg[headLen:])
		pw.Close()
	}()
	rr := NewRequestReader(pr, Limits{})
	r, err := rr.Head()
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != "POST" || r.Header.Get("Content-Type") != "text/plain" || r.Body != nil {
		t.Fatalf("head = %+v", r)
	}
	if _, err := rr.Trailer(); err != nil { // drains the body first
		t.Fatal(err)
	}
	if tr, _ := rr.Trailer(); tr.Get("x-sum") != "1" {
		t.Fatalf("trailer = %v", tr)
	}
	if n, err := rr.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("Read after trailer = %d, %v", n, err)
	}
}

// TestStreamGot1xx checks informational responses reach Got1xx in order,
// before Head returns the final response.
func TestStreamGot1xx(t *testing.T) {
	b := mustVector(t, "fig_indeterminate_length_response")
	rr := NewResponseReader(bytes.NewReader(b), Limits{})
	var got []int
	rr.Got1xx = func(in InfoResponse) error { got = append(got, in.Status); return nil }
	r, err := rr.Head()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != 102 || got[1] != 103 || r.Status != 200 || len(r.Informational) != 2 {
		t.Fatalf("got1xx %v, head %+v", got, r)
	}
	body, err := io.ReadAll(rr)
	if err != nil || string(body) != "Hello World! My content includes a trailing CRLF.\r\n" {
		t.Fatalf("body %q, %v", body, err)
	}
}

// TestStreamLateError checks that an error after the head comes back from
// Read, is sticky, and is never io.EOF.
func TestStreamLateError(t *testing.T) {
	b := mustVector(t, "fig_indeterminate_length_response")
	b = b[:len(b)-10] // cut inside the content chunk
	rr := NewResponseReader(bytes.NewReader(b), Limits{})
	if _, err := rr.Head(); err != nil {
		t.Fatal(err)
	}
	_, err := io.ReadAll(rr)
	if !isSentinel(err, ErrTruncated) {
		t.Fatalf("ReadAll err = %v, want ErrTruncated", err)
	}
	if _, err2 := rr.Trailer(); err2 != err {
		t.Fatalf("Trailer err = %v, want the same sticky %v", err2, err)
	}
}

// TestStreamClaimedLengthAllocation feeds short messages whose length
// prefixes claim up to 1 GiB, with the limits raised to 4 GiB so no limit
// stops them: the reader must grow with the bytes that arrive, not
// allocate the claimed size, and report the truncation.
func TestStreamClaimedLengthAllocation(t *testing.T) {
	const claim = 1 << 30
	big := AppendVarint(nil, claim) // 4 bytes
	// ctl is a framing indicator and valid control data.
	ctl := func(ind byte) []byte {
		return []byte{ind, 3, 'G', 'E', 'T', 5, 'h', 't', 't', 'p', 's', 0, 1, '/'}
	}
	cases := []struct {
		name string
		msg  []byte
	}{
		// Known length: control data, then a header section length.
		{"header section", append(ctl(0), big...)},
		// The method's length prefix.
		{"method", append([]byte{0}, big...)},
		// Indeterminate length: one field name claiming 1 GiB.
		{"field name", append(ctl(2), big...)},
		// A real start of the claimed bytes, then the end.
		{"header section, partial", append(append(ctl(0), big...), make([]byte, 100<<10)...)},
	}
	lim := Limits{MaxFieldSectionSize: 4 << 30, MaxFieldLength: 4 << 30}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			rr := NewRequestReader(bytes.NewReader(tc.msg), lim)
			_, err := rr.Head()
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrTruncated) {
				t.Errorf("Head: %v, want ErrTruncated", err)
			}
			// What arrived, plus one growth step and the reader's own
			// buffers; far below the claimed 1 GiB.
			alloc := after.TotalAlloc - before.TotalAlloc
			if want := uint64(len(tc.msg))*3 + 1<<20; alloc > want {
				t.Errorf("allocated %d bytes for a %d-byte message claiming %d (want at most %d)", alloc, len(tc.msg), claim, want)
			}
		})
	}
}
