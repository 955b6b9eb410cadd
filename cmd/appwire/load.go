package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/appwire/appwire/internal/loadtest"
)

// cmdLoad is "appwire load simplepush [flags]". By default it re-executes
// this binary as "appwire load simplepush-server" (a hidden subcommand:
// the reference server plus a loopback control listener with memory
// stats and the no-op PUT handler), so that the server's memory is
// measured in a process of its own.
func cmdLoad(ctx context.Context, c *cli, args []string) int {
	if len(args) > 0 && args[0] == "simplepush-server" {
		if err := loadtest.ServeChild(ctx, c.stdin, c.stdout); err != nil {
			c.errorf("load simplepush-server: %v", err)
			return exitProblem
		}
		return exitOK
	}
	var (
		cfg     loadtest.Config
		steps   string
		jsonOut string
		quiet   bool
	)
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.IntVar(&cfg.Conns, "conns", 15000, "idle WebSocket connections to open (each: hello + one registered channel)")
	fs.IntVar(&cfg.Deliveries, "deliveries", 20000, "PUT -> notification -> ack deliveries (and as many no-op PUTs for the baseline)")
	fs.DurationVar(&cfg.Duration, "duration", 60*time.Second, "cap of each measured phase (deliveries, baseline)")
	fs.IntVar(&cfg.Workers, "workers", 8, "app-server workers, one PUT at a time each")
	fs.IntVar(&cfg.Dialers, "dialers", 64, "connections opened at once")
	fs.IntVar(&cfg.Rounds, "rounds", 4, "alternating rounds of the baseline and the deliveries")
	fs.StringVar(&steps, "steps", "", "comma-separated connection counts below --conns at which memory is measured too (default: conns/10, conns/2)")
	fs.IntVar(&cfg.PerSource, "per-source", 0, "connections per 127.x.y.z source address (default: 10000 or half the ephemeral port range)")
	fs.DurationVar(&cfg.Timeout, "timeout", 10*time.Minute, "bound of the whole run")
	fs.StringVar(&cfg.ServerURL, "server", "", "WebSocket `URL` of a running server on loopback (default: start one as a separate process)")
	fs.IntVar(&cfg.ServerPID, "server-pid", 0, "with --server: its process id, to read its RSS")
	fs.StringVar(&cfg.Redis, "redis", "", "the server child keeps its state in the Redis at `URL` (default: in memory)")
	fs.StringVar(&cfg.HeapProfile, "heap-profile", "", "write the server's heap profile with every connection open to `FILE`")
	fs.StringVar(&jsonOut, "json", "", "also write the report as JSON to `FILE`")
	fs.BoolVar(&quiet, "q", false, "no progress lines on stderr")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: appwire load simplepush [--conns N] [--deliveries N] [--duration D] [--server URL] [flags]")
		fmt.Fprintln(c.stderr, "\nOpens N idle SimplePush WebSockets to a server on loopback, reports the server's memory and")
		fmt.Fprintln(c.stderr, "goroutines per idle connection, then PUT -> notification -> ack deliveries/s and latency,")
		fmt.Fprintln(c.stderr, "next to a no-op net/http PUT handler measured in the same run. By default the server is this")
		fmt.Fprintln(c.stderr, "binary re-executed as a separate process ('appwire load simplepush-server'), stopped at exit.")
		fmt.Fprintln(c.stderr, "\nflags:")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		return exitUsage
	}
	if len(pos) != 1 || pos[0] != "simplepush" {
		fs.Usage()
		return exitUsage
	}
	if cfg.Conns <= 0 || cfg.Deliveries <= 0 || cfg.Workers <= 0 || cfg.Dialers <= 0 {
		c.errorf("--conns, --deliveries, --workers and --dialers must be positive")
		return exitUsage
	}
	for _, s := range strings.Split(steps, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			c.errorf("bad --steps entry %q", s)
			return exitUsage
		}
		cfg.Steps = append(cfg.Steps, n)
	}
	if cfg.ServerURL == "" {
		exe, err := os.Executable()
		if err != nil {
			c.errorf("cannot find this binary to start the server: %v (use --server)", err)
			return exitProblem
		}
		cfg.ServerCommand = []string{exe, "load", "simplepush-server"}
	}
	if !quiet {
		cfg.Progress = c.stderr
	}
	rep, err := loadtest.RunSimplePush(ctx, cfg)
	if err != nil {
		c.errorf("load simplepush: %v", err)
		return exitProblem
	}
	rep.WriteText(c.stdout)
	if jsonOut != "" {
		err := writeFile(jsonOut, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		})
		if err != nil {
			c.errorf("%v", err)
			return exitProblem
		}
	}
	return exitOK
}
