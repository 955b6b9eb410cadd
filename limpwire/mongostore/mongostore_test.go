package mongostore_test

import (
	"context"
	"os"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/mongotest"
	"github.com/appwire/appwire/limpwire"
	"github.com/appwire/appwire/limpwire/mongostore"
	"github.com/appwire/appwire/limpwire/storetest"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// connect returns a client of a fresh MongoDB-wire server, disconnected at
// cleanup.
func connect(t *testing.T) (*mongo.Client, *mongotest.Server) {
	t.Helper()
	srv := mongotest.Start(t)
	c, err := mongo.Connect(options.Client().ApplyURI(srv.URI()).SetTimeout(30 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c, srv
}

func TestMongoStoreSuite(t *testing.T) {
	c, srv := connect(t)
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) limpwire.Store {
		db := srv.Database() + "_" + string(rune('a'+n.Add(1)))
		t.Cleanup(func() { _ = c.Database(db).Drop(context.Background()) })
		return mongostore.New(c, db, mongostore.Options{})
	}, storetest.Caps{
		// FerretDB 1.x has no $text; a real MongoDB does.
		TextSearch: os.Getenv(mongotest.EnvURI) != "",
	})
}

func TestMongoStoreDial(t *testing.T) {
	srv := mongotest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := mongostore.Dial(ctx, srv.URI(), srv.Database(), mongostore.Options{MaxResults: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := st.Create(ctx, "c", limpwire.Doc{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	q, _ := limpwire.ParseQuery(nil)
	res, err := st.Read(ctx, "c", q)
	if err != nil || res.Total != 3 || res.Count != 2 {
		t.Fatalf("MaxResults 2: total %d count %d err %v", res.Total, res.Count, err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// A second store on the same database sees the same documents.
	st2, err := mongostore.Dial(ctx, srv.URI(), srv.Database(), mongostore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close(ctx)
	if res, err := st2.Read(ctx, "c", q); err != nil || res.Total != 3 {
		t.Fatalf("second store: total %d err %v", res.Total, err)
	}
	if _, err := mongostore.Dial(ctx, "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300", "x", mongostore.Options{}); err == nil {
		t.Fatal("Dial of a closed port succeeded")
	}
}

// TestMongoStoreGroupByID buckets by _id, whose projection differs from
// other attributes' when the server has no $bucketAuto.
func TestMongoStoreGroupByID(t *testing.T) {
	c, srv := connect(t)
	ctx := context.Background()
	ms := mongostore.New(c, srv.Database(), mongostore.Options{})
	mem := limpwire.NewMemoryStore()
	for i := range 5 {
		id := limpwire.NewObjectID().Hex()
		for _, st := range []limpwire.Store{mem, ms} {
			if _, err := st.Create(ctx, "g", limpwire.Doc{"_id": id, "i": i}); err != nil {
				t.Fatal(err)
			}
		}
	}
	q, err := limpwire.ParseQuery([]any{map[string]any{"$group": []any{map[string]any{"by": "_id", "count": 2.0}}}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := mem.Read(ctx, "g", q)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ms.Read(ctx, "g", q)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Groups["_id"]) != 2 || !reflect.DeepEqual(a.Groups, b.Groups) {
		t.Fatalf("groups by _id: memory %v, mongo %v", a.Groups, b.Groups)
	}
}
