package limpwire

import (
	"context"
	"errors"
)

// memoryStore is the in-memory Store.
//
// INCOMPLETE: this first version only compiles so that the server can be
// built against the Store interface; it stores nothing and every call
// returns an error. The real implementation follows in the next commit.
type memoryStore struct{}

// NewMemoryStore returns an empty in-memory Store, safe for concurrent use.
//
// INCOMPLETE until the next commit (see memoryStore).
func NewMemoryStore() Store { return &memoryStore{} }

func (*memoryStore) Read(context.Context, string, *Query) (ReadResult, error) {
	return ReadResult{}, errNotYet
}

func (*memoryStore) Create(context.Context, string, Doc) (string, error) { return "", errNotYet }

func (*memoryStore) Update(context.Context, string, *Query, Doc) ([]string, error) {
	return nil, errNotYet
}

func (*memoryStore) Delete(context.Context, string, *Query, bool) ([]string, error) {
	return nil, errNotYet
}

func (*memoryStore) Close(context.Context) error { return nil }

var errNotYet = errors.New("limpwire: memory store not implemented yet")
