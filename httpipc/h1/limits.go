package h1

import "github.com/appwire/appwire/httpipc/bhttp"

// Default limits, from the httpipc spec §3.5. A zero field of Limits means
// the matching default.
const (
	DefaultMaxHeaderBytes   = 64 << 10
	DefaultMaxFields        = bhttp.DefaultMaxFields        // 1000
	DefaultMaxFieldLength   = bhttp.DefaultMaxFieldLength   // 8 KiB
	DefaultMaxBodySize      = bhttp.DefaultMaxBodySize      // 8 MiB
	DefaultMaxInformational = bhttp.DefaultMaxInformational // 10
)

// Limits bounds what a decoder accepts. Every length (a line, a
// Content-Length, a chunk size) is checked against its limit and against
// the bytes left before anything is allocated. The zero value means "all
// defaults".
type Limits struct {
	// MaxHeaderBytes bounds each head (start line and field lines with
	// their CRLFs, through the empty line) and the trailer section.
	// Default 64 KiB. ErrHeaderTooLarge.
	MaxHeaderBytes int
	// MaxFields bounds the field lines of one head or trailer section.
	// Default 1000. ErrTooManyFields.
	MaxFields int
	// MaxFieldLength bounds one field name, one field value, the
	// request-target and the reason phrase. Default 8 KiB. ErrFieldTooLong.
	MaxFieldLength int
	// MaxBodySize bounds the body (after de-chunking). Default 8 MiB.
	// ErrBodyTooLarge.
	MaxBodySize int
	// MaxInformational bounds the 1xx responses before the final one.
	// Default 10. ErrTooManyInformational.
	MaxInformational int
}

func (l Limits) resolved() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxHeaderBytes, DefaultMaxHeaderBytes)
	def(&l.MaxFields, DefaultMaxFields)
	def(&l.MaxFieldLength, DefaultMaxFieldLength)
	def(&l.MaxBodySize, DefaultMaxBodySize)
	def(&l.MaxInformational, DefaultMaxInformational)
	return l
}
