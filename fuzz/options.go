package fuzz

import (
	"time"
)

// Defaults of Options.
const (
	DefaultDuration      = 10 * time.Second
	DefaultMaxInputs     = 1000000
	DefaultWorkers       = 2
	DefaultBatchSize     = 50
	DefaultInputTimeout  = 2 * time.Second
	DefaultProbe         = "hello/ping"
	DefaultUUID          = "appwire-fuzz"
	DefaultMaxViolations = 100
	DefaultMaxMessage    = 60 << 10 // largest generated message
)

// Options configures a run of any fuzzer. The zero value is valid.
type Options struct {
	// Duration bounds the run. Default 10 s.
	Duration time.Duration
	// MaxInputs bounds the number of inputs. Default 1000000.
	MaxInputs int
	// Seed makes the run reproducible; 0 draws one (reported in Report).
	Seed int64
	// Workers is the number of inputs in flight. Default 2.
	Workers int
	// BatchSize is the number of inputs between liveness probes.
	// Default 50.
	BatchSize int
	// InputTimeout bounds the wait for the peer's answer to one input.
	// Default 2 s.
	InputTimeout time.Duration
	// MaxViolations bounds the violations kept in the report. Default 100.
	MaxViolations int
	// Rate, when positive, bounds the inputs started per second, for a
	// peer with call quotas (LIMP counts calls per address).
	Rate float64
	// Progress, when set, is called after every batch (and its liveness
	// probe) with the run so far. Calls are sequential.
	Progress func(Progress)
}

// Progress is the state of a run, as Options.Progress sees it.
type Progress struct {
	Inputs     int
	Probes     int // liveness probes passed
	Violations int // found so far, including those beyond MaxViolations
	Elapsed    time.Duration
	// New holds the violations found since the previous call.
	New []Violation
}

// AFBOptions configures AFB.
type AFBOptions struct {
	Options
	// Token is presented at every WebSocket upgrade and HTTP request
	// (x-afb-token): the binder's initial token.
	Token string
	// UUID is the session every request joins, so that the run does not
	// create a session per input. Default "appwire-fuzz".
	UUID string
	// Probe is the known-good call, "api/verb", that must succeed on a
	// fresh connection after every batch. Default "hello/ping".
	Probe string
	// NoWebSocket and NoHTTP leave out one transport.
	NoWebSocket, NoHTTP bool
}

func (o Options) withDefaults() Options {
	if o.Duration <= 0 {
		o.Duration = DefaultDuration
	}
	if o.MaxInputs <= 0 {
		o.MaxInputs = DefaultMaxInputs
	}
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano()
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.InputTimeout <= 0 {
		o.InputTimeout = DefaultInputTimeout
	}
	if o.MaxViolations <= 0 {
		o.MaxViolations = DefaultMaxViolations
	}
	return o
}

func (o AFBOptions) withDefaults() AFBOptions {
	o.Options = o.Options.withDefaults()
	if o.UUID == "" {
		o.UUID = DefaultUUID
	}
	if o.Probe == "" {
		o.Probe = DefaultProbe
	}
	return o
}
