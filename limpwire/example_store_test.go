package limpwire_test

import (
	"context"
	"fmt"

	"github.com/appwire/appwire/limpwire"
)

// A LIMP query against the memory store: cities in a list, ages from 25 to
// 35, youngest first, one per page, with the total before the page.
func ExampleNewMemoryStore() {
	ctx := context.Background()
	st := limpwire.NewMemoryStore()
	defer st.Close(ctx)
	for _, p := range []limpwire.Doc{
		{"name": "Alice", "age": 30, "city": "Cairo"},
		{"name": "Bob", "age": 25, "city": "Giza"},
		{"name": "Carol", "age": 41, "city": "Cairo"},
	} {
		if _, err := st.Create(ctx, "people", p); err != nil {
			panic(err)
		}
	}
	q, err := limpwire.ParseQuery([]any{
		map[string]any{"city": map[string]any{"$in": []any{"Cairo", "Giza"}}},
		map[string]any{"age": map[string]any{"$bet": []any{25, 35}}, "$sort": map[string]any{"age": 1}, "$limit": 1},
	})
	if err != nil {
		panic(err)
	}
	res, err := st.Read(ctx, "people", q)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Total, res.Count, res.Docs[0]["name"])

	_, err = limpwire.ParseQuery([]any{map[string]any{"age": map[string]any{"$not": 30}}})
	fmt.Println(err)
	// Output:
	// 2 1 Bob
	// limpwire: invalid query at [0].age.$not: operator $not is not supported by LIMP 6.0 (use $ne)
}
