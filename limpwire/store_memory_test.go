package limpwire_test

import (
	"context"
	"testing"

	"github.com/appwire/appwire/limpwire"
	"github.com/appwire/appwire/limpwire/storetest"
)

func TestMemoryStoreSuite(t *testing.T) {
	storetest.Run(t, func(*testing.T) limpwire.Store { return limpwire.NewMemoryStore() }, storetest.Caps{TextSearch: true})
}

func TestMemoryStoreBounds(t *testing.T) {
	ctx := context.Background()
	st := limpwire.NewMemoryStoreWith(limpwire.MemoryOptions{MaxResults: 2, MaxDocs: 3})
	for i := range 3 {
		if _, err := st.Create(ctx, "c", limpwire.Doc{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Create(ctx, "c", limpwire.Doc{}); err == nil {
		t.Fatal("Create beyond MaxDocs succeeded")
	}
	q, _ := limpwire.ParseQuery(nil)
	res, err := st.Read(ctx, "c", q)
	if err != nil || res.Total != 3 || res.Count != 2 {
		t.Fatalf("MaxResults 2: total %d count %d err %v", res.Total, res.Count, err)
	}
	q, _ = limpwire.ParseQuery([]any{map[string]any{"$limit": 1.0}})
	if res, _ := st.Read(ctx, "c", q); res.Count != 1 {
		t.Fatalf("$limit 1 under MaxResults 2: count %d", res.Count)
	}
}
