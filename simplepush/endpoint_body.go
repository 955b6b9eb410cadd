package simplepush

import (
	"net/url"
	"strconv"
)

// Notify is what an app server PUTs to an endpoint:
// application/x-www-form-urlencoded "version=N[&data=...]".
type Notify struct {
	Version    uint64
	HasVersion bool // false: the server uses its UTC time in seconds
	Data       string
	HasData    bool
}

// ParseNotify parses a PUT body (form-encoded, whatever the Content-Type
// says) and the URL query, body first as net/http does. A missing or
// empty version is not an error (HasVersion false); a version that is not
// a non-negative 64-bit integer is ErrBadVersion; data longer than
// maxData bytes (0: DefaultMaxDataLen) is ErrDataTooLong; a body that is
// not form-encoded is ErrInvalidParams.
func ParseNotify(body []byte, rawQuery string, maxData int) (Notify, error) {
	if maxData <= 0 {
		maxData = DefaultMaxDataLen
	}
	var n Notify
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return n, errCode(CodeInvalidParams, "body is not form-encoded")
	}
	if rawQuery != "" {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return n, errCode(CodeInvalidParams, "query is not form-encoded")
		}
		for k, v := range q {
			form[k] = append(form[k], v...)
		}
	}
	if v := form.Get("version"); v != "" {
		if v[0] < '0' || v[0] > '9' {
			return n, errCode(CodeBadVersion, "version is not a non-negative integer")
		}
		n.Version, err = strconv.ParseUint(v, 10, 64)
		if err != nil {
			return n, errCode(CodeBadVersion, "version is not a 64-bit unsigned integer")
		}
		n.HasVersion = true
	}
	if vs, ok := form["data"]; ok && len(vs) > 0 {
		n.Data, n.HasData = vs[0], true
		if len(n.Data) > maxData {
			return n, errCode(CodeDataTooLong, "data exceeds "+strconv.Itoa(maxData)+" bytes")
		}
	}
	return n, nil
}

// Append appends the form encoding of n.
func (n Notify) Append(b []byte) []byte {
	sep := false
	if n.HasVersion {
		b = append(b, "version="...)
		b = strconv.AppendUint(b, n.Version, 10)
		sep = true
	}
	if n.HasData {
		if sep {
			b = append(b, '&')
		}
		b = append(b, "data="...)
		b = append(b, url.QueryEscape(n.Data)...)
	}
	return b
}
