package fuzz

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// fakePeer fails input 7 and, when down is set, its probes.
type fakePeer struct {
	down   atomic.Bool
	inputs atomic.Int32
}

func (p *fakePeer) probe(context.Context) error {
	if p.down.Load() {
		return errors.New("connection refused")
	}
	return nil
}

func (p *fakePeer) probeRule() string { return "the fake answers" }

func (p *fakePeer) input(_ context.Context, i int) (string, *Violation) {
	p.inputs.Add(1)
	if i == 7 {
		return "x", &Violation{Level: Must, Rule: "seven", Got: "bad", Input: &Input{Index: i}}
	}
	if i == 30 {
		p.down.Store(true)
	}
	return "x", nil
}

// The engine reports progress after every batch, with the findings new
// since the last call and their seed; a peer that stops answering its
// probe ends the run with the batch that preceded.
func TestEngineProgressAndPeerDown(t *testing.T) {
	p := &fakePeer{}
	var calls []Progress
	rep, err := run(context.Background(), "fake", Options{Seed: 5, BatchSize: 10, MaxInputs: 100, Workers: 1,
		Progress: func(pr Progress) { calls = append(calls, pr) }}.withDefaults(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 4 || calls[0].Inputs != 10 || calls[3].Inputs != 40 {
		t.Fatalf("progress calls %+v", calls)
	}
	if len(calls[0].New) != 1 || calls[0].New[0].Input.Seed != 5 || len(calls[1].New) != 0 {
		t.Errorf("new findings: %+v / %+v", calls[0].New, calls[1].New)
	}
	if !rep.PeerDown || rep.Inputs != 40 || rep.Probes != 3 || !rep.Failed() || rep.Transports["x"] != 40 {
		t.Errorf("report %+v", rep)
	}
	last := rep.Violations[len(rep.Violations)-1]
	if last.Batch[0] != 30 || last.Batch[1] != 39 {
		t.Errorf("peer down after batch %v, want 30-39", last.Batch)
	}

	// A peer that is down from the start is unreachable: no input sent.
	p = &fakePeer{}
	p.down.Store(true)
	if _, err := run(context.Background(), "fake", Options{MaxInputs: 10}.withDefaults(), p); !errors.Is(err, ErrPeerUnreachable) || p.inputs.Load() != 0 {
		t.Errorf("err %v after %d inputs", err, p.inputs.Load())
	}
}

// flakyPeer fails input 3 the first time only, input 5 every time.
type flakyPeer struct {
	fakePeer
	seen3 atomic.Bool
}

func (p *flakyPeer) input(_ context.Context, i int) (string, *Violation) {
	switch {
	case i == 3 && !p.seen3.Swap(true), i == 5:
		return "x", &Violation{Level: Must, Rule: "r", Got: "bad", Input: &Input{Index: i}}
	}
	return "x", nil
}

// A violation is confirmed by sending its input again: one that does not
// show again is kept as SHOULD, one that does stays MUST.
func TestEngineConfirms(t *testing.T) {
	rep, err := run(context.Background(), "fake", Options{MaxInputs: 10, BatchSize: 10, Workers: 1}.withDefaults(), &flakyPeer{})
	if err != nil {
		t.Fatal(err)
	}
	levels := map[int]Level{}
	for _, v := range rep.Violations {
		levels[v.Input.Index] = v.Level
	}
	if len(levels) != 2 || levels[3] != Should || levels[5] != Must || rep.Inputs != 10 {
		t.Errorf("levels %v, %d inputs", levels, rep.Inputs)
	}
}
