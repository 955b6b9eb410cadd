//go:build unix

package conformance_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chromiumBin finds a headless-capable Chromium: $CHROMIUM, else Debian's
// /usr/bin/chromium, else chromium or chromium-browser on PATH. Without one
// the test skips locally and fails under CI (which installs it).
func chromiumBin(t *testing.T) string {
	t.Helper()
	for _, c := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found (CI installs Debian's chromium; set CHROMIUM to its path)")
	}
	t.Skip("chromium not found: install it (apt-get install chromium) or set CHROMIUM to run the browser test")
	return ""
}

// runChromium runs headless Chromium with args in a process group of its
// own, bounded by a timeout; every process of the group is killed when
// it returns. It returns standard output.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // helpers it left behind
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("chromium %v did not finish within 45 s; stderr:\n%s", args, tail(stderr.String()))
	}
	if err != nil {
		t.Fatalf("chromium %v: %v; stderr:\n%s", args, err, tail(stderr.String()))
	}
	return stdout.Bytes()
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

func fileURL(path string) string { return "file://" + filepath.ToSlash(path) }

// TestHTMLInChromium renders the report in a real browser and checks the
// DOM Chromium built from it: one grid cell per result with the verdict's
// class (so nothing from the hostile target broke out of its cell), the
// section rows, and a failing case's page showing what was expected and
// what was seen. A screenshot is taken too; set APPWIRE_HTML_KEEP to a
// directory to keep the report and the screenshots there.
func TestHTMLInChromium(t *testing.T) {
	bin := chromiumBin(t)
	dir, reports := writeGrid(t)
	index := filepath.Join(dir, "index.html")

	dom := string(runChromium(t, bin, "--dump-dom", fileURL(index)))
	if !strings.Contains(dom, `<table class="grid"`) {
		t.Fatalf("the rendered DOM has no grid:\n%s", tail(dom))
	}
	want := verdictTally(reports)
	want["missing"] = 3
	if got := cellTally(dom); !equalCounts(got, want) {
		t.Errorf("rendered grid cells %v, want %v", got, want)
	}
	if got := cellTally(dom); got["pass"] != 5 || got["fail"] != 3 {
		t.Errorf("rendered %d pass and %d fail cells, want 5 and 3", got["pass"], got["fail"])
	}
	if n := strings.Count(dom, `<tr class="section`); n != 5 {
		t.Errorf("rendered %d section rows, want 5", n)
	}
	if strings.Contains(dom, "<script") || strings.Contains(dom, "<img") {
		t.Error("target text became markup in the rendered DOM")
	}

	page := string(runChromium(t, bin, "--dump-dom", fileURL(filepath.Join(dir, "cases", "afb_1.1_2.html"))))
	for _, re := range []string{
		`<dd class="requirement">slashes are skipped</dd>`,
		`<dd class="section-title">1\.1 URL layout `,
		`<dt>Expected</dt><dd class="expected">HTTP 200 with the afb-reply</dd>`,
		`<dt>or</dt><dd class="expected">HTTP 404</dd>`,
		`<dt>Actual</dt><dd class="actual">HTTP 500 &lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;`,
		`<td class="dir sent">&gt;&gt;</td>`,
		`<td class="dir received">&lt;&lt;</td>`,
	} {
		if !regexp.MustCompile(re).MatchString(page) {
			t.Errorf("the failing case's rendered page lacks %s", re)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "<img") {
		t.Error("target text became markup in the rendered case page")
	}

	shot := filepath.Join(t.TempDir(), "index.png")
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1400,1400", "--hide-scrollbars", fileURL(index))
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10_000 {
		t.Errorf("screenshot is not a PNG of a rendered page (%d bytes)", len(png))
	}
	if keep := os.Getenv("APPWIRE_HTML_KEEP"); keep != "" {
		if err := os.CopyFS(keep, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(keep, "index.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("report and screenshot kept in %s", keep)
	}
}
