package mongostore_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/appwire/appwire/limpwire"
	"github.com/appwire/appwire/limpwire/mongostore"
)

// A LIMP server's documents in MongoDB: the same Store calls as the memory
// store. (Compiled only: it needs a MongoDB at MONGODB_URI.)
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := mongostore.Dial(ctx, os.Getenv("MONGODB_URI"), "limp", mongostore.Options{MaxResults: 1000})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close(context.Background())
	id, err := st.Create(ctx, "blog", limpwire.Doc{"title": "Hello", "views": 0})
	if err != nil {
		fmt.Println(err)
		return
	}
	q, _ := limpwire.ParseQuery([]any{map[string]any{"_id": id}})
	if _, err := st.Update(ctx, "blog", q, limpwire.Doc{"views": map[string]any{"$add": 1}}); err != nil {
		fmt.Println(err)
	}
}
