package limpwire

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkMemoryRead measures a whole Read (match, sort, page, copy out)
// over 10,000 documents, next to a Read of one document by _id.
func BenchmarkMemoryRead(b *testing.B) {
	ctx := context.Background()
	st := NewMemoryStore()
	var last string
	for i := range 10000 {
		id, err := st.Create(ctx, "c", Doc{"n": float64(i), "city": fmt.Sprintf("c%d", i%10), "tags": []any{"a", "b"}})
		if err != nil {
			b.Fatal(err)
		}
		last = id
	}
	for _, c := range []struct {
		name string
		raw  []any
	}{
		{"by_id", []any{map[string]any{"_id": last}}},
		{"filter_sort_limit10", []any{map[string]any{"city": "c3", "n": map[string]any{"$gte": 100.0}, "$sort": map[string]any{"n": -1.0}, "$limit": 10.0}}},
	} {
		q, err := ParseQuery(c.raw)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := st.Read(ctx, "c", q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
