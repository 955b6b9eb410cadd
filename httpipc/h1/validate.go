package h1

import (
	"strconv"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// checkRequest applies, before encoding, every rule DecodeRequest applies
// after decoding, and returns the Host value to write.
func checkRequest(r *bhttp.Request) (host string, err error) {
	if !isToken(r.Method) {
		return "", newErr(ErrMethod, "method", -1)
	}
	if r.Method == "CONNECT" {
		if r.Authority == "" || !validAuthority(r.Authority) {
			return "", newErr(ErrTarget, "CONNECT authority", -1)
		}
	} else {
		if r.Scheme != "http" && r.Scheme != "https" {
			return "", newErr(ErrTarget, "scheme "+quote(r.Scheme)+" (http or https only)", -1)
		}
		if !(r.Path == "*" && r.Method == "OPTIONS") && (r.Path == "" || r.Path[0] != '/') || !validTarget(r.Path) {
			return "", newErr(ErrTarget, "path "+quote(r.Path), -1)
		}
	}
	if !validAuthority(r.Authority) {
		return "", newErr(ErrHost, "authority "+quote(r.Authority), -1)
	}
	host = r.Authority
	hosts := 0
	for _, f := range r.Header {
		if f.Name == "host" {
			hosts++
			host = f.Value
		}
	}
	switch {
	case hosts > 0 && r.Authority != "":
		return "", newErr(ErrHost, "host field and authority both set", -1)
	case hosts > 1 || !validAuthority(host):
		return "", newErr(ErrHost, "host field", -1)
	}
	if err := checkFields(r.Header, "header", false); err != nil {
		return "", err
	}
	return host, checkFields(r.Trailer, "trailer", true)
}

// checkResponse is checkRequest for responses; keepCL reports a
// content-length field to be written as is, without a body.
func checkResponse(r *bhttp.Response) (keepCL bool, err error) {
	for _, in := range r.Informational {
		if in.Status < 100 || in.Status > 199 || in.Status == 101 {
			return false, newErr(ErrStatus, "informational status "+strconv.Itoa(in.Status), -1)
		}
		if err := checkFields(in.Header, "informational header", false); err != nil {
			return false, err
		}
	}
	if r.Status < 200 || r.Status > 599 {
		return false, newErr(ErrStatus, "final status "+strconv.Itoa(r.Status), -1)
	}
	cl := 0
	for _, f := range r.Header {
		if f.Name == "content-length" {
			cl++
			if _, ok := parseDecimal([]byte(f.Value)); !ok || cl > 1 {
				return false, newErr(ErrContentLength, "content-length "+quote(f.Value), -1)
			}
		}
	}
	bodiless := r.Status == 204 || r.Status == 304
	if (cl > 0 || bodiless) && (len(r.Body) > 0 || len(r.Trailer) > 0) {
		if bodiless {
			return false, newErr(ErrBodyNotAllowed, "status "+strconv.Itoa(r.Status), -1)
		}
		return false, newErr(ErrFramingField, "content-length with a body", -1)
	}
	if err := checkFields(r.Header, "header", false, "content-length"); err != nil {
		return false, err
	}
	return cl > 0, checkFields(r.Trailer, "trailer", true)
}

// checkFields checks names and values as the decoder would, and refuses
// framing and connection-specific fields (except those in allow).
func checkFields(fs bhttp.Fields, section string, trailer bool, allow ...string) error {
	for _, f := range fs {
		if err := checkField(f, trailer, allow); err != nil {
			return newErr(err, section+" field "+quote(f.Name), -1)
		}
	}
	return nil
}

func checkField(f bhttp.Field, trailer bool, allow []string) error {
	if !isToken(f.Name) {
		return ErrFieldName
	}
	for i := 0; i < len(f.Name); i++ {
		if 'A' <= f.Name[i] && f.Name[i] <= 'Z' {
			return ErrFieldName
		}
	}
	if invalidValueByte(f.Value) >= 0 || len(f.Value) > 0 && (isWS(f.Value[0]) || isWS(f.Value[len(f.Value)-1])) {
		return ErrFieldValue
	}
	if trailer && forbiddenTrailer(f.Name) {
		return ErrTrailerField
	}
	switch f.Name {
	case "content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection", "upgrade":
		if !contains(allow, f.Name) {
			return ErrFramingField
		}
	case "te":
		if f.Value != "trailers" {
			return ErrFramingField
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
