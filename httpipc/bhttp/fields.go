package bhttp

// Field is one field line. Names on the wire are lowercase (RFC 9113
// §8.2.1); values are kept byte for byte.
type Field struct {
	Name, Value string
}

// Fields is an ordered list of field lines. Order and repeated names are
// kept exactly, so that a decoded message re-encodes to the same bytes.
// A nil Fields is an empty section.
type Fields []Field

// Get returns the value of the first field named name (ASCII
// case-insensitively), or "" if there is none.
func (fs Fields) Get(name string) string {
	for _, f := range fs {
		if equalFoldASCII(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Values returns the values of every field named name (ASCII
// case-insensitively), in order.
func (fs Fields) Values(name string) []string {
	var vs []string
	for _, f := range fs {
		if equalFoldASCII(f.Name, name) {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// encodedLen is the size of fs as field lines on the wire.
func (fs Fields) encodedLen() int {
	n := 0
	for _, f := range fs {
		n += VarintLen(uint64(len(f.Name))) + len(f.Name) + VarintLen(uint64(len(f.Value))) + len(f.Value)
	}
	return n
}

func appendFieldLines(dst []byte, fs Fields) []byte {
	for _, f := range fs {
		dst = AppendVarint(dst, uint64(len(f.Name)))
		dst = append(dst, f.Name...)
		dst = AppendVarint(dst, uint64(len(f.Value)))
		dst = append(dst, f.Value...)
	}
	return dst
}

// appendSection appends fs as a known-length or indeterminate-length field
// section.
func appendSection(dst []byte, fs Fields, indeterminate bool) []byte {
	if indeterminate {
		return append(appendFieldLines(dst, fs), 0)
	}
	dst = AppendVarint(dst, uint64(fs.encodedLen()))
	return appendFieldLines(dst, fs)
}

type sectionKind uint8

const (
	headerSection sectionKind = iota
	trailerSection
	infoSection
)

func (k sectionKind) String() string {
	switch k {
	case trailerSection:
		return "trailer section"
	case infoSection:
		return "informational header section"
	}
	return "header section"
}

// lengthWhat names the length prefix of a known-length section of kind k
// (a constant: it is computed on the hot path).
func (k sectionKind) lengthWhat() string {
	switch k {
	case trailerSection:
		return "trailer section length"
	case infoSection:
		return "informational header section length"
	}
	return "header section length"
}

// fieldState tracks the pseudo-field ordering rule through one section.
type fieldState struct {
	kind       sectionKind
	sawRegular bool
}

// checkField applies the RFC 9292 §3.6 and §6 rules (by way of RFC 9113
// §8.2.1) to one field line. It returns the sentinel and whether the fault
// is in the value (rather than the name).
func checkField[T ~string | ~[]byte](st *fieldState, name, value T) (inValue bool, err error) {
	if len(name) == 0 {
		return false, ErrEmptyFieldName
	}
	body := name
	pseudo := name[0] == ':'
	if pseudo {
		body = name[1:]
		if len(body) == 0 {
			return false, ErrFieldName
		}
	}
	for i := 0; i < len(body); i++ {
		if !isLowerTchar(body[i]) {
			return false, ErrFieldName
		}
	}
	if pseudo {
		switch string(name) {
		case ":method", ":scheme", ":authority", ":path", ":status":
			return false, ErrReservedPseudoField
		}
		if st.kind == trailerSection {
			return false, ErrPseudoFieldInTrailer
		}
		if st.sawRegular {
			return false, ErrPseudoFieldOrder
		}
	} else {
		st.sawRegular = true
	}
	if !validValue(value) {
		return true, ErrFieldValue
	}
	return false, nil
}

// validValue reports whether v is a field value RFC 9113 §8.2.1 accepts: no
// NUL, CR or LF, and no leading or trailing SP or HTAB.
func validValue[T ~string | ~[]byte](v T) bool {
	if len(v) == 0 {
		return true
	}
	if isWS(v[0]) || isWS(v[len(v)-1]) {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == 0 || c == '\r' || c == '\n' {
			return false
		}
	}
	return true
}

func isWS(c byte) bool { return c == ' ' || c == '\t' }

// RFC 9110 §5.6.2 tchar, without the uppercase letters RFC 9113 §8.2.1
// forbids in field names.
var lowerTchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func isLowerTchar(c byte) bool { return lowerTchar[c] }

func isTchar(c byte) bool { return lowerTchar[c] || ('A' <= c && c <= 'Z') }

// validateFields checks fs for encoding, giving the same verdict the
// decoder gives on the encoded bytes (without limits).
func validateFields(fs Fields, kind sectionKind) error {
	st := fieldState{kind: kind}
	for _, f := range fs {
		if inValue, err := checkField(&st, f.Name, f.Value); err != nil {
			return newErr(err, fieldWhat(kind, f.Name, inValue), -1)
		}
	}
	return nil
}

func fieldWhat(kind sectionKind, name string, inValue bool) string {
	part := "field name"
	if inValue {
		part = "field value"
	}
	if len(name) > 64 {
		name = name[:64] + "…"
	}
	return kind.String() + " " + part + " " + quote(name)
}

func quote(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			const hex = "0123456789abcdef"
			b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
			continue
		}
		b = append(b, c)
	}
	return string(append(b, '"'))
}
