package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/appwire/appwire/simplepush"
)

// TestCommandLinesRun runs every command line of README.md's shell code
// blocks and every example "appwire serve" prints, as printed, so that no
// line a newcomer pastes can rot. The test
//
//   - builds the CLI once and runs it where a line says "go run ./cmd/appwire";
//   - starts "appwire serve" on free ports and fills the placeholders:
//     serve's default addresses (127.0.0.1:1234, :1235, ...) become the
//     addresses it really got, URL becomes the URL of the protocol the line
//     is about (conform/fuzz PROTOCOL, or the protocol whose tool it runs),
//     ENDPOINT a live SimplePush endpoint (placeholders below);
//   - runs each line with bash in a fresh directory, with the variables
//     earlier lines of the same block assigned (NAME=$(...));
//   - treats a line that is still running after its time (servers,
//     listeners) as a server, "in another terminal": it runs on while the
//     rest of its block runs, then gets Ctrl-C and must exit 0;
//   - fills a placeholder no filler knows from what an earlier line of the
//     block printed: CALL_URL from a line "call-url VALUE";
//   - adds --listen 127.0.0.1:0 to a serve line that has no --listen;
//   - skips "bash .ci/run", which runs this test.
//
// Lines known to fail are listed in knownBroken with the reason; such a
// line must still fail (so the entry goes when the line is fixed).
func TestCommandLinesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every README and serve line (about a minute); not with -short")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("curl is missing and CI is set")
		}
		t.Skip("curl is missing: the README's curl lines cannot run")
	}
	bin := buildCLI(t)
	srv := startServeProcess(t, bin)
	env := &lineEnv{bin: bin, srv: srv, root: repoView(t)}

	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks [][]string
	blocks = append(blocks, shellBlocks(string(readme))...)
	for _, p := range srv.order {
		blocks = append(blocks, srv.examples[p])
	}
	seen := map[string]bool{}
	for _, block := range blocks {
		var assigns []string
		b := &blockRun{}
		for _, line := range block {
			if strings.HasPrefix(strings.TrimSpace(line), "#") || line == "" {
				continue
			}
			if isAssignment(line) {
				assigns = append(assigns, env.fill(t, line, b))
			}
			if seen[line] {
				continue
			}
			seen[line] = true
			name := line
			if len(name) > 60 {
				name = name[:60]
			}
			t.Run(name, func(t *testing.T) {
				if strings.Contains(line, ".ci/run") {
					t.Skip("runs the whole CI, this test included")
				}
				filled := env.fill(t, line, b)
				reason, broken := brokenReason(line)
				if w := leftoverPlaceholder(filled); w != "" {
					if broken {
						t.Logf("known broken (%s): placeholder %s", reason, w)
						return
					}
					t.Fatalf("placeholder %s has no filler: add one to linePlaceholders, or print \"%s VALUE\" from an earlier line of the block\nline: %s",
						w, placeholderKey(w), line)
				}
				res := env.runLine(t, strings.Join(append(assigns[:len(assigns):len(assigns)], filled), "\n"), b, line)
				switch {
				case res.server:
					t.Logf("a server: runs until the end of its block, then gets Ctrl-C")
				case broken && res.ok():
					t.Errorf("listed in knownBroken (%s) but it works now: remove the entry", reason)
				case broken:
					t.Logf("known broken (%s): %s", reason, res)
				case !res.ok():
					t.Errorf("%s\nran: %s\n%s", res, filled, res.output)
				}
			})
		}
		b.stop(t)
	}
}

// blockRun is the state of one block's lines: the output of every line
// run so far (later lines' placeholders may come from it) and the lines
// still running as servers.
type blockRun struct {
	outputs []*lockedBuffer
	servers []*serverLine
}

// serverLine is a line still running at its deadline: a server or a
// listener, as "in another terminal".
type serverLine struct {
	line string
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan error
}

// stop sends Ctrl-C to the block's servers; each must exit 0.
func (b *blockRun) stop(t *testing.T) {
	t.Helper()
	for _, s := range b.servers {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGINT)
	}
	for _, s := range b.servers {
		code := 0
		select {
		case err := <-s.done:
			code = exitCode(err)
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			code = exitCode(<-s.done)
			s.out.Write([]byte("\n(killed: did not stop 20 s after Ctrl-C)"))
		}
		reason, broken := brokenReason(s.line)
		switch {
		case code == 0 && broken:
			t.Errorf("listed in knownBroken (%s) but it works now: remove the entry\nline: %s", reason, s.line)
		case code != 0 && !broken:
			t.Errorf("a server line: exit %d after Ctrl-C\nline: %s\n%s", code, s.line, s.out.String())
		}
	}
	b.servers = nil
}

// lookup returns the value an earlier line of the block printed for the
// placeholder word: the first field after "word " at the start of a line,
// the word lower-cased with - for _ (CALL_URL from "call-url http://...").
func (b *blockRun) lookup(word string) string {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(placeholderKey(word)) + ` (\S+)`)
	for _, o := range b.outputs {
		if m := re.FindStringSubmatch(o.String()); m != nil {
			return m[1]
		}
	}
	return ""
}

func placeholderKey(word string) string {
	return strings.ReplaceAll(strings.ToLower(word), "_", "-")
}

// lockedBuffer is a bytes.Buffer a running process writes while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// knownBroken lists lines that fail today, with why: a key matches every
// line that contains it. The README is the coordinator's; an entry goes
// when its line is fixed (the test fails when a listed line works).
var knownBroken = map[string]string{}

func brokenReason(line string) (string, bool) {
	for k, why := range knownBroken {
		if strings.Contains(line, k) {
			return why, true
		}
	}
	return "", false
}

// linePlaceholders fill the words of printed lines that stand for a value
// the reader supplies. A protocol whose printed lines use another word
// adds its filler here (or from its own _test.go, in an init function).
var linePlaceholders = map[string]func(t *testing.T, e *lineEnv) string{
	// ENDPOINT: a live SimplePush endpoint, of a user agent connected
	// until the test ends.
	"ENDPOINT": func(t *testing.T, e *lineEnv) string {
		if e.endpoint == "" {
			e.endpoint = liveEndpoint(t, e.srv.urls["simplepush"])
		}
		return e.endpoint
	},
}

// leftoverPlaceholder returns a shell word of the filled line that looks
// like a placeholder and was not filled: upper case (TOKEN, CALL_URL),
// unquoted, standing alone, and not the value of a flag (--token HELLO).
func leftoverPlaceholder(line string) string {
	words := unquotedWords(line)
	for i, w := range words {
		if !regexp.MustCompile(`^[A-Z][A-Z0-9_]{2,}$`).MatchString(w) {
			continue
		}
		if i > 0 && strings.HasPrefix(words[i-1], "-") {
			continue // a flag's value
		}
		switch w {
		case "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS":
			continue // HTTP methods, as ipc call and curl -X take them
		}
		return w
	}
	return ""
}

// unquotedWords splits a shell line into words, leaving out every word
// that is quoted in whole or in part, and stops at a comment.
func unquotedWords(line string) []string {
	var (
		words        []string
		cur          strings.Builder
		quote        rune
		quoted, any_ bool
	)
	flush := func() {
		if any_ && !quoted {
			words = append(words, cur.String())
		}
		cur.Reset()
		quoted, any_ = false, false
	}
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote, quoted, any_ = r, true, true
		case r == '#' && !any_:
			flush()
			return words
		case r == ' ' || r == '\t' || r == '\n' || r == '|' || r == ';':
			flush()
		default:
			cur.WriteRune(r)
			any_ = true
		}
	}
	flush()
	return words
}

// lineEnv is what the lines run against.
type lineEnv struct {
	bin      string
	srv      *serveProcess
	root     string // where lines run: a view of the repository
	endpoint string
}

// fill puts the test's values where a printed line has placeholders.
func (e *lineEnv) fill(t *testing.T, line string, b *blockRun) string {
	line = strings.ReplaceAll(line, "go run ./cmd/appwire", e.bin)
	// serve's default addresses, in registry order, become the real ones.
	for i, p := range e.srv.order {
		if addr := e.srv.addrs[p]; addr != "" {
			line = strings.ReplaceAll(line, "127.0.0.1:"+strconv.Itoa(1234+i), addr)
		}
	}
	for word, f := range linePlaceholders {
		if replaceWord(line, word, "") != line {
			line = replaceWord(line, word, f(t, e))
		}
	}
	if u := e.srv.urls[lineProtocol(line)]; u != "" {
		line = replaceWord(line, "URL", u)
	}
	// A server the test runs listens on free ports, as serve does here.
	if f := strings.Fields(line); len(f) >= 2 && f[0] == e.bin && f[1] == "serve" && !strings.Contains(line, "--listen") {
		line = strings.Replace(line, e.bin+" serve", e.bin+" serve --listen 127.0.0.1:0", 1)
	}
	// What is left may come from an earlier line's output.
	for w := leftoverPlaceholder(line); w != ""; w = leftoverPlaceholder(line) {
		v := b.lookup(w)
		if v == "" {
			break
		}
		line = replaceWord(line, w, v)
	}
	return line
}

// replaceWord replaces word where it stands alone (not inside
// "LOOP_URL" or "URL=..."), as a placeholder does.
func replaceWord(line, word, with string) string {
	re := regexp.MustCompile(`(^|[\s'"])` + word + `($|[\s'"])`)
	for re.MatchString(line) {
		line = re.ReplaceAllString(line, "${1}"+with+"${2}")
	}
	return line
}

// lineProtocol says which protocol a command line is about: the word
// after conform or fuzz, or the protocol whose tool the line runs.
func lineProtocol(line string) string {
	f := strings.Fields(line)
	for i, w := range f {
		if (w == "conform" || w == "fuzz") && i+1 < len(f) {
			return f[i+1]
		}
		for _, p := range protocols() {
			if p.tool != nil && p.tool.name == w && i > 0 && strings.HasSuffix(f[i-1], "appwire") {
				return p.name
			}
		}
	}
	return ""
}

func isAssignment(line string) bool {
	return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`).MatchString(strings.TrimSpace(line))
}

// shellBlocks returns the command lines of the sh/bash code blocks of a
// Markdown text, joining lines that continue (a trailing | or \).
func shellBlocks(md string) [][]string {
	var blocks [][]string
	var cur []string
	in := false
	pending := ""
	for _, raw := range strings.Split(md, "\n") {
		trim := strings.TrimSpace(raw)
		if strings.HasPrefix(trim, "```") {
			lang := strings.TrimPrefix(trim, "```")
			switch {
			case !in && (lang == "sh" || lang == "bash" || lang == "shell"):
				in, cur = true, nil
			case in:
				blocks = append(blocks, cur)
				in = false
			}
			continue
		}
		if !in {
			continue
		}
		line := pending + raw
		if strings.HasSuffix(trim, "|") || strings.HasSuffix(trim, "\\") {
			pending = strings.TrimSuffix(line, "\\") + "\n"
			continue
		}
		pending = ""
		if l := strings.TrimSpace(line); l != "" {
			cur = append(cur, l)
		}
	}
	return blocks
}

// lineResult is how a line ended.
type lineResult struct {
	code   int
	server bool // still running at its deadline: judged when its block ends
	output string
}

func (r lineResult) ok() bool { return r.code == 0 }

func (r lineResult) String() string { return fmt.Sprintf("exit %d", r.code) }

// lineTime is how long a line may run before it is taken for a server:
// its --duration plus a margin, else a few seconds.
func lineTime(script string) time.Duration {
	d := 6 * time.Second
	if m := regexp.MustCompile(`--duration[ =](\S+)`).FindStringSubmatch(script); m != nil {
		if v, err := time.ParseDuration(m[1]); err == nil {
			d = v + 15*time.Second
		}
	}
	if strings.Contains(script, "conform self") || strings.Contains(script, "conform ") && strings.Contains(script, "--strict") ||
		strings.Contains(script, "scripts/flakes.sh") {
		d = 120 * time.Second
	} else if strings.Contains(script, "conform ") {
		d = 60 * time.Second
	}
	return d
}

// runLine runs script; a line still running at its deadline is a server:
// it keeps running (its output still collected) until its block ends.
func (e *lineEnv) runLine(t *testing.T, script string, b *blockRun, line string) lineResult {
	t.Helper()
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = e.root
	cmd.Env = append(os.Environ(), "HTTPIPC_SOCKET=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Ctrl-C goes to the whole pipeline
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b.outputs = append(b.outputs, out)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	res := lineResult{}
	select {
	case err := <-done:
		res.code = exitCode(err)
	case <-time.After(lineTime(script)):
		res.server = true
		b.servers = append(b.servers, &serverLine{line: line, cmd: cmd, out: out, done: done})
	}
	res.output = out.String()
	if len(res.output) > 6000 {
		res.output = res.output[:3000] + "\n...\n" + res.output[len(res.output)-3000:]
	}
	return res
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return -1
}

// repoView returns a fresh directory holding a symbolic link to every
// top-level entry of the repository: lines run as from the repository's
// root (they name go.mod, ./docs...), while the files they write
// (--junit report.xml) land in the view, not in the tree.
func repoView(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	view := t.TempDir()
	for _, e := range entries {
		if err := os.Symlink(filepath.Join(root, e.Name()), filepath.Join(view, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return view
}

// buildCLI builds this command once for the test.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "appwire")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// serveProcess is "appwire serve" running as a process, with what it
// printed.
type serveProcess struct {
	order    []string            // protocols in the order serve printed them
	urls     map[string]string   // protocol -> the URL serve printed
	addrs    map[string]string   // protocol -> the first host:port of its block
	examples map[string][]string // protocol -> the example lines it printed
}

// startServeProcess runs "appwire serve --listen 127.0.0.1:0" until the
// test ends (then Ctrl-C, and it must exit 0).
func startServeProcess(t *testing.T, bin string) *serveProcess {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { wg.Wait(); done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve after Ctrl-C: %v\n%s", err, stderr.String())
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("serve did not stop 20 s after Ctrl-C")
		}
	})
	s := &serveProcess{urls: map[string]string{}, addrs: map[string]string{}, examples: map[string][]string{}}
	sc := bufio.NewScanner(stdout)
	addr := regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)
	cur := ""
	ready := make(chan bool, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "ready:"):
				ready <- true
				_, _ = io.Copy(io.Discard, stdout)
				return
			case strings.HasPrefix(line, "    "):
				ex := strings.TrimSpace(line)
				s.examples[cur] = append(s.examples[cur], ex)
				if s.addrs[cur] == "" {
					s.addrs[cur] = addr.FindString(ex)
				}
			default:
				if f := strings.Fields(line); len(f) == 2 {
					cur = f[0]
					s.order = append(s.order, cur)
					s.urls[cur] = f[1]
					s.addrs[cur] = addr.FindString(f[1])
				}
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("serve ended before it was ready:\n%s", stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("serve not ready after 60 s:\n%s", stderr.String())
	}
	return s
}

// liveEndpoint registers a channel with a user agent that stays connected
// until the test ends, and returns its endpoint.
func liveEndpoint(t *testing.T, pushURL string) string {
	t.Helper()
	if pushURL == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ua, err := simplepush.Dial(ctx, pushURL, simplepush.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	go func() { // keep reading so that deliveries never back up
		for range ua.Notifications() {
		}
	}()
	ep, err := ua.Register(ctx, simplepush.NewChannelID())
	if err != nil {
		t.Fatal(err)
	}
	return ep
}
