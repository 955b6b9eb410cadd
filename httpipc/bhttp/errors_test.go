package bhttp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// isSentinel reports whether err is an *Error wrapping want.
func isSentinel(err, want error) bool {
	var e *Error
	return errors.As(err, &e) && errors.Is(err, want)
}

// cat joins message parts: "x:…" is hex, "s:…" is a length-prefixed string,
// anything else is literal bytes.
func cat(parts ...string) []byte {
	var b []byte
	for _, p := range parts {
		switch {
		case strings.HasPrefix(p, "x:"):
			h, err := hex.DecodeString(p[2:])
			if err != nil {
				panic(err)
			}
			b = append(b, h...)
		case strings.HasPrefix(p, "s:"):
			b = appendString(b, p[2:])
		default:
			b = append(b, p...)
		}
	}
	return b
}

// getReq is the control data of a valid GET request, after the framing.
var getReq = []string{"s:GET", "s:https", "s:", "s:/"}

func req(framing string, rest ...string) []byte {
	return cat(append(append([]string{framing}, getReq...), rest...)...)
}

func field(name, value string) string { return string(appendString(appendString(nil, name), value)) }

func section(fields ...string) string {
	s := strings.Join(fields, "")
	return string(AppendVarint(nil, uint64(len(s)))) + s
}

// TestDecodeErrors is the negative table: each invalid message gives exactly
// its sentinel, wrapped in *Error, from both DecodeXxx and the streaming
// readers.
func TestDecodeErrors(t *testing.T) {
	eleven := "x:" + strings.Repeat("406400", 11)
	tests := []struct {
		name     string
		response bool
		msg      []byte
		lim      Limits
		want     error
	}{
		{"framing 4", true, cat("x:04"), Limits{}, ErrFramingIndicator},
		{"framing 5", false, cat("x:05"), Limits{}, ErrFramingIndicator},
		{"request framing to response decoder", true, cat("x:0040c8"), Limits{}, ErrFramingIndicator},
		{"response framing to request decoder", false, cat("x:0140c8"), Limits{}, ErrFramingIndicator},
		{"empty", true, nil, Limits{}, ErrTruncated},
		{"no status", true, cat("x:01"), Limits{}, ErrTruncated},
		{"truncated varint", true, cat("x:0140"), Limits{}, ErrTruncated},
		{"no control data", false, cat("x:00"), Limits{}, ErrTruncated},
		{"truncated control data", false, cat("x:00", "s:GET", "x:05", "htt"), Limits{}, ErrTruncated},
		{"non-zero padding", true, cat("x:0140c800000001"), Limits{}, ErrNonZeroPadding},
		// The httpipc spec lists 0140c8000001 as non-zero padding, but its
		// last byte is the trailer section length (1), which is cut short.
		{"spec's 0140c8000001", true, cat("x:0140c8000001"), Limits{}, ErrTruncated},
		{"non-zero padding indeterminate", true, cat("x:0340c8000000000007"), Limits{}, ErrNonZeroPadding},
		{"zero name length", true, cat("x:0140c8020000"), Limits{}, ErrEmptyFieldName},
		{"field line overruns section", true, cat("x:0140c8", "x:03016101", "b"), Limits{}, ErrSectionOverrun},
		{"section longer than message", true, cat("x:0140c8", "x:040161"), Limits{}, ErrTruncated},
		{"truncated inside indeterminate field line", true, cat("x:0340c8", "x:0161"), Limits{}, ErrTruncated},
		{"truncated indeterminate section", true, cat("x:0340c8", field("a", "b")), Limits{}, ErrTruncated},
		{"content longer than message", true, cat("x:0140c800", "x:05", "ab"), Limits{}, ErrTruncated},
		{"truncated chunk", true, cat("x:0340c800", "x:05", "ab"), Limits{}, ErrTruncated},
		{"missing content terminator", true, cat("x:0340c800", "x:02", "ab"), Limits{}, ErrTruncated},
		{"status 99", true, cat("x:014063"), Limits{}, ErrStatus},
		{"status 600", true, cat("x:014258"), Limits{}, ErrStatus},
		{"status 0", true, cat("x:0100"), Limits{}, ErrStatus},
		{"only informational", true, cat("x:01406400"), Limits{}, ErrTruncated},
		{"uppercase name", true, cat("x:0140c8", section(field("A", "b"))), Limits{}, ErrFieldName},
		{"space in name", true, cat("x:0140c8", section(field("a b", "c"))), Limits{}, ErrFieldName},
		{"colon in name", true, cat("x:0140c8", section(field("a:b", "c"))), Limits{}, ErrFieldName},
		{"lone colon name", true, cat("x:0140c8", section(field(":", "c"))), Limits{}, ErrFieldName},
		{"LF in value (header injection)", true, cat("x:0140c8", section(field("x-a", "ok\nx-injected: yes"))), Limits{}, ErrFieldValue},
		{"CR in value", false, req("x:00", section(field("x-a", "a\rb"))), Limits{}, ErrFieldValue},
		{"NUL in value", false, req("x:02", field("x-a", "a\x00b"), "x:00"), Limits{}, ErrFieldValue},
		{"leading space in value", true, cat("x:0140c8", section(field("a", " b"))), Limits{}, ErrFieldValue},
		{"trailing tab in value", true, cat("x:0140c8", section(field("a", "b\t"))), Limits{}, ErrFieldValue},
		{":path field", false, req("x:00", section(field(":path", "/"))), Limits{}, ErrReservedPseudoField},
		{":status field", true, cat("x:0140c8", section(field(":status", "200"))), Limits{}, ErrReservedPseudoField},
		{"pseudo after regular", false, req("x:00", section(field("a", "b"), field(":protocol", "websocket"))), Limits{}, ErrPseudoFieldOrder},
		{"pseudo in trailer", true, cat("x:0140c80000", section(field(":x", "y"))), Limits{}, ErrPseudoFieldInTrailer},
		{"empty method", false, cat("x:00", "s:", "s:https", "s:", "s:/"), Limits{}, ErrMethod},
		{"method with space", false, cat("x:00", "s:G T", "s:https", "s:", "s:/"), Limits{}, ErrMethod},
		{"scheme starts with digit", false, cat("x:00", "s:GET", "s:1x", "s:", "s:/"), Limits{}, ErrScheme},
		{"empty scheme", false, cat("x:00", "s:GET", "s:", "s:", "s:/"), Limits{}, ErrScheme},
		{"slash in authority", false, cat("x:00", "s:GET", "s:https", "s:a/b", "s:/"), Limits{}, ErrAuthority},
		{"userinfo in https authority", false, cat("x:00", "s:GET", "s:https", "s:u@h", "s:/"), Limits{}, ErrAuthority},
		{"CRLF in authority", false, cat("x:00", "s:GET", "s:https", "s:h\r\nx: y", "s:/"), Limits{}, ErrAuthority},
		{"empty path", false, cat("x:00", "s:GET", "s:https", "s:", "s:"), Limits{}, ErrPath},
		{"relative https path", false, cat("x:00", "s:GET", "s:https", "s:", "s:a"), Limits{}, ErrPath},
		{"space in path", false, cat("x:00", "s:GET", "s:https", "s:", "s:/a b"), Limits{}, ErrPath},
		{"fragment in path", false, cat("x:00", "s:GET", "s:https", "s:", "s:/a#b"), Limits{}, ErrPath},

		// Limits (§3.5 of the httpipc spec); each also matches ErrLimit.
		{"section size known", true, cat("x:0140c8", section(field("ab", "cd"))), Limits{MaxFieldSectionSize: 5}, ErrFieldSectionTooLarge},
		{"section size indeterminate", true, cat("x:0340c8", field("ab", "cd"), "x:00"), Limits{MaxFieldSectionSize: 5}, ErrFieldSectionTooLarge},
		{"section length 2^62-1 (no allocation)", true, cat("x:0140c8", "x:ffffffffffffffff"), Limits{}, ErrFieldSectionTooLarge},
		{"too many fields known", true, cat("x:0140c8", section(field("a", "1"), field("b", "2"))), Limits{MaxFields: 1}, ErrTooManyFields},
		{"too many fields indeterminate", true, cat("x:0340c8", field("a", "1"), field("b", "2"), "x:00"), Limits{MaxFields: 1}, ErrTooManyFields},
		{"name too long", true, cat("x:0140c8", section(field("abc", "1"))), Limits{MaxFieldLength: 2}, ErrFieldTooLong},
		{"value too long", true, cat("x:0340c8", field("a", "123"), "x:00"), Limits{MaxFieldLength: 2}, ErrFieldTooLong},
		{"method too long", false, cat("x:00", "s:GETX"), Limits{MaxFieldLength: 3}, ErrFieldTooLong},
		{"path length 2^62-1 (no allocation)", false, cat("x:00", "s:GET", "s:https", "s:", "x:ffffffffffffffff"), Limits{}, ErrFieldTooLong},
		{"content too large known", true, cat("x:0140c800", "s:abcd"), Limits{MaxBodySize: 3, MaxStreamBodySize: 3}, ErrBodyTooLarge},
		{"content too large chunked", true, cat("x:0340c800", "s:ab", "s:cd", "x:00"), Limits{MaxBodySize: 3, MaxStreamBodySize: 3}, ErrBodyTooLarge},
		{"content length 2^62-1 (no allocation)", true, cat("x:0140c800", "x:ffffffffffffffff"), Limits{MaxStreamBodySize: DefaultMaxBodySize}, ErrBodyTooLarge},
		{"too many informational", true, cat("x:01", "x:406400", "x:406400", "x:40c8"), Limits{MaxInformational: 1}, ErrTooManyInformational},
		{"too many informational default", true, cat("x:01", eleven, "x:40c8"), Limits{}, ErrTooManyInformational},
		{"padding too long", true, cat("x:0140c8000000", "x:000000"), Limits{MaxPadding: 2}, ErrPaddingTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err, serr error
			if tt.response {
				_, err = DecodeResponse(tt.msg, tt.lim)
				_, serr = streamResponse(tt.msg, tt.lim)
			} else {
				_, err = DecodeRequest(tt.msg, tt.lim)
				_, serr = streamRequest(tt.msg, tt.lim)
			}
			if !isSentinel(err, tt.want) {
				t.Errorf("Decode: err = %v, want %v", err, tt.want)
			}
			if !isSentinel(serr, tt.want) {
				t.Errorf("stream: err = %v, want %v", serr, tt.want)
			}
			var le *limitError
			if isLimit := errors.As(tt.want, &le); errors.Is(err, ErrLimit) != isLimit {
				t.Errorf("errors.Is(err, ErrLimit) = %v, want %v", !isLimit, isLimit)
			}
		})
	}
}

// TestDecodeValidEdges are the messages next to the negative table that
// must be accepted.
func TestDecodeValidEdges(t *testing.T) {
	for name, msg := range map[string][]byte{
		"non-minimal varints (RFC 9000 §16)": cat("x:01", "x:800000c8", "x:4000", "x:c000000000000000"),
		"CONNECT with empty scheme and path": cat("x:00", "s:CONNECT", "s:", "s:example.com:443", "s:"),
		"OPTIONS *":                          cat("x:00", "s:OPTIONS", "s:https", "s:h", "s:*"),
		"pseudo-field before regular":        req("x:00", section(field(":protocol", "websocket"), field("a", "b"))),
		"value with inner spaces and 0x7f":   req("x:00", section(field("a", "b \x7f c"))),
		"empty value":                        req("x:00", section(field("a", ""))),
		"truncated after control data":       req("x:02"),
		"status 599 then padding":            cat("x:01425700000000"),
		"informational 100 and 199":          cat("x:03", "x:406400", "x:40c700", "x:40c8"),
	} {
		var err, serr error
		if msg[0]&1 == 1 {
			_, err = DecodeResponse(msg, Limits{})
			_, serr = streamResponse(msg, Limits{})
		} else {
			_, err = DecodeRequest(msg, Limits{})
			_, serr = streamRequest(msg, Limits{})
		}
		if err != nil || serr != nil {
			t.Errorf("%s: %v / stream %v", name, err, serr)
		}
	}
}

// TestErrorDetail checks the offset and text of a typed error.
func TestErrorDetail(t *testing.T) {
	msg := cat("x:0140c8", section(field("x-a", "ok\nx-injected: yes")))
	_, err := DecodeResponse(msg, Limits{})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err %T %v", err, err)
	}
	if want := int64(bytes.Index(msg, []byte("ok\n"))); e.Offset != want {
		t.Errorf("offset %d, want %d", e.Offset, want)
	}
	if got, want := err.Error(), `bhttp: header section field value "x-a": invalid field value at offset 9`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestEncodeErrors: the encoder refuses what the decoder would reject, so
// it can never produce an invalid message.
func TestEncodeErrors(t *testing.T) {
	ok := Request{Method: "GET", Scheme: "https", Path: "/"}
	tests := []struct {
		name string
		req  *Request
		resp *Response
		want error
	}{
		{"LF in value", &Request{Method: "GET", Scheme: "https", Path: "/", Header: Fields{{"x-a", "ok\nx-injected: yes"}}}, nil, ErrFieldValue},
		{"uppercase name", &Request{Method: "GET", Scheme: "https", Path: "/", Header: Fields{{"X-A", "b"}}}, nil, ErrFieldName},
		{"empty name", &Request{Method: "GET", Scheme: "https", Path: "/", Trailer: Fields{{"", "b"}}}, nil, ErrEmptyFieldName},
		{"pseudo in trailer", &Request{Method: "GET", Scheme: "https", Path: "/", Trailer: Fields{{":a", "b"}}}, nil, ErrPseudoFieldInTrailer},
		{"bad method", &Request{Method: "GE T", Scheme: "https", Path: "/"}, nil, ErrMethod},
		{"CR in path", &Request{Method: "GET", Scheme: "https", Path: "/\r"}, nil, ErrPath},
		{"status 99", nil, &Response{Status: 99}, ErrStatus},
		{"final 1xx", nil, &Response{Status: 101}, ErrStatus},
		{"informational 200", nil, &Response{Status: 200, Informational: []InfoResponse{{Status: 200}}}, ErrStatus},
		{"reserved pseudo in 1xx", nil, &Response{Status: 200, Informational: []InfoResponse{{Status: 103, Header: Fields{{":status", "103"}}}}}, ErrReservedPseudoField},
	}
	for _, tt := range tests {
		var out []byte
		var err error
		dst := []byte("keep")
		if tt.req != nil {
			out, err = AppendRequest(dst, tt.req)
		} else {
			out, err = AppendResponse(dst, tt.resp)
		}
		if !isSentinel(err, tt.want) || string(out) != "keep" {
			t.Errorf("%s: %q, %v; want dst unchanged, %v", tt.name, out, err, tt.want)
		}
		// Validate reports the same error without encoding.
		if tt.req != nil {
			err = tt.req.Validate()
		} else {
			err = tt.resp.Validate()
		}
		if !isSentinel(err, tt.want) {
			t.Errorf("%s: Validate = %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := AppendRequest(nil, &ok); err != nil || ok.Validate() != nil {
		t.Errorf("valid request: %v, %v", err, ok.Validate())
	}
}
