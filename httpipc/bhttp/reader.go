package bhttp

import (
	"bufio"
	"errors"
	"io"
	"slices"
)

// RequestReader decodes a request as it arrives: Head returns the control
// data and header section, Read streams the content, and Trailer returns
// the trailer section once the content is done. The message must be the
// rest of the stream (a frame layer delimits it; RFC 9292 messages are not
// self-delimiting because of padding and truncation), and bytes may be read
// ahead from the underlying reader.
//
// An error found after Head (bad chunk, truncation, bad trailer, non-zero
// padding) comes back from Read or Trailer; RFC 9292 §4 says the message
// is then invalid, so a caller that already acted on the head must abort.
type RequestReader struct {
	stream
}

// ResponseReader is RequestReader for responses.
type ResponseReader struct {
	stream
	// Got1xx, if set, is called by Head for each informational response as
	// soon as it is decoded, before the final response arrives. An error
	// it returns ends decoding and is returned by Head.
	Got1xx func(InfoResponse) error
}

// NewRequestReader returns a RequestReader reading from r with limits lim.
func NewRequestReader(r io.Reader, lim Limits) *RequestReader {
	rr := &RequestReader{}
	rr.init(r, lim)
	return rr
}

// NewResponseReader returns a ResponseReader reading from r with limits lim.
func NewResponseReader(r io.Reader, lim Limits) *ResponseReader {
	rr := &ResponseReader{}
	rr.init(r, lim)
	return rr
}

// Head reads the framing indicator, control data and header section. The
// returned Request has no Body, Trailer or Padding: read those through rr.
// Strings in it never alias internal buffers.
func (rr *RequestReader) Head() (*Request, error) {
	s := &rr.stream
	if err := s.beginHead(false); err != nil {
		return nil, s.fail(err)
	}
	s.buf = s.buf[:0]
	for _, what := range [4]string{"method", "scheme", "authority", "path"} {
		if err := s.gatherString(what); err != nil {
			return nil, s.fail(err)
		}
	}
	// Validate the control data before reading on, as DecodeRequest does.
	d := s.decoder()
	ctl, err := d.control()
	if err != nil {
		return nil, s.fail(err)
	}
	if err := s.gatherSection(headerSection); err != nil {
		return nil, s.fail(err)
	}
	d.b = s.buf // may have moved; spans are offsets
	hs, he, err := d.section(headerSection, s.ind)
	if err != nil {
		return nil, s.fail(err)
	}
	str := string(s.buf)
	r := &Request{
		Indeterminate: s.ind,
		Method:        sub(str, 0, ctl[0]),
		Scheme:        sub(str, 0, ctl[1]),
		Authority:     sub(str, 0, ctl[2]),
		Path:          sub(str, 0, ctl[3]),
		Header:        d.fields(make(Fields, he-hs), hs, he, str, 0),
	}
	s.state = stateContent
	return r, nil
}

// Head reads the framing indicator, the informational responses (passing
// each to Got1xx), the final status and the header section.
func (rr *ResponseReader) Head() (*Response, error) {
	s := &rr.stream
	if err := s.beginHead(true); err != nil {
		return nil, s.fail(err)
	}
	r := &Response{Indeterminate: s.ind}
	for {
		// The status code and, for 1xx, its header section.
		s.buf, s.bufOff = s.buf[:0], s.off
		if err := s.gatherVarint("status code"); err != nil {
			return nil, s.fail(err)
		}
		if v, _ := ConsumeVarint(s.buf); isInfoStatus(v) && s.infoCount < s.lim.MaxInformational {
			if err := s.gatherSection(infoSection); err != nil {
				return nil, s.fail(err)
			}
		} else if isFinalStatus(v) {
			if err := s.gatherSection(headerSection); err != nil {
				return nil, s.fail(err)
			}
		}
		d := s.decoder()
		status, final, err := d.status(s.ind)
		if err != nil {
			return nil, s.fail(err)
		}
		if !final {
			str := string(s.buf)
			in := d.infos[len(d.infos)-1]
			ir := InfoResponse{Status: status, Header: d.fields(make(Fields, in.end-in.start), in.start, in.end, str, 0)}
			r.Informational = append(r.Informational, ir)
			if rr.Got1xx != nil {
				if err := rr.Got1xx(ir); err != nil {
					return nil, s.fail(err)
				}
			}
			s.infoCount = d.ninfo
			continue
		}
		hs, he, err := d.section(headerSection, s.ind)
		if err != nil {
			return nil, s.fail(err)
		}
		r.Status = status
		r.Header = d.fields(make(Fields, he-hs), hs, he, string(s.buf), 0)
		s.state = stateContent
		return r, nil
	}
}

type streamState uint8

const (
	stateHead streamState = iota
	stateContent
	stateTrailer // content done; trailer not yet read
	stateDone
)

// stream is the part shared by RequestReader and ResponseReader. It gathers
// the raw bytes of one element at a time into buf, checking every length
// against the limits (in the order decoder checks them) before reading,
// then lets a decoder parse and validate buf.
type stream struct {
	br        *bufio.Reader
	lim       Limits
	off       int64 // bytes consumed from the message
	bufOff    int64 // message offset of buf[0]
	buf       []byte
	ind       bool
	state     streamState
	ended     bool   // truncated: the rest of the message is absent
	left      uint64 // bytes left in the known-length content or current chunk
	bodyN     int64  // content bytes announced so far
	infoCount int
	padding   int
	trailer   Fields

	contentStarted, contentDone bool
	dec                         decoder
	err                         error

	// The first backing arrays of buf and dec.spans, so that a small head
	// costs no allocation beyond the reader itself.
	bufArr  [512]byte
	spanArr [16]fieldSpan
}

// init prepares s, which must be at its final address (buf points into it).
func (s *stream) init(r io.Reader, lim Limits) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	s.br, s.lim = br, lim.resolved()
	s.buf = s.bufArr[:0]
	s.dec.spans = s.spanArr[:0]
}

var errOrder = errors.New("bhttp: reader methods called out of order")

func (s *stream) fail(err error) error {
	if s.err == nil {
		s.err = err
	}
	return err
}

func (s *stream) decoder() *decoder {
	s.dec.reset(s.buf, s.bufOff, s.lim)
	s.dec.ninfo = s.infoCount
	return &s.dec
}

func (s *stream) beginHead(response bool) error {
	if s.err != nil {
		return s.err
	}
	if s.state != stateHead {
		return errOrder
	}
	s.buf, s.bufOff = s.buf[:0], 0
	if err := s.gatherVarint("framing indicator"); err != nil {
		return err
	}
	d := s.decoder()
	ind, err := d.framing(response)
	s.ind = ind
	s.buf, s.bufOff = s.buf[:0], s.off
	return err
}

// atEOF reports whether the message ends here.
func (s *stream) atEOF() (bool, error) {
	_, err := s.br.Peek(1)
	if err == io.EOF {
		return true, nil
	}
	return false, err
}

func (s *stream) truncated(what string, at int64, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return newErr(ErrTruncated, what, at)
	}
	return err
}

// readVarint reads one varint, appending its raw bytes to buf if raw.
func (s *stream) readVarint(what string, raw bool) (uint64, error) {
	return s.readVarintIn("", what, raw)
}

// readVarintIn is readVarint for an element of a section named prefix; the
// two names are joined only on error, off the hot path.
func (s *stream) readVarintIn(prefix, what string, raw bool) (uint64, error) {
	start := s.off
	c, err := s.br.ReadByte()
	if err != nil {
		return 0, s.truncated(join(prefix, what), start, err)
	}
	var tmp [8]byte
	tmp[0] = c
	n := 1 << (c >> 6)
	for i := 1; i < n; i++ { // ReadByte, not io.ReadFull: tmp stays on the stack
		if tmp[i], err = s.br.ReadByte(); err != nil {
			return 0, s.truncated(join(prefix, what), start, err)
		}
	}
	s.off += int64(n)
	if raw {
		s.buf = append(s.buf, tmp[:n]...)
	}
	v, _ := ConsumeVarint(tmp[:n])
	return v, nil
}

func (s *stream) gatherVarint(what string) error {
	_, err := s.readVarint(what, true)
	return err
}

func join(prefix, what string) string {
	if prefix == "" {
		return what
	}
	return prefix + " " + what
}

// gatherBytes appends n bytes (already checked against a limit) to buf.
func (s *stream) gatherBytes(n int, what string, at int64) error {
	return s.gatherBytesIn(n, "", what, at)
}

// gatherBytesIn is gatherBytes for an element of a section named prefix.
// n was checked against a limit, but limits may be raised far beyond what a
// peer really sends: buf grows with the bytes that arrive (at most
// gatherStep beyond what is held, then doubling), never to a claimed size
// in one step, so a 10-byte message claiming a 1 GiB section costs
// gatherStep, not 1 GiB.
func (s *stream) gatherBytesIn(n int, prefix, what string, at int64) error {
	for n > 0 {
		k := min(n, max(gatherStep, len(s.buf)))
		l := len(s.buf)
		s.buf = slices.Grow(s.buf, k)[:l+k]
		m, err := io.ReadFull(s.br, s.buf[l:])
		s.off += int64(m)
		if err != nil {
			s.buf = s.buf[:l+m]
			return s.truncated(join(prefix, what), at, err)
		}
		n -= k
	}
	return nil
}

// gatherStep is the most gatherBytesIn allocates ahead of bytes received.
const gatherStep = 32 << 10

// gatherLength gathers a length prefix and the bytes it announces, after
// checking the length against max.
func (s *stream) gatherLength(what string, max int64, limit error) error {
	start := s.off
	v, err := s.readVarint(what, true)
	if err != nil {
		return err
	}
	if v > uint64(max) {
		return newErr(limit, what, start)
	}
	return s.gatherBytes(int(v), what, start)
}

func (s *stream) gatherString(what string) error {
	return s.gatherLength(what, int64(s.lim.MaxFieldLength), ErrFieldTooLong)
}

// gatherSection gathers one field section, or nothing if the message ends
// (is truncated) here.
func (s *stream) gatherSection(kind sectionKind) error {
	if end, err := s.atEOF(); end || err != nil {
		s.ended = end
		return err
	}
	if !s.ind {
		return s.gatherLength(kind.lengthWhat(), int64(s.lim.MaxFieldSectionSize), ErrFieldSectionTooLarge)
	}
	sectStart, count := s.off, 0
	st := fieldState{kind: kind}
	// field checks and gathers one name or value whose length v was read
	// at start, and returns where it starts in buf.
	field := func(what string, v uint64, start int64) (int, error) {
		switch {
		case v > uint64(s.lim.MaxFieldLength):
			return 0, newErr(ErrFieldTooLong, kind.String()+" "+what, start)
		case uint64(s.off-sectStart)+v > uint64(s.lim.MaxFieldSectionSize):
			return 0, newErr(ErrFieldSectionTooLarge, kind.String(), start)
		}
		at := len(s.buf)
		return at, s.gatherBytesIn(int(v), kind.String(), what, start)
	}
	for {
		start := s.off
		nl, err := s.readVarintIn(kind.String(), "field line", true)
		if err != nil || nl == 0 {
			return err
		}
		if count++; count > s.lim.MaxFields {
			return newErr(ErrTooManyFields, kind.String(), start)
		}
		nameAt, err := field("field name", nl, start)
		if err != nil {
			return err
		}
		start = s.off
		vl, err := s.readVarintIn(kind.String(), "field value length", true)
		if err != nil {
			return err
		}
		valueAt, err := field("field value", vl, start)
		if err != nil {
			return err
		}
		// Validate each line as it arrives, as the decoder does, so both
		// stop at the same fault.
		name := s.buf[nameAt : nameAt+int(nl)]
		if inValue, err := checkField(&st, name, s.buf[valueAt:]); err != nil {
			at := nameAt
			if inValue {
				at = valueAt
			}
			return newErr(err, fieldWhat(kind, string(name), inValue), s.bufOff+int64(at))
		}
	}
}

// Read reads content. It returns io.EOF at the end of valid content, and an
// *Error if the content is invalid or exceeds Limits.MaxStreamBodySize.
func (s *stream) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	switch s.state {
	case stateHead:
		return 0, errOrder
	case stateTrailer, stateDone:
		return 0, io.EOF
	}
	for s.left == 0 {
		if err := s.nextChunk(); err != nil {
			if err == io.EOF {
				s.state = stateTrailer
				return 0, io.EOF
			}
			return 0, s.fail(err)
		}
	}
	if uint64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, err := s.br.Read(p)
	s.off += int64(n)
	s.left -= uint64(n)
	if err == io.EOF && s.left > 0 {
		return n, s.fail(newErr(ErrTruncated, "content", s.off))
	}
	if err != nil && err != io.EOF {
		return n, s.fail(err)
	}
	return n, nil
}

// nextChunk reads the next content length prefix: the only one of a
// known-length message, or the next chunk length of an indeterminate one.
// It returns io.EOF at the end of the content.
func (s *stream) nextChunk() error {
	if s.ended || s.contentDone {
		return io.EOF
	}
	if !s.contentStarted {
		s.contentStarted = true
		if end, err := s.atEOF(); end || err != nil { // truncated: no content
			s.ended = end
			if err == nil {
				err = io.EOF
			}
			return err
		}
	} else if !s.ind {
		s.contentDone = true // the one known-length block is read
		return io.EOF
	}
	start := s.off
	what := "content length"
	if s.ind {
		what = "content chunk length"
	}
	v, err := s.readVarint(what, false)
	if err != nil {
		return err
	}
	if v == 0 {
		s.contentDone = true
		return io.EOF
	}
	if v > uint64(s.lim.MaxStreamBodySize-s.bodyN) {
		return newErr(ErrBodyTooLarge, what, start)
	}
	s.left = v
	s.bodyN += int64(v)
	return nil
}

// Trailer reads the trailer section and checks the padding up to the end of
// the stream. If the content was not read to its end, Trailer first reads
// and discards the rest of it. Calling Trailer again returns the same
// fields.
func (s *stream) Trailer() (Fields, error) {
	if s.err != nil {
		return nil, s.err
	}
	switch s.state {
	case stateHead:
		return nil, errOrder
	case stateDone:
		return s.trailer, nil
	case stateContent:
		if _, err := io.Copy(io.Discard, s); err != nil {
			return nil, err
		}
	}
	s.buf, s.bufOff = s.buf[:0], s.off
	if err := s.gatherSection(trailerSection); err != nil {
		return nil, s.fail(err)
	}
	d := s.decoder()
	ts, te, err := d.section(trailerSection, s.ind)
	if err != nil {
		return nil, s.fail(err)
	}
	if te > ts {
		s.trailer = d.fields(make(Fields, te-ts), ts, te, string(s.buf), 0)
	}
	for {
		c, err := s.br.ReadByte()
		if err == io.EOF {
			break
		}
		switch {
		case err != nil:
			return nil, s.fail(err)
		case int64(s.padding) >= s.lim.MaxPadding:
			return nil, s.fail(newErr(ErrPaddingTooLong, "padding", s.off))
		case c != 0:
			return nil, s.fail(newErr(ErrNonZeroPadding, "padding", s.off))
		}
		s.padding++
		s.off++
	}
	s.state = stateDone
	return s.trailer, nil
}
