package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/appwire/appwire/limpwire"
)

// limpTool is "appwire limp": "limp call" (calls, from the command line
// or a script on stdin) and "limp upload" (chunked file upload, then the
// call).
func limpTool() *toolGroup {
	return &toolGroup{
		name: "limp",
		about: "LIMP tools. Each prints every reply as one JSON line. Exit status: 0 every reply was 200,\n" +
			"1 a reply was not, 2 usage, 3 the server could not be reached or refused the connection or the auth.",
		subs: []subcommand{
			{
				name: "call",
				args: "URL ENDPOINT | URL -",
				about: "Connects to a LIMP server (ws://HOST:PORT/ws), verifies with --app, signs in when --auth is\n" +
					"given, and makes one call. With - instead of ENDPOINT it reads a script from stdin, one call per\n" +
					"line: ENDPOINT [QUERY [DOC]], QUERY a JSON array and DOC a JSON object (blank lines and lines\n" +
					"starting with # are skipped); the calls run in order on one connection.",
				flags: limpCallFlags,
			},
			{
				name:  "upload",
				args:  "URL ENDPOINT FILE...",
				about: "Uploads the files in chunks under doc attribute --attr (progress on stderr), then makes the call.",
				flags: limpUploadFlags,
			},
		},
	}
}

func cmdLimp(ctx context.Context, c *cli, args []string) int { return limpTool().run(ctx, c, args) }

// limpConnFlags are the connection flags of every limp subcommand.
type limpConnFlags struct {
	app, auth, password, hashLevel, origin string
	timeout                                time.Duration
}

func (f *limpConnFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.app, "app", "", "the app id conn/verify sends")
	fs.StringVar(&f.auth, "auth", "", "sign in first as `ATTR:VALUE` (email:..., username:..., phone:...)")
	fs.StringVar(&f.password, "password", "", "the password for --auth")
	fs.StringVar(&f.hashLevel, "hash-level", "5.6", "the auth hash level: 5.6 or 5.0")
	fs.StringVar(&f.origin, "origin", "", "the Origin header (web client apps are checked against it)")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "timeout of each step")
}

// dial connects, verifies and signs in; it prints what went wrong and
// returns nil on failure.
func (f *limpConnFlags) dial(ctx context.Context, c *cli, url string, chunk int) *limpwire.Client {
	opts := limpwire.ClientOptions{App: f.app, Heartbeat: -1, ChunkSize: chunk}
	if f.hashLevel == "5.0" {
		opts.HashLevel = limpwire.HashLevel50
	}
	if f.origin != "" {
		opts.Header = map[string][]string{"Origin": {f.origin}}
	}
	if !strings.HasPrefix(url, "ws://") && !strings.HasPrefix(url, "wss://") {
		c.errorf("limp: %q: want a ws:// or wss:// URL, such as ws://127.0.0.1:8081/ws (appwire serve prints it)", url)
		return nil
	}
	dctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	cl, err := limpwire.Dial(dctx, url, opts)
	if err != nil {
		c.errorf("limp: %s: %v", url, err)
		return nil
	}
	if f.auth != "" {
		attr, val, _ := strings.Cut(f.auth, ":")
		if _, err := cl.Auth(dctx, attr, val, f.password); err != nil {
			c.errorf("limp: auth as %s: %v", f.auth, err)
			cl.Close()
			return nil
		}
	}
	return cl
}

func (f *limpConnFlags) check(usage func(string, ...any) int) int {
	if f.auth != "" && !strings.Contains(f.auth, ":") {
		return usage("--auth wants ATTR:VALUE, e.g. email:admin@example.com")
	}
	if f.hashLevel != "5.6" && f.hashLevel != "5.0" {
		return usage("--hash-level wants 5.6 or 5.0")
	}
	return -1
}

func limpCallFlags(fs *flag.FlagSet) func(context.Context, *cli, []string, func(string, ...any) int) int {
	var (
		conn       limpConnFlags
		query, doc string
	)
	conn.register(fs)
	fs.StringVar(&query, "query", "[]", "the query, a JSON array")
	fs.StringVar(&doc, "doc", "{}", "the doc, a JSON object")
	return func(ctx context.Context, c *cli, pos []string, usage func(string, ...any) int) int {
		switch {
		case len(pos) < 2:
			return usage("want URL and ENDPOINT (or - for a script on stdin)")
		case len(pos) > 2:
			return usage("unexpected argument %q after ENDPOINT", pos[2])
		}
		if st := conn.check(usage); st >= 0 {
			return st
		}
		type call struct {
			endpoint string
			query    []any
			doc      map[string]any
		}
		var calls []call
		if pos[1] == "-" {
			sc := bufio.NewScanner(c.stdin)
			sc.Buffer(make([]byte, 64<<10), limpwire.MaxFrameSize)
			for n := 1; sc.Scan(); n++ {
				line := strings.TrimSpace(sc.Text())
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				ep, rest, _ := strings.Cut(line, " ")
				q, d, err := limpScriptArgs(rest)
				if err != nil {
					return usage("stdin line %d: %v", n, err)
				}
				calls = append(calls, call{ep, q, d})
			}
			if err := sc.Err(); err != nil {
				c.errorf("limp call: reading stdin: %v", err)
				return exitProblem
			}
		} else {
			var q []any
			var d map[string]any
			if err := json.Unmarshal([]byte(query), &q); err != nil {
				return usage("--query is not a JSON array: %v", err)
			}
			if err := json.Unmarshal([]byte(doc), &d); err != nil || d == nil {
				return usage("--doc is not a JSON object")
			}
			calls = append(calls, call{pos[1], q, d})
		}
		cl := conn.dial(ctx, c, pos[0], 0)
		if cl == nil {
			return exitProblem
		}
		defer cl.Close()
		status := exitOK
		for _, k := range calls {
			cctx, cancel := context.WithTimeout(ctx, conn.timeout)
			r, err := cl.Call(cctx, k.endpoint, k.query, k.doc)
			cancel()
			if st := limpPrint(c, r, err); st != exitOK {
				if st == exitProblem {
					return st
				}
				status = st
			}
		}
		return status
	}
}

// limpScriptArgs parses "[QUERY [DOC]]" of a script line.
func limpScriptArgs(s string) ([]any, map[string]any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var q []any
	var doc map[string]any
	if err := d.Decode(&q); err != nil && err != io.EOF {
		return nil, nil, fmt.Errorf("QUERY is not a JSON array: %v", err)
	}
	if err := d.Decode(&doc); err != nil && err != io.EOF {
		return nil, nil, fmt.Errorf("DOC is not a JSON object: %v", err)
	}
	if d.More() {
		return nil, nil, errors.New("text after DOC")
	}
	return q, doc, nil
}

// limpPrint prints a reply as one JSON line and returns the exit status
// it stands for.
func limpPrint(c *cli, r *limpwire.Reply, err error) int {
	if r == nil {
		c.errorf("limp: %v", err)
		return exitProblem
	}
	b, _ := limpwire.AppendReply(nil, r)
	fmt.Fprintf(c.stdout, "%s\n", bytes.TrimSpace(b))
	if r.Status != 200 {
		return exitFailed
	}
	return exitOK
}

func limpUploadFlags(fs *flag.FlagSet) func(context.Context, *cli, []string, func(string, ...any) int) int {
	var (
		conn        limpConnFlags
		attr, doc   string
		chunk       int
		query       string
		maxFileSize int64
	)
	conn.register(fs)
	fs.StringVar(&attr, "attr", "files", "the doc attribute the files go under")
	fs.StringVar(&doc, "doc", "{}", "the rest of the doc, a JSON object")
	fs.StringVar(&query, "query", "[]", "the query, a JSON array")
	fs.IntVar(&chunk, "chunk", limpwire.DefaultChunkSize, "the chunk size in bytes")
	fs.Int64Var(&maxFileSize, "max-file-size", 64<<20, "refuse files larger than this many bytes")
	return func(ctx context.Context, c *cli, pos []string, usage func(string, ...any) int) int {
		if len(pos) < 3 {
			return usage("want URL, ENDPOINT and at least one FILE")
		}
		if st := conn.check(usage); st >= 0 {
			return st
		}
		var q []any
		var d map[string]any
		if err := json.Unmarshal([]byte(query), &q); err != nil {
			return usage("--query is not a JSON array: %v", err)
		}
		if err := json.Unmarshal([]byte(doc), &d); err != nil || d == nil {
			return usage("--doc is not a JSON object")
		}
		if chunk <= 0 || chunk > 1<<20 {
			return usage("--chunk wants 1 to 1048576 bytes (a chunk travels as about 4 characters a byte, under the 4 MiB frame limit)")
		}
		var files []limpwire.File
		for _, name := range pos[2:] {
			st, err := os.Stat(name)
			if err != nil {
				c.errorf("limp upload: %v", err)
				return exitProblem
			}
			if st.Size() > maxFileSize {
				c.errorf("limp upload: %s: %d bytes is over --max-file-size", name, st.Size())
				return exitProblem
			}
			b, err := os.ReadFile(name)
			if err != nil {
				c.errorf("limp upload: %v", err)
				return exitProblem
			}
			typ := mime.TypeByExtension(filepath.Ext(name))
			if typ == "" {
				typ = "application/octet-stream"
			}
			files = append(files, limpwire.File{Name: filepath.Base(name), Type: typ, LastModified: st.ModTime().UnixMilli(), Content: b})
		}
		cl := conn.dial(ctx, c, pos[0], chunk)
		if cl == nil {
			return exitProblem
		}
		defer cl.Close()
		uctx, cancel := context.WithTimeout(ctx, conn.timeout*time.Duration(len(files)))
		defer cancel()
		r, err := cl.Upload(uctx, pos[1], q, d, map[string][]limpwire.File{attr: files}, func(p limpwire.UploadProgress) {
			fmt.Fprintf(c.stderr, "%s[%d] %s: chunk %d/%d, %d of %d bytes\n", p.Attr, p.Index, files[p.Index].Name, p.Chunk, p.Total, p.Sent, p.Size)
		})
		return limpPrint(c, r, err)
	}
}
