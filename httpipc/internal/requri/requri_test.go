package requri

import (
	"net/url"
	"testing"
)

// Parse agrees with url.ParseRequestURI, fast path or not.
func TestParseMatchesParseRequestURI(t *testing.T) {
	for _, target := range []string{
		"/", "/hello.txt?lang=en", "//double", "/a;b=c/d:e@f", "/x?", "/x?a=1&b=%20",
		"/caf%C3%A9", "/a b", "/a\"b", "/a#frag", "/x?y#z", "/x?\x7f", "*", "", "relative",
		"/a%2Fb", "/{x}", "/|", "/~user/(1)*!$'", "/q?a=<b>",
		"http://host/abs", "/\x01",
	} {
		var got url.URL
		err := Parse(&got, target)
		want, werr := url.ParseRequestURI(target)
		if (err != nil) != (werr != nil) {
			t.Errorf("%q: error %v, ParseRequestURI %v", target, err, werr)
			continue
		}
		if err != nil {
			continue
		}
		if want.Host != "" || want.Scheme != "" {
			continue // absolute form: Parse is for origin form (callers keep their own host)
		}
		if got.Path != want.Path || got.RawPath != want.RawPath || got.RawQuery != want.RawQuery {
			t.Errorf("%q: Path %q RawPath %q RawQuery %q; ParseRequestURI %q %q %q",
				target, got.Path, got.RawPath, got.RawQuery, want.Path, want.RawPath, want.RawQuery)
		}
	}
}

func TestParseAllocs(t *testing.T) {
	var u url.URL
	if n := testing.AllocsPerRun(100, func() { Parse(&u, "/hello.txt?lang=en") }); n != 0 {
		t.Errorf("%v allocations for a simple target", n)
	}
}
