// Package mongostore is the MongoDB limpwire.Store, what LIMP deployments
// use: one MongoDB collection per LIMP collection, queries translated to
// filters and aggregation pipelines as upstream's data layer does. It is a
// subpackage so that limpwire itself imports no database driver.
//
//	st, err := mongostore.Dial(ctx, "mongodb://127.0.0.1:27017", "limp", mongostore.Options{})
//	srv := limpwire.NewServer(..., st)
//
// It answers exactly as limpwire.NewMemoryStore does (the shared suite in
// limpwire/storetest and a differential property test hold both to it),
// with these exceptions: $search uses MongoDB's $text (stemming, stop words,
// a wildcard text index created on first use) with upstream's textScore >
// 0.5 cut, where the memory store matches whole words; and an update that
// fails on one document (say $add on a string) may have been applied to
// the documents before it, where the memory store changes none.
package mongostore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appwire/appwire/limpwire"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Options configures the store. The zero value has no bounds.
type Options struct {
	// MaxResults caps the documents one Read returns (a smaller $limit
	// still applies); 0 means no cap.
	MaxResults int
}

// Store is the MongoDB limpwire.Store. It is safe for concurrent use.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
	opts   Options
	owned  bool

	closed atomic.Bool
	// noBucketAuto is set once the server has refused $bucketAuto (FerretDB
	// 1.x does not implement it); groups are then bucketed here, with the
	// same algorithm, from the sorted values.
	noBucketAuto atomic.Bool

	textMu      sync.Mutex
	textIndexed map[string]bool
}

var _ limpwire.Store = (*Store)(nil)

// Dial connects to uri and returns a store of database db that owns the
// connection (Close disconnects). It pings the server first, within ctx.
func Dial(ctx context.Context, uri, db string, opts Options) (*Store, error) {
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetTimeout(30 * time.Second))
	if err != nil {
		return nil, fmt.Errorf("mongostore: connect: %w", err)
	}
	if err := client.Ping(ctx, nil); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("mongostore: ping %s: %w", uri, err)
	}
	s := New(client, db, opts)
	s.owned = true
	return s, nil
}

// New returns a store of database db on a connected client, which the
// caller keeps owning (Close does not disconnect it).
func New(client *mongo.Client, db string, opts Options) *Store {
	return &Store{client: client, db: client.Database(db), opts: opts, textIndexed: map[string]bool{}}
}

// Database returns the underlying database.
func (s *Store) Database() *mongo.Database { return s.db }

// Close disconnects the client when Dial made it. Later calls fail with
// limpwire.ErrStoreClosed.
func (s *Store) Close(ctx context.Context) error {
	if s.closed.Swap(true) || !s.owned {
		return nil
	}
	return s.client.Disconnect(ctx)
}

func (s *Store) check(ctx context.Context, q *limpwire.Query) error {
	if s.closed.Load() {
		return limpwire.ErrStoreClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if q == nil {
		return &limpwire.QueryError{Msg: "nil query"}
	}
	if q.GeoNear() != nil {
		return &limpwire.QueryError{Path: "$geo_near", Msg: "not supported by this store"}
	}
	return nil
}

// softFilter keeps documents not soft-deleted, as upstream's data layer.
var softFilter = bson.D{{Key: "$or", Value: bson.A{
	bson.D{{Key: "__deleted", Value: bson.D{{Key: "$exists", Value: false}}}},
	bson.D{{Key: "__deleted", Value: false}},
}}}

// matchStages are the pipeline stages selecting q's documents: the $text
// search first (MongoDB requires it), then the soft-delete filter and the
// query, then upstream's textScore cut.
func (s *Store) matchStages(ctx context.Context, coll string, q *limpwire.Query) (mongo.Pipeline, error) {
	filter := bson.D{{Key: "$and", Value: bson.A{softFilter, Filter(q.Cond())}}}
	search, hasSearch := q.Search()
	if !hasSearch {
		return mongo.Pipeline{{{Key: "$match", Value: filter}}}, nil
	}
	if err := s.ensureTextIndex(ctx, coll); err != nil {
		return nil, err
	}
	return mongo.Pipeline{
		{{Key: "$match", Value: bson.D{{Key: "$text", Value: bson.D{{Key: "$search", Value: search}}}}}},
		{{Key: "$match", Value: filter}},
		{{Key: "$addFields", Value: bson.D{{Key: "__score", Value: bson.D{{Key: "$meta", Value: "textScore"}}}}}},
		{{Key: "$match", Value: bson.D{{Key: "__score", Value: bson.D{{Key: "$gt", Value: 0.5}}}}}},
		{{Key: "$unset", Value: "__score"}},
	}, nil
}

func (s *Store) ensureTextIndex(ctx context.Context, coll string) error {
	s.textMu.Lock()
	defer s.textMu.Unlock()
	if s.textIndexed[coll] {
		return nil
	}
	_, err := s.db.Collection(coll).Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "$**", Value: "text"}},
	})
	if err != nil {
		return fmt.Errorf("mongostore: $search needs a text index on %s: %w", coll, err)
	}
	s.textIndexed[coll] = true
	return nil
}

// pageStages sort, skip and limit.
func (s *Store) pageStages(q *limpwire.Query, maxResults int) mongo.Pipeline {
	var p mongo.Pipeline
	sort := bson.D{}
	for _, k := range q.SortWithTieBreak() {
		sort = append(sort, bson.E{Key: k.Attr, Value: k.Dir})
	}
	p = append(p, bson.D{{Key: "$sort", Value: sort}})
	if q.Skip() > 0 {
		p = append(p, bson.D{{Key: "$skip", Value: int64(q.Skip())}})
	}
	limit := q.Limit()
	if maxResults > 0 && (limit == 0 || limit > maxResults) {
		limit = maxResults
	}
	if limit > 0 {
		p = append(p, bson.D{{Key: "$limit", Value: int64(limit)}})
	}
	return p
}

func (s *Store) Read(ctx context.Context, collection string, q *limpwire.Query) (limpwire.ReadResult, error) {
	var res limpwire.ReadResult
	if err := s.check(ctx, q); err != nil {
		return res, err
	}
	coll := s.db.Collection(collection)
	match, err := s.matchStages(ctx, collection, q)
	if err != nil {
		return res, err
	}
	if res.Total, err = s.count(ctx, coll, match); err != nil {
		return res, err
	}
	if groups := q.Groups(); len(groups) > 0 {
		res.Groups = make(map[string][]limpwire.Bucket, len(groups))
		for _, g := range groups {
			bs, err := s.buckets(ctx, coll, match, g)
			if err != nil {
				return res, err
			}
			res.Groups[g.By] = bs
		}
	}
	p := append(slices.Clone(match), s.pageStages(q, s.opts.MaxResults)...)
	if attrs := q.Attrs(); attrs != nil {
		proj := bson.D{{Key: "_id", Value: 1}}
		for _, a := range attrs {
			proj = append(proj, bson.E{Key: a, Value: 1})
		}
		p = append(p, bson.D{{Key: "$project", Value: proj}})
	}
	docs, err := s.aggregate(ctx, coll, p)
	if err != nil {
		return res, err
	}
	res.Docs = docs
	res.Count = len(docs)
	return res, nil
}

func (s *Store) count(ctx context.Context, coll *mongo.Collection, match mongo.Pipeline) (int, error) {
	p := append(slices.Clone(match), bson.D{{Key: "$count", Value: "n"}})
	cur, err := coll.Aggregate(ctx, p)
	if err != nil {
		return 0, fmt.Errorf("mongostore: count: %w", err)
	}
	defer cur.Close(ctx)
	var out []struct {
		N int64 `bson:"n"`
	}
	if err := cur.All(ctx, &out); err != nil {
		return 0, fmt.Errorf("mongostore: count: %w", err)
	}
	if len(out) == 0 {
		return 0, nil
	}
	return int(out[0].N), nil
}

func (s *Store) aggregate(ctx context.Context, coll *mongo.Collection, p mongo.Pipeline) ([]limpwire.Doc, error) {
	cur, err := coll.Aggregate(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("mongostore: read: %w", err)
	}
	defer cur.Close(ctx)
	docs := []limpwire.Doc{}
	for cur.Next(ctx) {
		var d bson.D
		if err := cur.Decode(&d); err != nil {
			return nil, fmt.Errorf("mongostore: decode: %w", err)
		}
		docs = append(docs, FromBSON(d).(limpwire.Doc))
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("mongostore: read: %w", err)
	}
	return docs, nil
}

// buckets runs $bucketAuto as upstream does, or, on a server without it,
// buckets the sorted values with limpwire.BucketAuto.
func (s *Store) buckets(ctx context.Context, coll *mongo.Collection, match mongo.Pipeline, g limpwire.Group) ([]limpwire.Bucket, error) {
	if !s.noBucketAuto.Load() {
		p := append(slices.Clone(match), bson.D{{Key: "$bucketAuto", Value: bson.D{
			{Key: "groupBy", Value: "$" + g.By}, {Key: "buckets", Value: int32(g.Count)},
		}}})
		cur, err := coll.Aggregate(ctx, p)
		if err == nil {
			defer cur.Close(ctx)
			var out []struct {
				ID struct {
					Min any `bson:"min"`
					Max any `bson:"max"`
				} `bson:"_id"`
				Count int64 `bson:"count"`
			}
			if err := cur.All(ctx, &out); err != nil {
				return nil, fmt.Errorf("mongostore: $group %s: %w", g.By, err)
			}
			bs := make([]limpwire.Bucket, len(out))
			for i, o := range out {
				bs[i] = limpwire.Bucket{Min: FromBSON(o.ID.Min), Max: FromBSON(o.ID.Max), Count: int(o.Count)}
			}
			return bs, nil
		}
		var se mongo.ServerError
		if !errors.As(err, &se) || !(se.HasErrorCode(238) || se.HasErrorCode(40324)) {
			return nil, fmt.Errorf("mongostore: $group %s: %w", g.By, err)
		}
		s.noBucketAuto.Store(true) // NotImplemented / unrecognized stage
	}
	proj := bson.D{{Key: "_id", Value: 0}, {Key: g.By, Value: 1}}
	if g.By == "_id" || strings.HasPrefix(g.By, "_id.") {
		proj = bson.D{{Key: g.By, Value: 1}}
	}
	p := append(slices.Clone(match), bson.D{{Key: "$project", Value: proj}})
	docs, err := s.aggregate(ctx, coll, p)
	if err != nil {
		return nil, fmt.Errorf("mongostore: $group %s: %w", g.By, err)
	}
	vals := make([]any, len(docs))
	for i, d := range docs {
		vals[i] = limpwire.GroupValue(d, g.By) // missing: nil, as $bucketAuto has it
	}
	slices.SortStableFunc(vals, limpwire.CompareValues)
	bs := limpwire.BucketAuto(vals, g.Count)
	if bs == nil {
		bs = []limpwire.Bucket{}
	}
	return bs, nil
}

func (s *Store) Create(ctx context.Context, collection string, doc limpwire.Doc) (string, error) {
	if s.closed.Load() {
		return "", limpwire.ErrStoreClosed
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	stored, id, err := limpwire.PrepareDoc(doc)
	if err != nil {
		return "", err
	}
	if id == (limpwire.ObjectID{}) {
		id = limpwire.ObjectID(bson.NewObjectID())
		stored["_id"] = id
	}
	d := ToBSON(stored).(bson.D)
	// _id first, as MongoDB stores it.
	slices.SortStableFunc(d, func(a, b bson.E) int {
		switch {
		case a.Key == "_id":
			return -1
		case b.Key == "_id":
			return 1
		}
		return 0
	})
	if _, err := s.db.Collection(collection).InsertOne(ctx, d); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return "", fmt.Errorf("%w: %s", limpwire.ErrDuplicateID, id.Hex())
		}
		return "", fmt.Errorf("mongostore: create: %w", err)
	}
	return id.Hex(), nil
}

// selectIDs returns the ids Read would return for q, in order.
func (s *Store) selectIDs(ctx context.Context, coll string, q *limpwire.Query) ([]bson.ObjectID, error) {
	match, err := s.matchStages(ctx, coll, q)
	if err != nil {
		return nil, err
	}
	p := append(match, s.pageStages(q, 0)...)
	p = append(p, bson.D{{Key: "$project", Value: bson.D{{Key: "_id", Value: 1}}}})
	cur, err := s.db.Collection(coll).Aggregate(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("mongostore: select: %w", err)
	}
	defer cur.Close(ctx)
	var out []struct {
		ID bson.ObjectID `bson:"_id"`
	}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("mongostore: select: %w", err)
	}
	ids := make([]bson.ObjectID, len(out))
	for i, o := range out {
		ids[i] = o.ID
	}
	return ids, nil
}

func hexes(ids []bson.ObjectID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.Hex()
	}
	return out
}

func (s *Store) Update(ctx context.Context, collection string, q *limpwire.Query, update limpwire.Doc) ([]string, error) {
	if err := s.check(ctx, q); err != nil {
		return nil, err
	}
	u, err := limpwire.ParseUpdate(update)
	if err != nil {
		return nil, err
	}
	ids, err := s.selectIDs(ctx, collection, q)
	if err != nil || len(ids) == 0 {
		return []string{}, err
	}
	_, err = s.db.Collection(collection).UpdateMany(ctx,
		bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}, UpdateDoc(u))
	if err != nil {
		var se mongo.ServerError
		if errors.As(err, &se) && (se.HasErrorCode(14) || se.HasErrorCode(2) || se.HasErrorCode(28) ||
			se.HasErrorCode(40) || se.HasErrorCode(66) || se.HasErrorCode(9)) {
			return nil, fmt.Errorf("%w: %v", limpwire.ErrInvalidDoc, err)
		}
		return nil, fmt.Errorf("mongostore: update: %w", err)
	}
	return hexes(ids), nil
}

func (s *Store) Delete(ctx context.Context, collection string, q *limpwire.Query, soft bool) ([]string, error) {
	if err := s.check(ctx, q); err != nil {
		return nil, err
	}
	ids, err := s.selectIDs(ctx, collection, q)
	if err != nil || len(ids) == 0 {
		return []string{}, err
	}
	coll := s.db.Collection(collection)
	byID := bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}
	if soft {
		_, err = coll.UpdateMany(ctx, byID, bson.D{{Key: "$set", Value: bson.D{{Key: "__deleted", Value: true}}}})
	} else {
		_, err = coll.DeleteMany(ctx, byID)
	}
	if err != nil {
		return nil, fmt.Errorf("mongostore: delete: %w", err)
	}
	return hexes(ids), nil
}
