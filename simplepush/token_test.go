package simplepush

import (
	"errors"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	c, err := NewTokenCodec(NewTokenKey())
	if err != nil {
		t.Fatal(err)
	}
	u, ch := NewUAID(), NewChannelID()
	tok, err := c.Seal(u, ch)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(tok, u) || strings.Contains(tok, ch) || strings.Contains(tok, ch[:8]) {
		t.Fatalf("token %q shows its ids", tok)
	}
	gu, gc, err := c.Open(tok)
	if err != nil || gu != u || gc != ch {
		t.Fatalf("open: %q %q %v", gu, gc, err)
	}
	if tok2, _ := c.Seal(u, ch); tok2 == tok {
		t.Fatal("two seals gave the same token")
	}
	other, _ := NewTokenCodec(NewTokenKey())
	bad := []string{"", "x", u + "." + ch, tok[:len(tok)-1], strings.Repeat("A", 4096), tok + "A"}
	flipped := []byte(tok)
	flipped[len(flipped)/2] ^= 1
	bad = append(bad, string(flipped))
	for _, b := range bad {
		if _, _, err := c.Open(b); !errors.Is(err, ErrBadToken) {
			t.Errorf("Open(%.40q) = %v", b, err)
		}
	}
	if _, _, err := other.Open(tok); !errors.Is(err, ErrBadToken) {
		t.Error("a token opened under another key")
	}
	if _, err := c.Seal("not hex", ch); err == nil {
		t.Error("sealed a bad uaid")
	}
	if _, err := c.Seal(u, strings.Repeat("c", 65)); err == nil {
		t.Error("sealed an oversized channel ID")
	}
	if _, err := NewTokenCodec([]byte("short")); err == nil {
		t.Error("short key accepted")
	}
}

// FuzzTokenOpen: Open never panics and whatever it accepts seals back.
func FuzzTokenOpen(f *testing.F) {
	c, _ := NewTokenCodec(make([]byte, 32))
	tok, _ := c.Seal(NewUAID(), NewChannelID())
	f.Add(tok)
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		u, ch, err := c.Open(s)
		if err != nil {
			return
		}
		if _, err := c.Seal(u, ch); err != nil {
			t.Fatalf("opened %q but cannot seal it back: %v", s, err)
		}
	})
}
