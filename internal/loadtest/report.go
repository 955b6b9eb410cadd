package loadtest

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes the plain-text report.
func (r *Report) WriteText(w io.Writer) {
	where := "separate process started by the load tool"
	if !r.Child {
		where = "external server"
	}
	if r.Store != "" {
		where += ", " + r.Store + " store"
	}
	fmt.Fprintf(w, "SimplePush load: %d idle connections, server %s (pid %d, %s)\n", r.Conns, r.ServerURL, r.ServerPID, where)
	fmt.Fprintf(w, "machine: %d CPUs, %s; open-file limit: load tool %d, server %d; source addresses: %s\n",
		r.CPUs, r.GoVersion, r.NofileLoad, r.NofileSrv, strings.Join(r.Sources, " "))
	fmt.Fprintf(w, "\nserver memory per idle connection (hello + 1 registered channel; after GC; minus the baseline with 0 connections):\n")
	b := r.Baseline
	fmt.Fprintf(w, "  baseline: RSS %s, Go heap+stack %s, %d goroutines\n", mem(b.RSS, b.HasRSS), mem(b.GoMem, b.HasGoMem), b.Goroutines)
	fmt.Fprintf(w, "  %8s  %12s  %18s  %10s  %7s\n", "conns", "RSS/conn", "heap+stack/conn", "goroutines", "reading")
	for _, s := range r.Steps {
		fmt.Fprintf(w, "  %8d  %12s  %18s  %10s  %7s\n", s.Conns, per(s.RSSPerConn, s.HasRSS), per(s.GoMemPerConn, s.HasGoMem),
			known(s.Goroutines, s.HasGoMem), known(s.Reading, s.HasGoMem))
	}
	fmt.Fprintf(w, "  anchors: autopush-rs 10.27 kB/conn, gorilla/websocket ~40 kB/conn; target <= 1 KiB\n")
	fmt.Fprintf(w, "  opened at %.0f connections/s\n", r.ConnectPerSec)

	fmt.Fprintf(w, "\nthroughput, %d workers, one operation at a time each:\n", r.Workers)
	phase(w, "deliveries (PUT -> notification -> ack)", r.Deliveries)
	noop := "no-op net/http PUT (server process)"
	if r.NoopInProcess {
		noop = "no-op net/http PUT (load-tool process)"
	}
	phase(w, noop, r.NoopPUT)
	fmt.Fprintf(w, "  ratio deliveries/s : no-op PUT/s = %.2f\n", r.Ratio)
	if r.Child {
		fmt.Fprintf(w, "  server counted %d deliveries; %d goroutines afterwards (baseline %d)\n", r.ServerDelivered, r.ServerGoroutines, r.BaselineGoroutines)
	}
	fmt.Fprintf(w, "  user agents read %d messages besides the awaited notifications (re-sends, stale versions)\n", r.ExtraMessages)
}

func phase(w io.Writer, name string, p Phase) {
	l := p.Latency
	fmt.Fprintf(w, "  %s: %d in %.2fs = %.0f/s, %d errors\n", name, p.Count, p.Seconds, p.PerSec, p.Errors)
	fmt.Fprintf(w, "    latency ms: p50 %.3f  p90 %.3f  p99 %.3f  max %.3f  (mean %.3f)\n", l.P50Ms, l.P90Ms, l.P99Ms, l.MaxMs, l.MeanMs)
	if p.FirstError != "" {
		fmt.Fprintf(w, "    first error: %s\n", p.FirstError)
	}
}

func mem(b int64, ok bool) string {
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func per(b float64, ok bool) string {
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf("%.0f B", b)
}

func known(n int, ok bool) string {
	if !ok {
		return "n/a"
	}
	return fmt.Sprint(n)
}
