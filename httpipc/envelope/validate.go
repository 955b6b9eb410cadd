package envelope

import (
	"strconv"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// Validation reuses Binary HTTP's rules (RFC 9292 §3.4/§3.6 by way of
// RFC 9113 §8.2.1 and §8.3.1: token methods, URI schemes, authority and
// path characters, lowercase token names, no NUL/CR/LF and no leading or
// trailing SP/HTAB in values, status ranges) through bhttp's Validate, so
// the two codecs can never disagree. The envelope adds two rules of its
// own: no pseudo-field at all, and no connection-specific field.

func checkRequest(r *bhttp.Request) error {
	if err := checkFields(r.Header, "header"); err != nil {
		return err
	}
	if err := checkFields(r.Trailer, "trailer"); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return &Error{Err: err, Offset: -1}
	}
	return nil
}

func checkResponse(r *bhttp.Response) error {
	for _, in := range r.Informational {
		if err := checkFields(in.Header, "informational header"); err != nil {
			return err
		}
	}
	if err := checkFields(r.Header, "header"); err != nil {
		return err
	}
	if err := checkFields(r.Trailer, "trailer"); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return &Error{Err: err, Offset: -1}
	}
	return nil
}

func checkFields(fs bhttp.Fields, section string) error {
	for _, f := range fs {
		if len(f.Name) > 0 && f.Name[0] == ':' {
			return newErr(ErrPseudoField, section+" field "+quote(f.Name), -1)
		}
		if connectionSpecific(f.Name, f.Value) {
			return newErr(ErrConnectionField, section+" field "+quote(f.Name), -1)
		}
	}
	return nil
}

// connectionSpecific reports whether a field is one RFC 9113 §8.2.2 bans
// ("te" is allowed only as "trailers"). Names are compared as sent: an
// uppercase name is rejected by the bhttp rules anyway.
func connectionSpecific(name, value string) bool {
	switch name {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		return true
	case "te":
		return value != "trailers"
	}
	return false
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strconv.Quote(s)
}
