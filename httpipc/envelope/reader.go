package envelope

import (
	"bytes"
	"io"
	"strings"

	"github.com/appwire/appwire/httpipc/bhttp"
	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// reader walks one envelope held in memory. msgpack/v5's Decoder reads the
// element headers (array, str and bin lengths, integers), but every
// payload is sliced out of b here, never read by the Decoder: its readers
// allocate from the peer's length (DecodeBytes up to 1 MiB per element
// whatever the input size; everything with DisableAllocLimit; and
// reflection-decoded slices in full, as decode_slice.go's limit check
// never fires in v5.4.1), and its Skip recurses without a depth bound.
// So each length is checked against its limit and then against the bytes
// left, the code is checked before each Decode call (the Decoder also
// accepts nil as 0 or as an empty array, and sign-extends negative
// numbers into uint64), and unknown elements are skipped by skip below.
type reader struct {
	b   []byte
	br  bytes.Reader
	dec *msgpack.Decoder
	lim Limits

	// spans are the text elements (control data, names, values) in wire
	// order; textLen is their total size.
	spans   []span
	textLen int
}

type span struct{ off, n int }

// fieldSpans is a decoded field section: n pairs from spans[first].
type fieldSpans struct{ first, n int }

func newReader(b []byte, lim Limits) *reader {
	r := &reader{b: b, lim: lim.resolved(), spans: make([]span, 0, 16)}
	r.br.Reset(b)
	r.dec = msgpack.GetDecoder()
	r.dec.Reset(&r.br)
	return r
}

func (r *reader) release() {
	msgpack.PutDecoder(r.dec)
	r.dec = nil
}

func (r *reader) off() int { return len(r.b) - r.br.Len() }

func (r *reader) peek(what string) (byte, error) {
	if r.br.Len() == 0 {
		return 0, newErr(ErrTruncated, what, r.off())
	}
	return r.b[r.off()], nil
}

// arrayLen reads an array header. n above max is limit (when limit is not
// nil); n above the bytes left is ErrTruncated, since every element takes
// at least one byte.
func (r *reader) arrayLen(what string, max int, limit error) (int, error) {
	at := r.off()
	c, err := r.peek(what)
	if err != nil {
		return 0, err
	}
	if !msgpcode.IsFixedArray(c) && c != msgpcode.Array16 && c != msgpcode.Array32 {
		return 0, newErr(ErrType, what+" (want array)", at)
	}
	n, err := r.dec.DecodeArrayLen()
	if err != nil {
		return 0, newErr(ErrTruncated, what, at)
	}
	if limit != nil && n > max {
		return 0, newErr(limit, what, at)
	}
	if n > r.br.Len() {
		return 0, newErr(ErrTruncated, what, at)
	}
	return n, nil
}

// raw reads a str or bin header (as allowed) and slices its payload out
// of b after checking its length against max and the bytes left.
func (r *reader) raw(what string, str bool, max int, limit error) (span, error) {
	at := r.off()
	c, err := r.peek(what)
	if err != nil {
		return span{}, err
	}
	if !msgpcode.IsBin(c) && !(str && msgpcode.IsString(c)) {
		if str {
			return span{}, newErr(ErrType, what+" (want str or bin)", at)
		}
		return span{}, newErr(ErrType, what+" (want bin)", at)
	}
	n, err := r.dec.DecodeBytesLen()
	if err != nil {
		return span{}, newErr(ErrTruncated, what, at)
	}
	if limit != nil && n > max {
		return span{}, newErr(limit, what, at)
	}
	if n > r.br.Len() {
		return span{}, newErr(ErrTruncated, what, at)
	}
	sp := span{r.off(), n}
	_, _ = r.br.Seek(int64(n), io.SeekCurrent)
	return sp, nil
}

// text reads a str or bin text element into spans.
func (r *reader) text(what string) error {
	sp, err := r.raw(what, true, r.lim.MaxFieldLength, ErrFieldTooLong)
	if err != nil {
		return err
	}
	r.spans = append(r.spans, sp)
	r.textLen += sp.n
	return nil
}

// uint reads a non-negative integer of any msgpack integer type.
func (r *reader) uint(what string) (uint64, error) {
	at := r.off()
	c, err := r.peek(what)
	if err != nil {
		return 0, err
	}
	switch {
	case c <= msgpcode.PosFixedNumHigh, c == msgpcode.Uint8, c == msgpcode.Uint16,
		c == msgpcode.Uint32, c == msgpcode.Uint64:
		v, err := r.dec.DecodeUint64()
		if err != nil {
			return 0, newErr(ErrTruncated, what, at)
		}
		return v, nil
	case c == msgpcode.Int8, c == msgpcode.Int16, c == msgpcode.Int32, c == msgpcode.Int64:
		v, err := r.dec.DecodeInt64()
		if err != nil {
			return 0, newErr(ErrTruncated, what, at)
		}
		if v < 0 {
			return 0, newErr(ErrType, what+" (negative)", at)
		}
		return uint64(v), nil
	}
	return 0, newErr(ErrType, what+" (want non-negative integer)", at)
}

// sectionNames are the element names of one kind of field section, as
// literals so that naming them costs nothing on the hot path.
type sectionNames struct{ section, pair, name, value string }

var (
	headerNames  = sectionNames{"header section", "header field (want [name, value])", "header field name", "header field value"}
	trailerNames = sectionNames{"trailer section", "trailer field (want [name, value])", "trailer field name", "trailer field value"}
	infoNames    = sectionNames{"informational header section", "informational header field (want [name, value])",
		"informational header field name", "informational header field value"}
)

// section reads a field section: an array of [name, value] arrays.
func (r *reader) section(nm sectionNames) (fieldSpans, error) {
	at := r.off()
	n, err := r.arrayLen(nm.section, r.lim.MaxFields, ErrTooManyFields)
	if err != nil {
		return fieldSpans{}, err
	}
	fs := fieldSpans{first: len(r.spans), n: n}
	size := 0
	for i := 0; i < n; i++ {
		pairAt := r.off()
		m, err := r.arrayLen(nm.pair, 0, nil)
		if err != nil {
			return fieldSpans{}, err
		}
		if m != 2 {
			return fieldSpans{}, newErr(ErrSchema, nm.pair, pairAt)
		}
		if err := r.text(nm.name); err != nil {
			return fieldSpans{}, err
		}
		if err := r.text(nm.value); err != nil {
			return fieldSpans{}, err
		}
		size += r.spans[len(r.spans)-1].n + r.spans[len(r.spans)-2].n
		if size > r.lim.MaxFieldSectionSize {
			return fieldSpans{}, newErr(ErrFieldSectionTooLarge, nm.section, at)
		}
	}
	return fs, nil
}

// body reads the body bin, aliasing b (capacity clipped); nil when empty.
func (r *reader) body() ([]byte, error) {
	sp, err := r.raw("body", false, r.lim.MaxBodySize, ErrBodyTooLarge)
	if err != nil || sp.n == 0 {
		return nil, err
	}
	return r.b[sp.off : sp.off+sp.n : sp.off+sp.n], nil
}

// skip consumes one element of any type, at nesting depth.
func (r *reader) skip(what string, depth int) error {
	at := r.off()
	c, err := r.peek(what)
	if err != nil {
		return err
	}
	fixed := 0 // bytes after the code
	switch {
	case msgpcode.IsFixedNum(c), c == msgpcode.Nil, c == msgpcode.False, c == msgpcode.True:
	case c == msgpcode.Uint8, c == msgpcode.Int8:
		fixed = 1
	case c == msgpcode.Uint16, c == msgpcode.Int16:
		fixed = 2
	case c == msgpcode.Uint32, c == msgpcode.Int32, c == msgpcode.Float:
		fixed = 4
	case c == msgpcode.Uint64, c == msgpcode.Int64, c == msgpcode.Double:
		fixed = 8
	case msgpcode.IsString(c), msgpcode.IsBin(c):
		_, err := r.raw(what, true, 0, nil)
		return err
	case msgpcode.IsFixedArray(c), c == msgpcode.Array16, c == msgpcode.Array32,
		msgpcode.IsFixedMap(c), c == msgpcode.Map16, c == msgpcode.Map32:
		return r.skipContainer(what, depth)
	case msgpcode.IsFixedExt(c), c == msgpcode.Ext8, c == msgpcode.Ext16, c == msgpcode.Ext32:
		_, n, err := r.dec.DecodeExtHeader()
		if err != nil || n > r.br.Len() {
			return newErr(ErrTruncated, what, at)
		}
		_, _ = r.br.Seek(int64(n), io.SeekCurrent)
		return nil
	default: // 0xc1, never used
		return newErr(ErrType, what+" (reserved code)", at)
	}
	if 1+fixed > r.br.Len() {
		return newErr(ErrTruncated, what, at)
	}
	_, _ = r.br.Seek(int64(1+fixed), io.SeekCurrent)
	return nil
}

func (r *reader) skipContainer(what string, depth int) error {
	at := r.off()
	if depth >= MaxExtensionDepth {
		return newErr(ErrNesting, what, at)
	}
	c, _ := r.peek(what)
	var n int
	if msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32 {
		m, err := r.dec.DecodeMapLen()
		if err != nil {
			return newErr(ErrTruncated, what, at)
		}
		n = 2 * m
	} else {
		var err error
		if n, err = r.dec.DecodeArrayLen(); err != nil {
			return newErr(ErrTruncated, what, at)
		}
	}
	if n > r.br.Len() {
		return newErr(ErrTruncated, what, at)
	}
	for i := 0; i < n; i++ {
		if err := r.skip(what, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// extensions skips the n elements after the ones version 1 defines.
func (r *reader) extensions(what string, n int) error {
	for i := 0; i < n; i++ {
		if err := r.skip(what+" extension", 0); err != nil {
			return err
		}
	}
	return nil
}

// materialize turns the recorded spans into substrings of one string.
type texts struct {
	s     string
	spans []span
	pos   int
	i     int
}

func (r *reader) texts() *texts {
	var sb strings.Builder
	sb.Grow(r.textLen)
	for _, sp := range r.spans {
		sb.Write(r.b[sp.off : sp.off+sp.n])
	}
	return &texts{s: sb.String(), spans: r.spans}
}

func (t *texts) next() string {
	n := t.spans[t.i].n
	t.i++
	t.pos += n
	return t.s[t.pos-n : t.pos]
}

func (t *texts) fields(fs fieldSpans) bhttp.Fields {
	if fs.n == 0 {
		return nil
	}
	out := make(bhttp.Fields, fs.n)
	for i := range out {
		out[i].Name = t.next()
		out[i].Value = t.next()
	}
	return out
}
