package bhttp

// Request control data rules: RFC 9292 §3.4 defers to RFC 9113 §8.3.1 for
// :method, :scheme, :authority and :path. Only CONNECT may leave scheme and
// path empty; authority may always be empty (RFC 9292 encodes an omitted
// :authority as zero length).

func checkControl[T ~string | ~[]byte](method, scheme, authority, path T) (what string, err error) {
	if len(method) == 0 {
		return "method", ErrMethod
	}
	for i := 0; i < len(method); i++ {
		if !isTchar(method[i]) {
			return "method", ErrMethod
		}
	}
	connect := string(method) == "CONNECT"
	if len(scheme) == 0 {
		if !connect {
			return "scheme", ErrScheme
		}
	} else {
		if !isAlpha(scheme[0]) {
			return "scheme", ErrScheme
		}
		for i := 1; i < len(scheme); i++ {
			if c := scheme[i]; !isAlpha(c) && !('0' <= c && c <= '9') && c != '+' && c != '-' && c != '.' {
				return "scheme", ErrScheme
			}
		}
	}
	web := string(scheme) == "http" || string(scheme) == "https"
	for i := 0; i < len(authority); i++ {
		c := authority[i]
		if !isVisibleASCII(c) || c == '/' || c == '?' || c == '#' || (web && c == '@') {
			return "authority", ErrAuthority
		}
	}
	if len(path) == 0 {
		if !connect {
			return "path", ErrPath
		}
	} else if web && path[0] != '/' && string(path) != "*" {
		return "path", ErrPath
	}
	for i := 0; i < len(path); i++ {
		if c := path[i]; !isVisibleASCII(c) || c == '#' {
			return "path", ErrPath
		}
	}
	return "", nil
}

func isAlpha(c byte) bool         { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isVisibleASCII(c byte) bool  { return 0x21 <= c && c <= 0x7e }
func isFinalStatus(s uint64) bool { return 200 <= s && s <= 599 }
func isInfoStatus(s uint64) bool  { return 100 <= s && s <= 199 }
