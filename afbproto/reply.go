package afbproto

import (
	"encoding/json"
	"strconv"
)

// Reply is an afb-reply object (spec §2.1):
//
//	{"response":R,"jtype":"afb-reply","request":{"status":S,"info":I,...}}
//
// Empty strings and a nil or JSON null Response are absent members.
type Reply struct {
	Response json.RawMessage // any JSON value; nil when absent or null
	Status   string          // StatusSuccess or an error status
	Info     string          // optional human text
	Token    string          // refreshed token (V1/V6 only)
	UUID     string          // session id, when the request created the session (V1/V6 only)
	ReqID    string          // echo of the reqid argument (HTTP only)
	Code     int             // libafb only: 0 or a negative errno-like value
}

// OK reports whether the status is success.
func (r *Reply) OK() bool { return r.Status == StatusSuccess }

// AppendReply appends the afb-reply JSON of r in the member order of
// dialect d. Members a dialect does not carry are left out (token and uuid
// in DialectAGLFinal and DialectLibafb, code outside DialectLibafb).
// Response is copied as is and must be valid JSON; it is not checked.
func AppendReply(dst []byte, r *Reply, d Dialect) []byte {
	hasResponse := len(r.Response) > 0 && !isNull(r.Response)
	if d == DialectLibafb {
		dst = append(dst, `{"jtype":"afb-reply","request":{"status":`...)
		dst = appendString(dst, r.Status)
		if r.Info != "" {
			dst = append(dst, `,"info":`...)
			dst = appendString(dst, r.Info)
		}
		dst = append(dst, `,"code":`...)
		dst = strconv.AppendInt(dst, int64(r.Code), 10)
		dst = append(dst, '}')
		if hasResponse {
			dst = append(dst, `,"response":`...)
			dst = append(dst, r.Response...)
		}
		return append(dst, '}')
	}
	dst = append(dst, '{')
	if hasResponse {
		dst = append(dst, `"response":`...)
		dst = append(dst, r.Response...)
		dst = append(dst, ',')
	}
	dst = append(dst, `"jtype":"afb-reply","request":{"status":`...)
	dst = appendString(dst, r.Status)
	dst = appendMember(dst, "info", r.Info)
	switch d {
	case DialectV1:
		dst = appendMember(dst, "reqid", r.ReqID)
		dst = appendMember(dst, "token", r.Token)
		dst = appendMember(dst, "uuid", r.UUID)
	case DialectAGLFinal:
		dst = appendMember(dst, "reqid", r.ReqID)
	default:
		dst = appendMember(dst, "token", r.Token)
		dst = appendMember(dst, "uuid", r.UUID)
		dst = appendMember(dst, "reqid", r.ReqID)
	}
	return append(dst, '}', '}')
}

func appendMember(dst []byte, name, val string) []byte {
	if val == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendString(dst, val)
}

// ParseReply parses an afb-reply object of any dialect into r, replacing
// its contents. Members may come in any order; unknown members are
// skipped; a null optional member counts as absent. r.Response aliases b.
func ParseReply(b []byte, r *Reply) error {
	*r = Reply{}
	if !json.Valid(b) {
		return perr(ErrMalformedJSON, 0, "reply is not valid JSON")
	}
	var (
		jtype, request bool
		bad            string
	)
	ok := eachMember(b, func(key, val []byte) bool {
		switch {
		case keyIs(key, "response"):
			if isNull(val) {
				r.Response = nil
			} else {
				r.Response = val
			}
		case keyIs(key, "jtype"):
			s, _ := jsonString(val)
			jtype = s == "afb-reply"
		case keyIs(key, "request"):
			request = true
			bad = parseRequest(val, r)
		}
		return true
	})
	switch {
	case !ok:
		return perr(ErrMalformedJSON, 0, "reply is not a JSON object")
	case !jtype:
		return perr(ErrNotReply, 0, `jtype is not "afb-reply"`)
	case !request:
		return perr(ErrNotReply, 0, "no request member")
	case bad != "":
		return perr(ErrNotReply, 0, bad)
	}
	return nil
}

// parseRequest fills the request members; it returns what is wrong, or "".
func parseRequest(b []byte, r *Reply) (bad string) {
	hasStatus := false
	isObj := eachMember(b, func(key, val []byte) bool {
		var dst *string
		switch {
		case keyIs(key, "status"):
			s, ok := jsonString(val)
			if !ok || s == "" {
				bad = "request.status is not a non-empty string"
				return false
			}
			r.Status, hasStatus = s, true
			return true
		case keyIs(key, "info"):
			dst = &r.Info
		case keyIs(key, "token"):
			dst = &r.Token
		case keyIs(key, "uuid"):
			dst = &r.UUID
		case keyIs(key, "reqid"):
			dst = &r.ReqID
		case keyIs(key, "code"):
			n, err := strconv.Atoi(string(val))
			if err != nil {
				bad = "request.code is not an integer"
				return false
			}
			r.Code = n
			return true
		default:
			return true
		}
		s, ok := jsonString(val)
		if !ok {
			bad = "request." + string(key[1:len(key)-1]) + " is not a string"
			return false
		}
		*dst = s
		return true
	})
	switch {
	case !isObj:
		return "request is not an object"
	case bad != "":
		return bad
	case !hasStatus:
		return "request.status is missing"
	}
	return ""
}
