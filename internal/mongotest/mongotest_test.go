package mongotest

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// TestStartServesMongoWire inserts and finds a document through the real
// driver, and checks two Starts get separate databases.
func TestStartServesMongoWire(t *testing.T) {
	srv := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(context.Background())
	coll := c.Database(srv.Database()).Collection("things")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "name", Value: "ferret"}, {Key: "n", Value: 3}}); err != nil {
		t.Fatal(err)
	}
	var got bson.M
	if err := coll.FindOne(ctx, bson.D{{Key: "n", Value: bson.D{{Key: "$gt", Value: 2}}}}).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got["name"] != "ferret" {
		t.Fatalf("found %v", got)
	}
	if other := Start(t); other.Database() == srv.Database() {
		t.Fatalf("two Starts share database %q", srv.Database())
	}
}
