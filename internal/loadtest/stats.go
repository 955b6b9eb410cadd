package loadtest

import (
	"slices"
	"time"
)

// Latencies collects durations; one per worker, merged at the end, so
// recording takes no lock.
type Latencies struct {
	d []time.Duration
}

// Add records one duration.
func (l *Latencies) Add(d time.Duration) { l.d = append(l.d, d) }

// Merge appends the durations of o.
func (l *Latencies) Merge(o *Latencies) { l.d = append(l.d, o.d...) }

// Len is the number of durations recorded.
func (l *Latencies) Len() int { return len(l.d) }

// Summary is the distribution of a set of durations, in milliseconds so
// that the JSON report reads without conversion.
type Summary struct {
	N      int     `json:"n"`
	MinMs  float64 `json:"min_ms"`
	MeanMs float64 `json:"mean_ms"`
	P50Ms  float64 `json:"p50_ms"`
	P90Ms  float64 `json:"p90_ms"`
	P99Ms  float64 `json:"p99_ms"`
	MaxMs  float64 `json:"max_ms"`
}

// Summary sorts the durations and returns their distribution;
// percentiles are nearest-rank (the smallest value with at least p% of
// the values at or below it).
func (l *Latencies) Summary() Summary {
	n := len(l.d)
	if n == 0 {
		return Summary{}
	}
	slices.Sort(l.d)
	var sum time.Duration
	for _, d := range l.d {
		sum += d
	}
	return Summary{
		N: n, MinMs: ms(l.d[0]), MeanMs: ms(sum / time.Duration(n)),
		P50Ms: ms(Percentile(l.d, 50)), P90Ms: ms(Percentile(l.d, 90)), P99Ms: ms(Percentile(l.d, 99)),
		MaxMs: ms(l.d[n-1]),
	}
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted, which must be sorted ascending; 0 when it is empty.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// rank = ceil(p/100 * n), with a tolerance so that 0.9*10 (which is
	// 9.000000000000002 in floating point) ranks 9, not 10.
	x := p * float64(n) / 100
	rank := int(x)
	if x-float64(rank) > 1e-9 {
		rank++
	}
	rank = max(1, min(rank, n))
	return sorted[rank-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
