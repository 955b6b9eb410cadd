package fuzz

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/appwire/appwire/afbproto"
	gofuzz "github.com/google/gofuzz"
)

// expect is what the peer must do with a WebSocket input.
type expect uint8

const (
	expectNothing expect = iota // no rule applies: the peer only has to stay up
	expectReply                 // a reply [3|4,"ID",...] to the call's ID
	expectClose                 // close 1008, no reply (spec §4.2, malformed frame)
	expectFail                  // the connection ends, no reply (RFC 6455 MUST fail)
	expectIgnored               // no close, no reply; a probe call on the same socket is answered
)

var expectText = [...]string{
	expectNothing: "nothing (stay up)",
	expectReply:   "a reply with the call's ID",
	expectClose:   "close 1008 and no reply",
	expectFail:    "the connection failed, no reply",
	expectIgnored: "ignored: no reply, no close",
}

// wsInput is a generated WebSocket input.
type wsInput struct {
	Input
	expect expect
	id     []byte // expectReply: the call ID as the peer echoes it
}

// rngFor returns the random source of input index: inputs depend on the
// seed and their index only, not on scheduling.
func rngFor(seed int64, index int) *rand.Rand {
	return rand.New(rand.NewSource(seed ^ int64(index+1)*0x5851f42d4c957f2d))
}

// callSpec is the structured part of a call, filled by gofuzz.
type callSpec struct {
	ID      uint32
	TextID  string
	UseText bool
	RandAPI bool
	API     string
	Verb    string
	Token   *string
	Args    struct {
		S string
		N int64
		F float64
		B bool
		L []string
		M map[string]int32
		P *struct{ X, Y string }
	}
	ArgsKind uint8 // 0 object, 1 null, 2 a string, 3 a number, 4 an array
}

// validCall builds a call frame from spec: the probe verb or a random
// name, valid JSON arguments, and maybe a token.
func validCall(rng *rand.Rand, probeAPI, probeVerb string) []byte {
	var s callSpec
	gofuzz.New().RandSource(rng).NilChance(0.3).NumElements(0, 3).MaxDepth(4).Fuzz(&s)
	id := strconv.FormatUint(uint64(s.ID), 10)
	if s.UseText {
		id = jsonBody(s.TextID)
	}
	api, verb := probeAPI, probeVerb
	if s.RandAPI {
		api, verb = nameOf(s.API, "x"), nameOf(s.Verb, "y")
	}
	var args []byte
	switch s.ArgsKind % 5 {
	case 0:
		args, _ = json.Marshal(s.Args)
	case 1:
		args = []byte("null")
	case 2:
		args, _ = json.Marshal(s.Args.S)
	case 3:
		args = strconv.AppendInt(nil, s.Args.N, 10)
	case 4:
		args, _ = json.Marshal(s.Args.L)
	}
	tok := ""
	if s.Token != nil {
		tok = jsonBody(*s.Token)
	}
	return afbproto.AppendCall(nil, id, api, verb, args, tok)
}

// jsonBody returns s as the body of a valid JSON string.
func jsonBody(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// nameOf keeps the [a-z0-9_-] characters of s, or def.
func nameOf(s, def string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return def
	}
	return b.String()
}

// mutation turns a valid call into a (usually) broken message.
type mutation struct {
	name string
	fn   func(rng *rand.Rand, msg []byte) []byte
}

var mutations = []mutation{
	{"valid", func(_ *rand.Rand, m []byte) []byte { return m }},
	{"truncate", func(rng *rand.Rand, m []byte) []byte { return m[:rng.Intn(len(m))] }},
	{"bad-code", func(rng *rand.Rand, m []byte) []byte {
		codes := []string{"0", "1", "6", "9", "22", `"2"`, "-2", "2.0", "", "null", "0x2"}
		return append([]byte("["+codes[rng.Intn(len(codes))]), m[2:]...)
	}},
	{"drop-elements", func(rng *rand.Rand, m []byte) []byte {
		els := splitTop(m)
		n := rng.Intn(len(els))
		return joinTop(els[:n])
	}},
	{"extra-elements", func(rng *rand.Rand, m []byte) []byte {
		els := splitTop(m)
		for n := 1 + rng.Intn(8); n > 0; n-- {
			els = append(els, []byte(strconv.Itoa(rng.Intn(100))))
		}
		return joinTop(els)
	}},
	{"non-json-args", func(rng *rand.Rand, m []byte) []byte {
		els := splitTop(m)
		if len(els) >= 4 {
			els[3] = []byte(randomText(rng, "abc xyz:.-_", 1+rng.Intn(40)))
		}
		return joinTop(els)
	}},
	{"huge-id", func(rng *rand.Rand, m []byte) []byte {
		els := splitTop(m)
		els[1] = []byte(`"` + strings.Repeat("9", 1000+rng.Intn(30000)) + `"`)
		return joinTop(els)
	}},
	{"deep-nesting", func(rng *rand.Rand, m []byte) []byte {
		els := splitTop(m)
		n := 1 + rng.Intn(5000)
		open, close := "[", "]"
		if rng.Intn(2) == 0 {
			open, close = `{"a":`, "}"
		}
		nest := strings.Repeat(open, n) + "1" + strings.Repeat(close, n-rng.Intn(2))
		if len(els) >= 4 {
			els[3] = []byte(nest)
		}
		return joinTop(els)
	}},
	{"invalid-utf8", func(rng *rand.Rand, m []byte) []byte {
		bad := [][]byte{{0xff}, {0xc0, 0xaf}, {0xed, 0xa0, 0x80}, {0xe2, 0x82}}
		return insertAt(rng, m, bad[rng.Intn(len(bad))])
	}},
	{"control-char", func(rng *rand.Rand, m []byte) []byte {
		return insertAt(rng, m, []byte{byte(rng.Intn(0x20))})
	}},
	{"whitespace", func(rng *rand.Rand, m []byte) []byte {
		ws := []string{"\t", "\n", "\r", "  ", "\n\n"}
		return insertAt(rng, m, []byte(ws[rng.Intn(len(ws))]))
	}},
	{"byte-flip", func(rng *rand.Rand, m []byte) []byte {
		m = bytes.Clone(m)
		for n := 1 + rng.Intn(4); n > 0; n-- {
			m[rng.Intn(len(m))] ^= byte(1 << rng.Intn(8))
		}
		return m
	}},
	{"syntax-chars", func(rng *rand.Rand, m []byte) []byte {
		for n := 1 + rng.Intn(3); n > 0; n-- {
			const syntax = `[]{}",\:`
			m = insertAt(rng, m, []byte{syntax[rng.Intn(len(syntax))]})
		}
		return m
	}},
	{"bad-method", func(rng *rand.Rand, m []byte) []byte {
		els := splitTop(m)
		methods := []string{`"hello"`, `"hello/"`, `"hello//ping"`, `"/ping"`, `""`, `"/"`, `1`, `null`, `"a/b/c"`}
		els[2] = []byte(methods[rng.Intn(len(methods))])
		return joinTop(els)
	}},
	{"client-reply", func(rng *rand.Rand, m []byte) []byte {
		return []byte(`[` + strconv.Itoa(3+rng.Intn(2)) + `,"` + strconv.Itoa(rng.Intn(1000)) +
			`",{"jtype":"afb-reply","request":{"status":"success"}}]`)
	}},
	{"client-event", func(rng *rand.Rand, m []byte) []byte {
		return []byte(`[5,"x/y",{"event":"x/y","data":` + strconv.Itoa(rng.Intn(100)) + `,"jtype":"afb-event"}]`)
	}},
	{"tiny", func(rng *rand.Rand, m []byte) []byte {
		tiny := []string{"", "[]", "{}", " ", "null", "[2]", "[", "]", `"`, "[2,", "2", "[ ]", "[3]", "[5]"}
		return []byte(tiny[rng.Intn(len(tiny))])
	}},
}

// splitTop splits a call [a,b,c,d] made by AppendCall into its elements
// (they contain no top-level comma: AppendCall output only).
func splitTop(m []byte) [][]byte {
	var f afbproto.Frame
	if f.Parse(m) != nil {
		return [][]byte{m}
	}
	els := [][]byte{[]byte("2"), []byte(`"` + string(f.ID) + `"`), []byte(`"` + string(f.API) + "/" + string(f.Verb) + `"`), bytes.Clone(f.Payload)}
	if f.Token != nil {
		els = append(els, []byte(`"`+string(f.Token)+`"`))
	}
	return els
}

func joinTop(els [][]byte) []byte {
	return append(append([]byte("["), bytes.Join(els, []byte(","))...), ']')
}

func insertAt(rng *rand.Rand, m, ins []byte) []byte {
	i := rng.Intn(len(m) + 1)
	out := make([]byte, 0, len(m)+len(ins))
	out = append(out, m[:i]...)
	out = append(out, ins...)
	return append(out, m[i:]...)
}

func randomText(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.Intn(len(alphabet))]
	}
	return string(b)
}

// classify says what the peer must do with message m sent as one valid
// text message (spec §4.2; RFC 6455 §8.1 for invalid UTF-8).
func classify(m []byte) (expect, []byte) {
	if !utf8.Valid(m) {
		return expectFail, nil
	}
	var f afbproto.Frame
	if f.Parse(m) != nil {
		return expectClose, nil
	}
	switch f.Type {
	case afbproto.FrameCall:
		if f.Validate() != nil {
			return expectNothing, nil // upstream echoes broken JSON here
		}
		return expectReply, bytes.Clone(f.ID)
	case afbproto.FrameReplyOK, afbproto.FrameReplyError:
		return expectClose, nil // a reply whose ID is unknown
	}
	return expectIgnored, nil // a client event
}

// genWS generates WebSocket input index.
func genWS(seed int64, index int, probeAPI, probeVerb string) *wsInput {
	rng := rngFor(seed, index)
	mut := mutations[rng.Intn(len(mutations))]
	msg := validCall(rng, probeAPI, probeVerb)
	msg = mut.fn(rng, msg)
	if len(msg) > DefaultMaxMessage {
		msg = msg[:DefaultMaxMessage]
	}
	in := &wsInput{Input: Input{Index: index, Transport: "ws", Mutation: mut.name, Message: msg}}
	in.expect, in.id = classify(msg)
	in.Wire, in.Mutation, in.expect = frameWire(rng, msg, in.Mutation, in.expect)
	in.Expect = expectText[in.expect]
	return in
}
