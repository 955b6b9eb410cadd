package bhttp

import (
	"errors"
	"io"
)

// Writer encodes one indeterminate-length message as it is produced: the
// head first, then each Write as one content chunk, then the trailer. It
// validates like AppendRequest/AppendResponse and writes nothing for a
// part it rejects.
//
// Requests: WriteRequestHead, Write…, Close or CloseWithTrailer.
// Responses: WriteInformational…, WriteResponseHead, Write…, Close or
// CloseWithTrailer.
type Writer struct {
	// Padding is the number of zero bytes Close writes after the message.
	Padding int

	w     io.Writer
	buf   []byte
	state writerState
	err   error
	small [256]byte // buf's first backing array: a typical head fits
}

type writerState uint8

const (
	wStart writerState = iota
	wInformational
	wContent
	wClosed
)

var errWriterOrder = errors.New("bhttp: Writer methods called out of order")

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer {
	bw := &Writer{}
	bw.Reset(w)
	return bw
}

// Reset makes bw a new Writer writing to w (the zero Writer needs it
// too), keeping its buffer.
func (bw *Writer) Reset(w io.Writer) {
	buf := bw.buf[:0]
	if buf == nil {
		buf = bw.small[:0]
	}
	bw.Padding, bw.w, bw.buf, bw.state, bw.err = 0, w, buf, wStart, nil
}

// WriteRequestHead writes the framing indicator, control data and header
// section of r. r's Body, Trailer, Padding and Indeterminate are ignored.
func (w *Writer) WriteRequestHead(r *Request) error {
	if w.state != wStart {
		return errWriterOrder
	}
	if what, err := checkControl(r.Method, r.Scheme, r.Authority, r.Path); err != nil {
		return newErr(err, what, -1)
	}
	if err := validateFields(r.Header, headerSection); err != nil {
		return err
	}
	b := append(w.buf[:0], 2)
	b = appendString(b, r.Method)
	b = appendString(b, r.Scheme)
	b = appendString(b, r.Authority)
	b = appendString(b, r.Path)
	return w.flush(appendSection(b, r.Header, true), wContent)
}

// WriteInformational writes one informational (1xx) response.
func (w *Writer) WriteInformational(status int, h Fields) error {
	if w.state != wStart && w.state != wInformational {
		return errWriterOrder
	}
	if status < 100 || status > 199 {
		return newErr(ErrStatus, "informational status", -1)
	}
	if err := validateFields(h, infoSection); err != nil {
		return err
	}
	return w.flush(appendSection(AppendVarint(w.framing(3), uint64(status)), h, true), wInformational)
}

// WriteResponseHead writes the final status code and header section.
func (w *Writer) WriteResponseHead(status int, h Fields) error {
	if w.state != wStart && w.state != wInformational {
		return errWriterOrder
	}
	if status < 200 || status > 599 {
		return newErr(ErrStatus, "final status", -1)
	}
	if err := validateFields(h, headerSection); err != nil {
		return err
	}
	return w.flush(appendSection(AppendVarint(w.framing(3), uint64(status)), h, true), wContent)
}

// framing starts w.buf, with the framing indicator if nothing was written.
func (w *Writer) framing(ind byte) []byte {
	if w.state == wStart {
		return append(w.buf[:0], ind)
	}
	return w.buf[:0]
}

// Write writes p as one content chunk (nothing if p is empty).
func (w *Writer) Write(p []byte) (int, error) {
	if w.state != wContent {
		return 0, errWriterOrder
	}
	if len(p) == 0 {
		return 0, nil
	}
	b := AppendVarint(w.buf[:0], uint64(len(p)))
	if len(p) <= 512 { // one write for small chunks
		if err := w.flush(append(b, p...), wContent); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	if err := w.flush(b, wContent); err != nil {
		return 0, err
	}
	if _, err := w.w.Write(p); err != nil {
		w.err = err
		return 0, err
	}
	return len(p), nil
}

// CloseWithTrailer ends the content, writes the trailer section and the
// padding. It does not close the underlying writer.
func (w *Writer) CloseWithTrailer(t Fields) error {
	if w.state != wContent {
		return errWriterOrder
	}
	if err := validateFields(t, trailerSection); err != nil {
		return err
	}
	b := appendSection(append(w.buf[:0], 0), t, true)
	return w.flush(appendPadding(b, w.Padding), wClosed)
}

// Close is CloseWithTrailer(nil).
func (w *Writer) Close() error { return w.CloseWithTrailer(nil) }

func (w *Writer) flush(b []byte, next writerState) error {
	w.buf = b
	if w.err != nil {
		return w.err
	}
	if _, err := w.w.Write(b); err != nil {
		w.err = err
		return err
	}
	w.state = next
	return nil
}
