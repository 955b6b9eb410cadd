package envelope

import "github.com/appwire/appwire/httpipc/bhttp"

// Default limits, from the httpipc spec §3.5 (the same as bhttp's). A zero
// field of Limits means the matching default.
const (
	DefaultMaxFieldSectionSize = bhttp.DefaultMaxFieldSectionSize // 64 KiB
	DefaultMaxFields           = bhttp.DefaultMaxFields           // 1000
	DefaultMaxFieldLength      = bhttp.DefaultMaxFieldLength      // 8 KiB
	DefaultMaxBodySize         = bhttp.DefaultMaxBodySize         // 8 MiB
	DefaultMaxInformational    = bhttp.DefaultMaxInformational    // 10
	// MaxExtensionDepth bounds the nesting of arrays and maps inside the
	// extension elements a decoder skips (see the package doc). It is a
	// constant: version 1 defines no extension, so nothing legitimate
	// comes near it.
	MaxExtensionDepth = 8
)

// Limits bounds what a decoder accepts from a peer. Every length read from
// the wire (msgpack array, str and bin headers) is checked against the
// matching limit and then against the bytes actually left in the input
// before anything is allocated for it. Exceeding a limit returns an *Error
// wrapping the sentinel named below (each matches ErrLimit). The zero value
// means "all defaults".
type Limits struct {
	// MaxFieldSectionSize bounds the sum of name and value bytes of one
	// field section (headers, trailers, or the headers of one
	// informational response). Default 64 KiB. ErrFieldSectionTooLarge.
	MaxFieldSectionSize int
	// MaxFields bounds the number of fields in one section. Default 1000.
	// ErrTooManyFields.
	MaxFields int
	// MaxFieldLength bounds one field name, one field value, and each of
	// method, scheme, authority and path. Default 8 KiB. ErrFieldTooLong.
	MaxFieldLength int
	// MaxBodySize bounds the body. Default 8 MiB. ErrBodyTooLarge.
	MaxBodySize int
	// MaxInformational bounds the number of 1xx responses before the
	// final response. Default 10. ErrTooManyInformational.
	MaxInformational int
}

func (l Limits) resolved() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxFieldSectionSize, DefaultMaxFieldSectionSize)
	def(&l.MaxFields, DefaultMaxFields)
	def(&l.MaxFieldLength, DefaultMaxFieldLength)
	def(&l.MaxBodySize, DefaultMaxBodySize)
	def(&l.MaxInformational, DefaultMaxInformational)
	return l
}

// bhttp returns the bhttp limits that the net/http mapping applies.
func (l Limits) bhttp() bhttp.Limits {
	return bhttp.Limits{
		MaxFieldSectionSize: l.MaxFieldSectionSize, MaxFields: l.MaxFields,
		MaxFieldLength: l.MaxFieldLength, MaxBodySize: int64(l.MaxBodySize),
		MaxInformational: l.MaxInformational,
	}
}
