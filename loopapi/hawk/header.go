package hawk

import (
	"regexp"
	"strings"
)

// MaxHeaderLen bounds an Authorization, Server-Authorization or
// WWW-Authenticate value, as the hawk library does (4096 bytes): longer
// values are rejected before any parsing.
const MaxHeaderLen = 4096

// Header is a parsed Hawk Authorization header. Every value is kept as the
// client sent it (TS included), since the MAC covers those exact bytes.
type Header struct {
	ID    string
	TS    string
	Nonce string
	Hash  string // optional payload hash
	Ext   string // optional application data
	MAC   string
	App   string // optional (Oz)
	Dlg   string // optional (Oz), only with App
}

// requestKeys are the attributes an Authorization header may carry.
var requestKeys = []string{"id", "ts", "nonce", "hash", "ext", "mac", "app", "dlg"}

// responseKeys are those of a Server-Authorization header.
var responseKeys = []string{"mac", "ext", "hash"}

// challengeKeys are those of a WWW-Authenticate challenge.
var challengeKeys = []string{"ts", "tsm", "error"}

// ParseHeader parses an Authorization header value strictly, as the hawk
// library does: scheme "Hawk" (any case), then attributes name="value"
// separated by commas, each name known and given once, each value made of
// the characters the library allows. Errors are *Error values that Is
// ErrMissingAuthorization (empty value or another scheme) or ErrBadHeader
// (400: too long, bad syntax, unknown or duplicate attribute, bad value).
// Required attributes are not checked here (see Server).
func ParseHeader(s string) (Header, error) {
	var h Header
	err := parseAttributes(s, requestKeys, func(name, value string) {
		switch name {
		case "id":
			h.ID = value
		case "ts":
			h.TS = value
		case "nonce":
			h.Nonce = value
		case "hash":
			h.Hash = value
		case "ext":
			h.Ext = value
		case "mac":
			h.MAC = value
		case "app":
			h.App = value
		case "dlg":
			h.Dlg = value
		}
	})
	if err != nil {
		return Header{}, err
	}
	return h, nil
}

// String writes h as the hawk client does: id, ts, nonce, then hash and ext
// when set, mac, then app and dlg when set. It does not check the values:
// a value with a character outside the allowed set gives a header that
// ParseHeader rejects (see Header.Valid).
func (h Header) String() string {
	var b strings.Builder
	b.Grow(48 + len(h.ID) + len(h.TS) + len(h.Nonce) + len(h.Hash) + len(h.Ext) + len(h.MAC) + len(h.App) + len(h.Dlg))
	b.WriteString(`Hawk id="`)
	b.WriteString(h.ID)
	b.WriteString(`", ts="`)
	b.WriteString(h.TS)
	b.WriteString(`", nonce="`)
	b.WriteString(h.Nonce)
	if h.Hash != "" {
		b.WriteString(`", hash="`)
		b.WriteString(h.Hash)
	}
	if h.Ext != "" {
		b.WriteString(`", ext="`)
		b.WriteString(h.Ext)
	}
	b.WriteString(`", mac="`)
	b.WriteString(h.MAC)
	b.WriteByte('"')
	if h.App != "" {
		b.WriteString(`, app="`)
		b.WriteString(h.App)
		if h.Dlg != "" {
			b.WriteString(`", dlg="`)
			b.WriteString(h.Dlg)
		}
		b.WriteByte('"')
	}
	return b.String()
}

// Valid reports whether every value of h is made of allowed characters and
// h.Dlg is set only with h.App, i.e. whether ParseHeader(h.String())
// returns h (given the required attributes are non-empty).
func (h Header) Valid() bool {
	for _, v := range [...]string{h.ID, h.TS, h.Nonce, h.MAC} {
		if v == "" || !validValue(v) {
			return false
		}
	}
	for _, v := range [...]string{h.Hash, h.Ext, h.App, h.Dlg} {
		if v != "" && !validValue(v) {
			return false
		}
	}
	return h.Dlg == "" || h.App != ""
}

// ServerAuthorization is a parsed Server-Authorization header.
type ServerAuthorization struct {
	MAC  string
	Hash string
	Ext  string
}

// ParseServerAuthorization parses a Server-Authorization value (attributes
// mac, hash, ext) with the rules of ParseHeader.
func ParseServerAuthorization(s string) (ServerAuthorization, error) {
	var a ServerAuthorization
	err := parseAttributes(s, responseKeys, func(name, value string) {
		switch name {
		case "mac":
			a.MAC = value
		case "hash":
			a.Hash = value
		case "ext":
			a.Ext = value
		}
	})
	return a, err
}

// String writes a as the hawk server does.
func (a ServerAuthorization) String() string {
	s := `Hawk mac="` + a.MAC + `"`
	if a.Hash != "" {
		s += `, hash="` + a.Hash + `"`
	}
	if a.Ext != "" {
		s += `, ext="` + escapeAttribute(a.Ext) + `"`
	}
	return s
}

// parseAttributes is the hawk library's parseAuthorizationHeader: the value
// must be "<scheme> <attributes>" with scheme Hawk (case-insensitive);
// attributes are consumed in order, each `name="value"`, followed by spaces
// and a comma or the end. Each name must be in keys, each value must match
// the allowed character set, and no name may repeat. The library reports
// the last attribute error it met; so does this function. The fast path
// is a single forward scan; a malformed value falls back to the library's
// own regular expression so that the message is exactly upstream's.
func parseAttributes(s string, keys []string, set func(name, value string)) error {
	if s == "" {
		return ErrMissingAuthorization
	}
	if len(s) > MaxHeaderLen {
		return newErr(ErrBadHeader, "Header length too long")
	}
	// ^(\w+)(?:\s+(.*))?$ with "." excluding line terminators.
	i := 0
	for i < len(s) && isWord(s[i]) {
		i++
	}
	if i == 0 {
		return newErr(ErrBadHeader, "Invalid header syntax")
	}
	scheme := s[:i]
	rest := ""
	if i < len(s) {
		if !isSpace(s[i]) {
			return newErr(ErrBadHeader, "Invalid header syntax")
		}
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		rest = s[i:]
		if strings.IndexByte(rest, '\n') >= 0 || strings.IndexByte(rest, '\r') >= 0 {
			return newErr(ErrBadHeader, "Invalid header syntax")
		}
	}
	if !strings.EqualFold(scheme, "hawk") {
		return ErrMissingAuthorization
	}
	if rest == "" {
		return newErr(ErrBadHeader, "Invalid header syntax")
	}

	var seen [8]bool // indexed like keys
	var errMsg string
	p := 0
	for p < len(rest) {
		// (\w+)="([^"\\]*)"\s*(?:,\s*|$)
		q := p
		for q < len(rest) && isWord(rest[q]) {
			q++
		}
		if q == p || q+1 >= len(rest) || rest[q] != '=' || rest[q+1] != '"' {
			return regexpParse(rest, keys)
		}
		name := rest[p:q]
		v0 := q + 2
		v1 := v0
		for v1 < len(rest) && rest[v1] != '"' && rest[v1] != '\\' {
			v1++
		}
		if v1 >= len(rest) || rest[v1] != '"' {
			return regexpParse(rest, keys)
		}
		value := rest[v0:v1]
		r := v1 + 1
		for r < len(rest) && isSpace(rest[r]) {
			r++
		}
		if r < len(rest) {
			if rest[r] != ',' {
				return regexpParse(rest, keys)
			}
			r++
			for r < len(rest) && isSpace(rest[r]) {
				r++
			}
		}
		p = r

		k := indexOf(keys, name)
		switch {
		case k < 0:
			errMsg = "Unknown attribute: " + name
		case !validValue(value):
			errMsg = "Bad attribute value: " + name
		case seen[k]:
			errMsg = "Duplicate attribute: " + name
		default:
			seen[k] = true
			set(name, value)
		}
	}
	if errMsg != "" {
		return newErr(ErrBadHeader, errMsg)
	}
	return nil
}

// attributeRE is the hawk library's attribute expression; it only runs on
// malformed input (bounded by MaxHeaderLen; RE2 runs in linear time) to
// give the message the library would.
var attributeRE = regexp.MustCompile(`(\w+)="([^"\\]*)"[ \t\n\v\f\r]*(?:,[ \t\n\v\f\r]*|$)`)

func regexpParse(rest string, keys []string) error {
	var errMsg string
	seen := map[string]bool{}
	for _, m := range attributeRE.FindAllStringSubmatch(rest, -1) {
		name, value := m[1], m[2]
		switch {
		case indexOf(keys, name) < 0:
			errMsg = "Unknown attribute: " + name
		case !validValue(value):
			errMsg = "Bad attribute value: " + name
		case seen[name]:
			errMsg = "Duplicate attribute: " + name
		default:
			seen[name] = true
		}
	}
	if errMsg == "" {
		errMsg = "Bad header format"
	}
	return newErr(ErrBadHeader, errMsg)
}

func indexOf(keys []string, name string) int {
	for i, k := range keys {
		if k == name {
			return i
		}
	}
	return -1
}

func isWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// isSpace is ASCII whitespace (JavaScript's \s also takes Unicode spaces,
// which a Go HTTP header carries only as UTF-8 bytes; they are rejected).
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// valueChars is the hawk attribute value set: space, letters, digits and
// !#$%&'()*+,-./:;<=>?@[]^_`{|}~ (no quote, no backslash).
var valueChars = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range " !#$%&'()*+,-./:;<=>?@[]^_`{|}~" {
		t[c] = true
	}
	return t
}()

// validValue reports whether v is a non-empty run of allowed characters.
func validValue(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if !valueChars[v[i]] {
			return false
		}
	}
	return true
}
