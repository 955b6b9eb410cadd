package bhttp

import "math"

// Default limits, from the httpipc spec §3.5. A zero field of Limits means
// the matching default.
const (
	DefaultMaxFieldSectionSize = 64 << 10
	DefaultMaxFields           = 1000
	DefaultMaxFieldLength      = 8 << 10
	DefaultMaxBodySize         = 8 << 20
	DefaultMaxInformational    = 10
	DefaultMaxPadding          = 1 << 20
)

// Limits bounds what a decoder accepts from a peer. Every length read from
// the wire is checked against the matching limit, and then against the
// bytes actually available, before anything is allocated for it. Exceeding
// a limit returns an *Error wrapping the sentinel named below (all of which
// match ErrLimit). The zero value means "all defaults".
//
// Variable-length integers need no limit: the format caps them at 2^62-1,
// and every length is checked as above.
type Limits struct {
	// MaxFieldSectionSize bounds the encoded size of each field section
	// (header, trailer, or informational header): the field lines with
	// their length prefixes. Default 64 KiB. ErrFieldSectionTooLarge.
	MaxFieldSectionSize int
	// MaxFields bounds the number of field lines in one section.
	// Default 1000. ErrTooManyFields.
	MaxFields int
	// MaxFieldLength bounds one field name, one field value, and each of
	// method, scheme, authority and path. Default 8 KiB. ErrFieldTooLong.
	MaxFieldLength int
	// MaxBodySize bounds content that is buffered in memory: by
	// DecodeRequest, DecodeResponse and the FromHTTP functions.
	// Default 8 MiB; larger bodies must be streamed. ErrBodyTooLarge.
	MaxBodySize int64
	// MaxStreamBodySize bounds content read through a RequestReader or
	// ResponseReader, which never buffers it. Zero means no limit (the
	// default); the caller bounds what it keeps. ErrBodyTooLarge.
	MaxStreamBodySize int64
	// MaxInformational bounds the number of 1xx responses before the final
	// response. Default 10. ErrTooManyInformational.
	MaxInformational int
	// MaxPadding bounds the number of padding bytes. Default 1 MiB.
	// ErrPaddingTooLong.
	MaxPadding int64
}

// resolved returns l with every zero field replaced by its default.
func (l Limits) resolved() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxFieldSectionSize, DefaultMaxFieldSectionSize)
	def(&l.MaxFields, DefaultMaxFields)
	def(&l.MaxFieldLength, DefaultMaxFieldLength)
	def(&l.MaxInformational, DefaultMaxInformational)
	if l.MaxBodySize <= 0 {
		l.MaxBodySize = DefaultMaxBodySize
	}
	if l.MaxStreamBodySize <= 0 {
		l.MaxStreamBodySize = math.MaxInt64
	}
	if l.MaxPadding <= 0 {
		l.MaxPadding = DefaultMaxPadding
	}
	return l
}
