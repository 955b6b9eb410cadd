package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strings"
	"time"
)

type headerFlag []string

func (h *headerFlag) String() string     { return strings.Join(*h, "; ") }
func (h *headerFlag) Set(s string) error { *h = append(*h, s); return nil }

// ipcCall implements "appwire ipc call": one request over httpipc, like
// curl over the unix socket.
func ipcCallFlags(fs *flag.FlagSet) func(context.Context, *cli, []string, func(string, ...any) int) int {
	var (
		target  ipcTarget
		headers headerFlag
		include bool
		timeout time.Duration
	)
	target.flags(fs)
	fs.Var(&headers, "H", "request header `'Name: value'` (repeatable)")
	fs.BoolVar(&include, "i", false, "print the status line and response header before the body")
	fs.DurationVar(&timeout, "timeout", 30*time.Second, "timeout of the whole call")
	return func(ctx context.Context, c *cli, pos []string, usage func(string, ...any) int) int {
		switch {
		case len(pos) == 0:
			return usage("missing METHOD and URL (e.g. GET /api/me)")
		case len(pos) == 1:
			return usage("missing URL after METHOD %s", pos[0])
		case len(pos) > 3:
			return usage("unexpected argument %q after BODY", pos[3])
		}
		method, rawURL, body := pos[0], pos[1], ""
		if len(pos) == 3 {
			body = pos[2]
		}
		if !strings.Contains(rawURL, "://") {
			rawURL = "http://ipc.localhost" + rawURL // "/api/me" is enough
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
		if err != nil {
			c.errorf("ipc call: %v", err)
			return exitUsage
		}
		for _, h := range headers {
			k, v, ok := strings.Cut(h, ":")
			if !ok || strings.TrimSpace(k) == "" {
				c.errorf("ipc call: -H %q: want 'Name: value'", h)
				return exitUsage
			}
			req.Header.Add(textproto.TrimString(k), textproto.TrimString(v))
		}
		if body != "" && req.Header.Get("Content-Type") == "" {
			req.Header.Set("Content-Type", guessContentType(body))
		}
		tr, closeTr, err := target.transport()
		if err != nil {
			c.errorf("ipc call: %v", err)
			return exitUsage
		}
		defer closeTr()
		resp, err := (&http.Client{
			Transport:     tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}).Do(req)
		if err != nil {
			c.errorf("ipc call: %v", err)
			return exitProblem
		}
		defer resp.Body.Close()
		if include {
			fmt.Fprintf(c.stdout, "HTTP/1.1 %s\r\n", resp.Status)
			resp.Header.Write(c.stdout)
			fmt.Fprint(c.stdout, "\r\n")
		}
		if _, err := io.Copy(c.stdout, resp.Body); err != nil {
			c.errorf("ipc call: reading the body: %v", err)
			return exitProblem
		}
		if resp.StatusCode >= 400 {
			return exitFailed
		}
		return exitOK
	}
}

// guessContentType: JSON for a body that looks like JSON, else a form,
// like curl -d.
func guessContentType(body string) string {
	if b := strings.TrimSpace(body); strings.HasPrefix(b, "{") || strings.HasPrefix(b, "[") {
		return "application/json"
	}
	return "application/x-www-form-urlencoded"
}
