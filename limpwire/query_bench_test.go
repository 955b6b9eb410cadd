package limpwire

import (
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkQueryMatch measures query evaluation per document in memory,
// next to a baseline of a bare equality on one attribute.
func BenchmarkQueryMatch(b *testing.B) {
	docs := make([]Doc, 256)
	for i := range docs {
		var d Doc
		_ = json.Unmarshal([]byte(fmt.Sprintf(`{"name":"user%d","age":%d,"city":"c%d","tags":["t%d","t%d"],"addr":{"zip":"%05d"}}`,
			i, 20+i%50, i%7, i%5, i%3, i)), &d)
		docs[i] = d
	}
	for _, c := range []struct{ name, q string }{
		{"baseline_eq", `[{"city":"c3"}]`},
		{"and_range_in", `[{"age":{"$bet":[30,50]},"city":{"$in":["c1","c3","c5"]}}]`},
		{"or_regex_nested", `[[{"name":{"$regex":"^USER1"}},{"addr.zip":{"$gte":"00100"}}],{"tags":{"$all":["t1"]}}]`},
	} {
		var raw []any
		_ = json.Unmarshal([]byte(c.q), &raw)
		q, err := ParseQuery(raw)
		if err != nil {
			b.Fatal(err)
		}
		m := newMatcher(q.Cond())
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for i := 0; b.Loop(); i++ {
				if m.match(docs[i%len(docs)]) {
					n++
				}
			}
			_ = n
		})
	}
}
