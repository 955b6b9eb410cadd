// Package requri fills a url.URL from a request target in origin form
// ("/path?query") the way url.ParseRequestURI does, without its
// allocations for the common case.
package requri

import "net/url"

// Parse sets u's Path, RawPath and RawQuery from target as
// url.ParseRequestURI would, and returns its error if it fails. A target
// made only of characters a path never escapes (and a query of visible
// ASCII) is split in place; anything else goes through
// url.ParseRequestURI.
func Parse(u *url.URL, target string) error {
	if q, ok := simple(target); ok {
		u.Path, u.RawPath, u.RawQuery = target[:q], "", ""
		if q < len(target) {
			u.RawQuery = target[q+1:]
		}
		return nil
	}
	pu, err := url.ParseRequestURI(target)
	if err != nil {
		return err
	}
	u.Path, u.RawPath, u.RawQuery = pu.Path, pu.RawPath, pu.RawQuery
	return nil
}

// simple reports whether target is "/" followed by path characters that
// need no escaping and no unescaping, and optionally "?" and a query of
// visible ASCII without '#'; q is the index of '?' or len(target).
func simple(target string) (q int, ok bool) {
	if target == "" || target[0] != '/' {
		return 0, false
	}
	q = len(target)
	for i := 0; i < len(target); i++ {
		c := target[i]
		if q == len(target) {
			if c == '?' {
				q = i
				continue
			}
			if !pathSafe[c] {
				return 0, false
			}
			continue
		}
		if c <= ' ' || c >= 0x7f || c == '#' {
			return 0, false
		}
	}
	return q, true
}

// pathSafe: the bytes url's path escaping leaves alone (RFC 3986
// unreserved and the delimiters it keeps: $&+,;=:@/), so that Path and
// the target agree and RawPath stays empty.
var pathSafe = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-._~$&+,;=:@/" {
		t[c] = true
	}
	return t
}()
